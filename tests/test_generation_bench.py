"""The generation benchmark's quick mode runs (tiny random model) and reports both methods."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.generation import main


def test_generation_bench_quick(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    rows = main(["--quick", "--out", str(out)])
    data = json.loads(out.read_text())
    assert {(r["method"], r["channels"]) for r in data["rows"]} == {
        ("baseline", 1), ("pool", 1), ("baseline", 4), ("pool", 4)}
    for r in rows:
        assert r.messages == r.channels and r.tokens == r.messages * 8  # every reply ran to its length
        assert r.tok_s > 0 and r.p95_s >= r.p50_s > 0 and r.ttft_p50_s > 0
    pool4 = next(r for r in rows if r.method == "pool" and r.channels == 4)
    assert pool4.mean_batch >= 1
