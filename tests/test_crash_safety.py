"""SIGKILL at random points during a storm: no acknowledged reaction is lost, the database stays sound."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from core.store.repos import event_key
from tests.conftest import ROOT, write_config


def test_sigkill_loses_no_acknowledged_reaction(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "[limits]\nmessages_per_minute = 0\n")
    rng = random.Random(7)
    acked: set[str] = set()
    for round_ in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.crash_worker", str(cfg), str(round_ * 10_000), "5000"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READY"
        deadline = time.monotonic() + rng.uniform(0.3, 1.5)
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("ACK "):
                acked.add(line.split()[1])
        proc.send_signal(signal.SIGKILL)
        # Lines already written before the kill were acknowledged too.
        for line in proc.stdout.read().splitlines():
            if line.startswith("ACK "):
                acked.add(line.split()[1])
        proc.wait()
    assert len(acked) > 20  # the storm really ran
    con = sqlite3.connect(tmp_path / "data" / "recbot.db")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # processed_events keeps digests of the ids: the reaction events are the digests of "r<n>".
    reaction_ids = {event_key(f"r{n}"): f"r{n}" for base in range(0, 40_000, 10_000)
                    for n in range(base, base + 5000)}
    stored = {reaction_ids[r[0]] for r in con.execute("SELECT event_id FROM processed_events")
              if r[0] in reaction_ids}
    assert acked <= stored
    # Each claimed reaction event has exactly its raw row (claim and record share one transaction).
    n_reactions = con.execute("SELECT COUNT(*) FROM reactions").fetchone()[0]
    assert n_reactions == len(stored)
    con.close()
