"""Grounded explanations: every clause is a checkable fact about the item or the person's stored likes.

An explanation may say only
  * what the item is: its own genres, tags, domain ("film"/"book") and creator (catalog fields);
  * "because you liked X" when X is a like this person stored themself (words, buttons, reactions,
    imported ratings) -- never a channel neighbour's like, never a request seed;
  * "like X: also sci-fi, space" for a request seed, naming only genres/tags the two items share;
  * a critique only where the item's tags bear it out: "not gory" when it has no gory tag (the
    recommender removed those), "dark, as you asked" when it has the dark tag.
Nothing else: no "because you asked for something less gory" on a gory item.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.recommend.catalog import Catalog, Item
from core.recommend.critiques import Critique
from core.recommend.filters import critique_words, norm_tag
from core.recommend.preferences import History

_KIND_VERB = {
    "mention": "you liked",
    "button": "you liked",
    "reaction": "you liked",
    "rating": "you rated highly",
}
_DOMAIN_NOUN = {"movie": "film", "book": "book"}
_QUIET_TAGS = ("classic", "award-winning", "cult-classic")  # true but say little about the item's content


@dataclass
class Evidence:
    """What the ranker knew when it scored one request (indices into the catalog)."""

    hist: History
    critiques: list[Critique]
    query: str
    query_sim: np.ndarray | None  # content similarity of every item to the query
    genres: tuple[str, ...]
    cold: bool
    user_likes: frozenset[int] = frozenset()  # items this person liked themself (not the channel's)
    seeds: tuple[int, ...] = ()  # "something like X" anchors of this request
    # Critiques the catalog can evidence, with the items carrying the tag (set by the ranker).
    critique_has: list[tuple[Critique, np.ndarray, tuple[str, ...]]] = field(default_factory=list)


def domain_noun(item: Item) -> str:
    return _DOMAIN_NOUN.get(item.domain, item.domain)


def _portrait(catalog: Catalog, i: int, ev: Evidence) -> str:
    """What this item is, in the words the person used where possible: "a funny, satirical comedy film
    by David Zucker". Only the item's own fields; item-specific, so reasons in one list differ."""
    item = catalog.items[i]
    words = set(ev.query.lower().replace("-", " ").split()) | {g.lower() for g in ev.genres}
    tags = [t for t in item.tags if t in words or t.replace("-", " ") in words]
    tags += [t for t in item.tags if t not in tags and t not in _QUIET_TAGS]
    genre = next((g for g in item.genres if g in words), item.genres[0] if item.genres else "")
    noun = domain_noun(item)
    what = f"{genre} {noun}" if genre and genre != noun else noun
    desc = ", ".join(tags[:2])
    by = f" by {item.creator.split(',')[0]}" if item.creator else ""
    head = f"{desc} {what}" if desc else what
    article = "an" if head[:1].lower() in "aeiou" else "a"
    return f"{article} {head}{by}"


def _shared(catalog: Catalog, i: int, j: int) -> list[str]:
    a, b = catalog.items[i], catalog.items[j]
    theirs = {*b.genres, *b.tags}
    return [t for t in (*a.genres, *a.tags) if t in theirs and t not in _QUIET_TAGS][:3]


def _critique_facts(catalog: Catalog, i: int, ev: Evidence) -> list[str]:
    """Critiques in the catalog's own words: "not violent or gory" (it has neither tag), "dark, as you
    asked" (it has the tag)."""
    out = []
    item = {t.lower() for t in (*catalog.items[i].genres, *catalog.items[i].tags)}
    for c, has, names in ev.critique_has[:2]:
        if c.sign < 0 and not has[i]:
            if critique_words(c.term) & {norm_tag(t) for t in item}:
                continue  # "less scary" in a horror request kept this horror film: never call it "not scary"
            out.append("not " + " or ".join(names[:2]))
        elif c.sign > 0 and has[i]:
            tag = next((n for n in names if n.lower() in item), names[0])
            out.append(f"{tag}, as you asked")
    return out



def explain(catalog: Catalog, i: int, ev: Evidence, item_sims: np.ndarray | None,
            cf_contrib: np.ndarray | None) -> str:
    """One line for item i.

    item_sims: similarity of item i to each liked history item (aligned with ev.hist.liked()),
    cf_contrib: CF contribution of each liked history item to item i. The strongest of the person's
    own stored likes is named.
    """
    parts = [_portrait(catalog, i, ev)]
    parts += _critique_facts(catalog, i, ev)
    seeds = [j for j in ev.seeds if j != i]
    for j in seeds[:1]:
        shared = _shared(catalog, i, j)
        if shared:
            parts.append(f"like {catalog.items[j].label()}: also {', '.join(shared)}")
    liked_idx, liked_w = ev.hist.liked()
    because = ""
    if liked_idx.size and ev.user_likes:
        strength = np.zeros(liked_idx.size, dtype=np.float32)
        if item_sims is not None:
            strength += np.clip(item_sims, 0, None) * liked_w
        if cf_contrib is not None:
            strength += np.clip(cf_contrib, 0, None)
        own = np.array([int(x) in ev.user_likes and int(x) not in ev.seeds and int(x) != i for x in liked_idx])
        strength = np.where(own, strength, 0.0)
        if float(strength.max()) > 0:
            j = int(liked_idx[int(np.argmax(strength))])
            verb = _KIND_VERB.get(ev.hist.reasons.get(j, "mention"), "you liked")
            because = f"because {verb} {catalog.items[j].label()}"
    line = "; ".join(parts)
    if because:
        return f"{line}; {because}"
    if ev.cold and not ev.query and not ev.genres:
        return f"{line}, a popular pick to start with"
    return line
