"""Hyperparameter search for the benchmarks: coordinate ascent that widens an axis past a winning edge.

A grid whose best value sits at its edge says only that the optimum is somewhere beyond it; `search`
keeps stepping past such an edge until the optimum is interior (or a hard limit is hit) and records,
per axis, what was tried, the score of each value and whether the optimum is interior.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Axis:
    """One hyperparameter: the values tried first (ascending) and the hard limits for widening."""

    name: str
    values: tuple[float, ...]
    lo: float
    hi: float
    integer: bool = False

    def beyond(self, v: float, down: bool) -> float | None:
        """The next value past an edge (x0.5 or x2; from 0 upward the first positive value x2), or None."""
        if down:
            nv = v / 2.0 if v > 0 else None
        else:
            nv = v * 2.0 if v > 0 else (min(x for x in self.values if x > 0) * 2.0 if any(self.values) else None)
        if nv is None:
            return None
        nv = int(round(nv)) if self.integer else nv
        return nv if self.lo <= nv <= self.hi and nv != v else None


def search(axes: list[Axis], start: dict, score, passes: int = 2) -> tuple[dict, dict]:  # noqa: ANN001
    """Coordinate ascent over `axes` from `start`, maximising score(params) -> comparable tuple.

    Along each axis every listed value is tried; while the best one is at an edge of what was tried, the
    axis is widened one step past that edge (Axis.beyond) until the optimum is interior or a limit is hit.
    Returns (best params, per-axis record: tried values, best, interior or 'at limit')."""
    best = dict(start)
    cache: dict[str, tuple] = {}
    record: dict[str, dict] = {}

    def val(p: dict) -> tuple:
        key = repr(sorted(p.items()))
        if key not in cache:
            cache[key] = tuple(score(p))
        return cache[key]

    for _ in range(passes if len(axes) > 1 else 1):
        for ax in axes:
            tried = sorted({*ax.values, best[ax.name]})
            while True:
                top = max(tried, key=lambda v: val({**best, ax.name: v}))
                i = tried.index(top)
                if 0 < i < len(tried) - 1:
                    break
                nv = ax.beyond(top, down=i == 0)
                if nv is None or nv in tried:
                    break
                tried = sorted([*tried, nv])
            best[ax.name] = top
            record[ax.name] = {"tried": tried, "best": top,
                               # validation score per value tried, the others held at their best: the ablation
                               "validation": {str(v): list(val({**best, ax.name: v})) for v in tried},
                               "interior": 0 < i < len(tried) - 1 or len(tried) == 1,
                               "note": "" if 0 < i < len(tried) - 1 else f"at limit {top} of [{ax.lo}, {ax.hi}]"}
    return best, record
