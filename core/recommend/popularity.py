"""Popularity priors for the catalog: era weighting and smoothing of sparse mention counts.

A catalog's `Item.popularity` is a count (mentions, plays, ratings). Sparse counts are noisy at the
bottom (a film counted 0 or 1 time is not ten times less known than one counted 10 times), and a
count taken over many years says little about what people talk about *now*. Both helpers return a
new Catalog with adjusted popularity, so text embeddings keyed by titles stay valid.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace

from core.recommend.catalog import Catalog


def era_popularity(catalog: Catalog, rating_years: Mapping[str, Counter[int]], recent: float = 0.0,
                   recent_since: int = 2015, era: float = 0.0) -> Catalog:
    """Popularity moved towards what was current: multiplicative, so the engine's log-popularity gets
    additive terms `recent * log1p(interactions since recent_since)` and `era` per decade of release
    after 2000 (clipped to -1..1.8 decades). Both 0: the catalog unchanged."""
    if not (recent or era):
        return catalog
    items = []
    for it in catalog:
        years = rating_years.get(it.item_id)
        n_recent = sum(c for y, c in years.items() if y >= recent_since) if years else 0
        decades = min(max(((it.year or 2000) - 2000) / 10.0, -1.0), 1.8)
        pop = (1.0 + it.popularity) * (1.0 + n_recent) ** recent * math.exp(era * decades) - 1.0
        items.append(replace(it, popularity=max(0.0, pop)))
    return Catalog(items)


def smoothed_popularity(catalog: Catalog, support: Mapping[str, float], strength: float,
                        year_bonus: Mapping[int, float] | None = None) -> Catalog:
    """Add pseudo-counts to sparse counts: popularity + strength * share of `support` (e.g. MovieLens
    rating counts, scaled to the catalog's total), times an optional per-release-year factor.

    A film with no or few counted mentions but many ratings elsewhere is then ranked like a known film
    of modest popularity, not like an unknown one. strength 0: unchanged.
    """
    if strength <= 0:
        return catalog
    total_pop = sum(max(0.0, it.popularity) for it in catalog)
    total_sup = sum(max(0.0, v) for v in support.values())
    if total_pop <= 0 or total_sup <= 0:
        return catalog
    scale = total_pop / total_sup
    items = []
    for it in catalog:
        extra = strength * scale * max(0.0, support.get(it.item_id, 0.0))
        if year_bonus is not None and it.year is not None:
            extra *= year_bonus.get(it.year, 1.0)
        items.append(replace(it, popularity=max(0.0, it.popularity) + extra))
    return Catalog(items)
