"""Refit cost of learning per tenant: one CF model per tenant vs one model over every tenant's rows.

    python benchmarks/tenant_refit.py [--tenants 50] [--users 20] [--likes 8] [--repeat 3]

Synthetic store rows on the bundled catalog (each person likes `--likes` movies, drawn from a
Zipf-like popularity so tenants overlap as real ones do). Times `fit_tenant_interactions` (what the
bot's refit runs every retrain_minutes) with pooling off and with pool_min_tenants = 3, and, for
comparison, the pre-issue-14 single fit over all rows (`fit_interactions` with tenant-prefixed
users). One BLAS thread; the median of --repeat runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import setup, table

setup(threads=1)

import numpy as np  # noqa: E402

from core.recommend.catalog import load_catalog  # noqa: E402
from core.recommend.engine import HybridRecommender, RecSettings  # noqa: E402


def rows(tenants: int, users: int, likes: int, seed: int = 7) -> list[tuple[str, str, str, float]]:
    catalog = load_catalog(True, [])
    movies = [it.item_id for it in catalog if it.domain == "movie"]
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, len(movies) + 1) ** 0.8
    p /= p.sum()
    out = []
    for t in range(tenants):
        order = rng.permutation(len(movies))  # each tenant has its own favourites
        for u in range(users):
            for j in rng.choice(len(movies), size=likes, replace=False, p=p):
                out.append((f"g{t}", f"u{u}", movies[order[j]], 1.0))
    return out


def first_fit(catalog: object, settings: RecSettings, data: list[tuple[str, str, str, float]],
              repeat: int, untenanted: bool = False) -> float:
    """Median time of a fit into a fresh engine (building the engine is not timed)."""
    runs = []
    for _ in range(repeat):
        rec = HybridRecommender(catalog, settings)  # type: ignore[arg-type]
        start = time.perf_counter()
        if untenanted:  # the pre-issue-14 refit: one model, users prefixed with their tenant
            rec.fit_interactions([(f"{t}:{u}", i, v) for t, u, i, v in data])
        else:
            rec.fit_tenant_interactions(data)
        runs.append(time.perf_counter() - start)
        rec.close()
    return statistics.median(runs)


def refit_one_changed(catalog: object, settings: RecSettings, data: list[tuple[str, str, str, float]],
                      repeat: int) -> float:
    """Median time of a periodic refit after one tenant got one new row (the others are reused)."""
    rec = HybridRecommender(catalog, settings)  # type: ignore[arg-type]
    rec.fit_tenant_interactions(data)
    runs = []
    for n in range(repeat):
        moved = [*data, ("g0", f"newcomer{n}", data[n][2], 1.0)]
        start = time.perf_counter()
        rec.fit_tenant_interactions(moved)
        runs.append(time.perf_counter() - start)
    rec.close()
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tenants", type=int, default=50)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--likes", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = rows(args.tenants, args.users, args.likes)
    catalog = load_catalog(True, [])
    results = []
    for label, pool in (("per tenant (default)", 0), ("per tenant + pooled, k = 3", 3)):
        settings = RecSettings(workers=1, pool_min_tenants=pool)
        results.append((label + ": first fit", first_fit(catalog, settings, data, args.repeat)))
        results.append((label + ": refit, 1 tenant changed", refit_one_changed(catalog, settings, data,
                                                                               args.repeat)))
    results.append(("one model over all tenants (before): fit",
                     first_fit(catalog, RecSettings(workers=1), data, args.repeat, untenanted=True)))
    print(f"{args.tenants} tenants x {args.users} people x {args.likes} likes = {len(data)} rows, "
          f"{len(catalog)} catalog items")
    print(table([(name, f"{s:.2f} s") for name, s in results], ["refit", "median time"]))


if __name__ == "__main__":
    main()
