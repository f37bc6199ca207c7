"""Ctrl-C at an idle `you>` prompt ends `recbot chat` at once (it used to wait for Enter)."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import write_config

ROOT = Path(__file__).resolve().parent.parent


def _read_until(fd: int, marker: bytes, within_s: float) -> bytes:
    seen = b""
    end = time.monotonic() + within_s
    while marker not in seen and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return seen


def test_ctrl_c_at_an_idle_prompt_exits_at_once(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    main, child = pty.openpty()  # a terminal, so chat runs its interactive prompt
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), "chat"], stdin=child,
                            stdout=child, stderr=child, env=env, cwd=tmp_path, close_fds=True)
    os.close(child)
    try:
        shown = _read_until(main, b"you> ", 120)
        assert b"you> " in shown, shown[-500:]
        time.sleep(0.3)  # idle at the prompt: input() is blocked in its thread
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        assert time.monotonic() - t0 < 5
        assert proc.returncode in (0, 130)
        assert b"Traceback" not in _read_until(main, b"\x00", 0.5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)
