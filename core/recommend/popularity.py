"""Popularity priors for the catalog: era weighting of counts, and the lag of new releases.

A catalog's `Item.popularity` is a count (mentions, plays, ratings); a count taken over many years
says little about what people talk about *now*, and a count taken up to some date under-counts the
films released shortly before it: they were out for only part of the counting window. The helpers
return a new Catalog with adjusted popularity, so text embeddings keyed by titles stay valid.
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


def release_lag_popularity(catalog: Catalog, counted_until: int, lift: float) -> Catalog:
    """Counts of films released in the counts' last year (or later) multiplied by e**lift: they were
    out for part of the window at most, so their count says less than an older film's.

    Multiplicative, so the engine's log-popularity gets `lift` added for those items. lift 0: the
    catalog unchanged. Items without a year are never lifted."""
    if not lift:
        return catalog
    items = [replace(it, popularity=(1.0 + max(0.0, it.popularity)) * math.exp(lift) - 1.0)
             if it.year is not None and it.year >= counted_until else it for it in catalog]
    return Catalog(items)
