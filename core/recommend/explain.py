"""Grounded explanations: each sentence names the evidence that actually moved the item up."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.recommend.catalog import Catalog
from core.recommend.critiques import Critique
from core.recommend.preferences import History

_KIND_VERB = {
    "mention": "you liked",
    "button": "you liked",
    "reaction": "you liked",
    "rating": "you rated highly",
    "click": "you looked at",
    "seed": "you asked for something like",
}


@dataclass
class Evidence:
    """What the ranker knew when it scored one request (indices into the catalog)."""

    hist: History
    critiques: list[Critique]
    query: str
    query_sim: np.ndarray | None  # content similarity of every item to the query
    genres: tuple[str, ...]
    cold: bool


def _quote(q: str, limit: int = 48) -> str:
    q = " ".join(q.split())
    return q if len(q) <= limit else q[: limit - 1].rstrip() + "…"


def explain(catalog: Catalog, i: int, ev: Evidence, item_sims: np.ndarray | None,
            cf_contrib: np.ndarray | None) -> str:
    """One sentence for item i.

    item_sims: similarity of item i to each liked history item (aligned with ev.hist.liked()),
    cf_contrib: CF contribution of each liked history item to item i. The strongest one is named.
    """
    parts: list[str] = []
    liked_idx, liked_w = ev.hist.liked()
    if liked_idx.size:
        strength = np.zeros(liked_idx.size, dtype=np.float32)
        if item_sims is not None:
            strength += np.clip(item_sims, 0, None) * liked_w
        if cf_contrib is not None:
            strength += np.clip(cf_contrib, 0, None)
        if float(strength.max()) > 0:
            j = int(liked_idx[int(np.argmax(strength))])
            verb = _KIND_VERB.get(ev.hist.reasons.get(j, "mention"), "you liked")
            parts.append(f"because {verb} {catalog.items[j].label()}")
    if ev.critiques:
        asked = " and ".join(f"something {c.text}" for c in ev.critiques[:2])
        parts.append(f"asked for {asked}")
    elif ev.query and ev.query_sim is not None and float(ev.query_sim[i]) > 0.25:
        parts.append(f"it fits “{_quote(ev.query)}”")
    if ev.genres:
        item = catalog.items[i]
        have = [g for g in ev.genres if g.lower() in {*item.genres, *item.tags}]
        if have:
            parts.append(f"it is {'/'.join(have[:2])}")
    if not parts:
        item = catalog.items[i]
        if ev.cold or liked_idx.size == 0:
            genre = f" {item.genres[0]}" if item.genres else ""
            return f"a popular{genre} pick to start with"
        return "close to what you liked before"
    if parts[0].startswith("because"):
        first, rest = parts[0], parts[1:]
        if rest and rest[0].startswith("asked"):
            rest[0] = "you " + rest[0]
        return " and ".join([first, *rest])
    if parts[0].startswith("asked"):
        parts[0] = "you " + parts[0]
    return "because " + " and ".join(parts)
