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


def _portrait(catalog: Catalog, i: int, ev: Evidence) -> str:
    """What this item is, in the words the person used where possible: "a funny, satirical comedy by
    David Zucker". Item-specific, so five reasons in one list never read the same."""
    item = catalog.items[i]
    words = set(ev.query.lower().replace("-", " ").split()) | {g.lower() for g in ev.genres}
    tags = [t for t in item.tags if t in words or t.replace("-", " ") in words]
    tags += [t for t in item.tags if t not in tags and t not in ("classic", "award-winning")]
    genre = next((g for g in item.genres if g in words), item.genres[0] if item.genres else item.domain)
    desc = ", ".join(tags[:2])
    by = f" by {item.creator.split(',')[0]}" if item.creator else ""
    article = "an" if (desc or genre)[:1].lower() in "aeiou" else "a"
    return f"{article} {desc + ' ' if desc else ''}{genre}{by}"


def explain(catalog: Catalog, i: int, ev: Evidence, item_sims: np.ndarray | None,
            cf_contrib: np.ndarray | None) -> str:
    """One sentence for item i.

    item_sims: similarity of item i to each liked history item (aligned with ev.hist.liked()),
    cf_contrib: CF contribution of each liked history item to item i. The strongest one is named.
    """
    why: list[str] = []
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
            why.append(f"{verb} {catalog.items[j].label()}")
    if ev.critiques:
        why.append("you asked for something " + " and ".join(c.text for c in ev.critiques[:2]))
    portrait = _portrait(catalog, i, ev)
    if why:
        return f"{portrait}; because {' and '.join(why)}"
    if ev.cold and not ev.query and not ev.genres:
        return f"{portrait}, a popular pick to start with"
    return portrait
