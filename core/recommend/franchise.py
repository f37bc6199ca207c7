"""Title-word overlap with the conversation's items: sequels and franchises ("Iron Man 2" -> "Iron Man 3").

Embeddings of short titles are weak at this and CF misses new sequels, so a tiny inverted index of
rare title words does it: an item scores the fraction of a liked item's distinctive title words it
shares (max over liked items). Words that appear in many titles ("love", "night") are ignored.
"""

from __future__ import annotations

import numpy as np

from core.recommend.catalog import Catalog
from core.recommend.titles import normalize_title

_STOP = frozenset("the a an of and in on to for with at by from is it part vol chapter movie film".split())


def title_words(title: str) -> set[str]:
    return {w for w in normalize_title(title).split() if w not in _STOP and not w.isdigit() and len(w) > 2}


class TitleWords:
    def __init__(self, catalog: Catalog, max_share: float = 0.005, min_df: int = 5) -> None:
        self.n = len(catalog)
        self.words = [title_words(it.title) for it in catalog]
        inv: dict[str, list[int]] = {}
        for i, ws in enumerate(self.words):
            for w in ws:
                inv.setdefault(w, []).append(i)
        limit = max(min_df, int(max_share * self.n))  # rarer than this: distinctive for a franchise
        self.inv = {w: np.asarray(ix, dtype=np.int64) for w, ix in inv.items() if len(ix) <= limit}

    def overlap(self, items: np.ndarray) -> np.ndarray | None:
        """Max over `items` of the share of their distinctive title words each catalog item has."""
        out: np.ndarray | None = None
        for j in items.tolist():
            ws = [w for w in self.words[j] if w in self.inv]
            if not ws:
                continue
            s = np.zeros(self.n, dtype=np.float32)
            for w in ws:
                s[self.inv[w]] += 1.0 / len(self.words[j])
            s[j] = 0.0
            out = s if out is None else np.maximum(out, s)
        return out
