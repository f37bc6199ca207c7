"""Shared helpers for the benchmarks: import path, thread limits, metrics, result files."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _find_data() -> Path:
    """../shared/data relative to the project root (a git worktree may sit one level deeper)."""
    env = os.environ.get("RECBOT_SHARED_DATA")
    if env:
        return Path(env)
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "data").is_dir():
            return base / "shared" / "data"
    return ROOT.parent / "shared" / "data"


DATA = _find_data()


def setup(threads: int = 1) -> None:
    """Make the project importable and pin BLAS threads (call before numpy is imported)."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def recall_ndcg(ranked: Sequence[object], targets: set[object], k: int = 10) -> tuple[float, float]:
    """Recall@k = hits / min(k, |targets|) (so a perfect list scores 1); NDCG@k with binary gains."""
    if not targets:
        return 0.0, 0.0
    top = list(ranked)[:k]
    hits = [1.0 if t in targets else 0.0 for t in top]
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(targets))))
    dcg = sum(h / math.log2(i + 2) for i, h in enumerate(hits))
    return sum(hits) / min(k, len(targets)), dcg / ideal


def write_json(path: Path | None, obj: object) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True), encoding="utf-8")


def table(rows: Iterable[Sequence[object]], header: Sequence[str]) -> str:
    rows = [[f"{c:.4f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h)) for i, h in enumerate(header)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *(line(r) for r in rows)])
