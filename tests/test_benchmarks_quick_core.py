"""The load benchmark's quick mode runs in CI so it cannot rot (figures are reported, not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_load_benchmark_quick_mode_runs() -> None:
    out = subprocess.run([sys.executable, "benchmarks/load.py", "--quick"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["events"] == 40 * 8  # every scripted event (7 messages + 1 reaction) of every channel
    assert result["throughput_msgs_per_s"] > 0 and result["p99_ms"] >= result["p50_ms"] > 0
