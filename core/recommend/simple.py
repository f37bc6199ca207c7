"""A keyword + popularity recommender: the honest fallback behind the Recommender protocol.

Scores each item by word overlap between the request (query, seeds' genres and tags, liked items'
genres) and the item's text, plus a small popularity prior; hard constraints filter; disliked items
are dropped. The hybrid engine (core/recommend/engine.py) replaces it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from core.recommend.catalog import Catalog, Item
from core.recommend.types import Constraints, RecRequest, RecResult, Scored


def passes(item: Item, c: Constraints) -> bool:
    tags = {*item.genres, *item.tags}
    if c.domain and item.domain != c.domain:
        return False
    if c.genres and not tags.intersection(c.genres):
        return False
    if c.not_genres and tags.intersection(c.not_genres):
        return False
    creator = (item.creator or "").lower()
    if c.creators and not any(x.lower() in creator for x in c.creators):
        return False
    if c.not_creators and any(x.lower() in creator for x in c.not_creators):
        return False
    if c.year_min and (item.year is None or item.year < c.year_min):
        return False
    if c.year_max and (item.year is None or item.year > c.year_max):
        return False
    return item.item_id not in c.exclude_items


class SimpleRecommender:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._words = [Counter(re.findall(r"[a-z]+", it.text_for_index().lower())) for it in catalog]
        top = max((it.popularity for it in catalog), default=1.0) or 1.0
        self._pop = [it.popularity / top for it in catalog]

    def fit_interactions(self, rows: Iterable[tuple[str, str, float]]) -> None:
        return None  # no collaborative part in the fallback

    async def recommend(self, req: RecRequest) -> RecResult:
        liked = [s.item_id for s in req.signals if s.value > 0] + list(req.seeds)
        disliked = {s.item_id for s in req.signals if s.value < 0}
        want = Counter(re.findall(r"[a-z]+", req.query.lower()))
        for iid in liked:
            if it := self.catalog.get(iid):
                want.update({g: 2 for g in (*it.genres, *it.tags)})
        want.update({g: 3 for g in req.constraints.genres})
        relaxed = None
        pool = [i for i, it in enumerate(self.catalog) if passes(it, req.constraints) and it.item_id not in disliked]
        if not pool:
            loose = Constraints(domain=req.constraints.domain, exclude_items=req.constraints.exclude_items)
            pool = [i for i, it in enumerate(self.catalog) if passes(it, loose) and it.item_id not in disliked]
            relaxed = f"nothing matches {req.constraints.describe() or 'that'}; here is the closest"
        scored = []
        for i in pool:
            overlap = sum(min(c, self._words[i][w]) for w, c in want.items() if len(w) > 2)
            scored.append((overlap + 0.5 * self._pop[i], i))
        scored.sort(reverse=True)
        out = []
        for score, i in scored[: req.k]:
            it = self.catalog.items[i]
            hits = [g for g in (*it.genres, *it.tags) if want.get(g)]
            reason = f"matches {', '.join(hits[:3])}" if hits else "a popular pick"
            out.append(Scored(it.item_id, float(score), reason))
        return RecResult(tuple(out), relaxed)
