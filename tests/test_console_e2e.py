"""The scripted terminal chat, end to end in a subprocess, as a new user would run it."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, write_config


def _chat(cfg: Path, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), "chat"], input=stdin,
                          capture_output=True, cwd=ROOT, timeout=300)


def test_scripted_chat_recommends_and_continues_across_processes(tmp_path: Path) -> None:
    cfg = write_config(tmp_path)
    run = _chat(cfg, b"hi\nrecommend me a funny movie from the 80s\nsomething else, not that one\n")
    assert run.returncode == 0, run.stderr.decode()
    out = run.stdout.decode()
    items = re.findall(r"^\s+\d\. (.+?) \((\d{4})\) — ", out, re.M)
    assert len({t for t, _ in items}) >= 3
    first, second = out.split("recbot> ")[2], out.split("recbot> ")[3]
    t1 = set(re.findall(r"\d\. (.+?) \(\d{4}\)", first))
    t2 = set(re.findall(r"\d\. (.+?) \(\d{4}\)", second))
    assert t1 and t2 and not t1 & t2
    again = _chat(cfg, b"what did you recommend before?\n")
    assert again.returncode == 0
    assert next(iter(t1)) in again.stdout.decode()


def test_bad_lines_never_crash(tmp_path: Path) -> None:
    cfg = write_config(tmp_path)
    stdin = b"\n" + b"y" * 20000 + b"\n\x01\x02\x03\x7f\n\xf0\x9f\x98\x80\xf0\x9f\x8e\xac\n\xff\xfe bad utf8\n/like 9\n"
    run = _chat(cfg, stdin)
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout.decode().count("recbot> ") == 6
    con = sqlite3.connect(tmp_path / "data" / "recbot.db")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
