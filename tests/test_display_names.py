"""Names and ids the store cannot encode (issue 15 item 8): one lone surrogate in a display name, or in
a terminal user name taken from argv or the login, made every message of that person fail with
"Sorry, something went wrong", nothing stored, exit 0. Names are cleaned like message text; ids keep
their valid characters and get U+FFFD for each invalid one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.events import Message
from core.render import clean_name, valid_unicode
from tests.conftest import ROOT, write_config
from tests.slack_mock import build_test_app


@pytest.mark.parametrize(("raw", "clean"), [
    ("Ann \ud800", "Ann"), ("\udfff", None), ("  Bo\x00b \u202e\n x ", "Bob x"), ("", None), (None, None),
    ("é" * 200, "é" * 80),
])
def test_clean_name(raw: str | None, clean: str | None) -> None:
    assert clean_name(raw) == clean


def test_valid_unicode_replaces_each_lone_surrogate() -> None:
    assert valid_unicode("ann\udcff") == "ann\ufffd" and valid_unicode("a\ud800\udfffb") == "a\ufffd\ufffdb"
    assert valid_unicode("😀 ok") == "😀 ok"


async def test_the_core_stores_a_cleaned_name_and_answers(tmp_path: Path) -> None:
    app = await build_test_app(tmp_path)
    try:
        [reply] = await app.core.handle(Message(platform="test", tenant="t", channel="c", user="u", event_id="e1",
                                                user_name="Ann \ud800", text="recommend a sci-fi movie"))
        assert reply.items, reply.text
        row = await app.store.db.fetchone("SELECT display_name FROM users WHERE user_id = 'u'")
        assert row is not None and row[0] == "Ann"
    finally:
        await app.aclose()


def test_a_terminal_user_name_that_is_not_utf8(tmp_path: Path) -> None:
    cfg = write_config(tmp_path)
    name = b"ann\xff"  # as the shell passes it; Python sees "ann\udcff"
    run = subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), "chat", "--user", name,
                          "--channel", b"room\xfe"], input=b"recommend me a funny movie\n", capture_output=True,
                         cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr.decode()
    out = run.stdout.decode()
    assert "went wrong" not in out and "1. " in out, out
    export = subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), "export-user", "ann\ufffd"],
                            capture_output=True, cwd=ROOT, timeout=300)
    assert export.returncode == 0, export.stderr.decode()
    assert json.loads(export.stdout)["user"] == "ann\ufffd"
