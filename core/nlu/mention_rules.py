"""Which thing a mention is: a span is a title or a creator's name, not both, and a title shared by a
book and its film is the version the message names (split out of core/nlu/parser.py)."""

from __future__ import annotations

from core.nlu.normalize import Token
from core.nlu.titles import Match
from core.recommend.catalog import Catalog


def resolve_overlaps(titles: list[Match], creators: list[Match], tokens: list[Token]
                      ) -> tuple[list[Match], list[Match]]:
    """A span is a title or a name, not both: "by" before it makes it a name, else the better score."""
    keep_t: list[Match] = []
    keep_c = list(creators)
    for t in titles:
        clash = [c for c in keep_c if t.start < c.end and c.start < t.end]
        if not clash:
            keep_t.append(t)
            continue
        by = any(c.start > 0 and tokens[c.start - 1].low == "by" for c in clash)
        longer = (t.end - t.start) > max(c.end - c.start for c in clash)  # "Jurrasic Park" over "Park"
        if by or (not longer and max(c.score for c in clash) > t.score):
            continue
        keep_c = [c for c in keep_c if c not in clash]
        keep_t.append(t)
    return keep_t, keep_c


def prefer_version(m: Match, dom: str | None, creators: set[str], catalog: Catalog) -> Match:
    """A title shared by a book and its film: the one whose domain or creator the message names."""
    if len(m.item_ids) < 2 or m.year is not None:
        return m

    def fits(iid: str) -> bool:
        it = catalog.get(iid)
        if it is None:
            return False
        by = bool(it.creator) and any(c.lower() in (it.creator or "").lower() for c in creators)
        return by or (dom is not None and it.domain == dom)

    ids = [i for i in m.item_ids if fits(i)]
    if not ids or ids[0] == m.item_ids[0]:
        return m
    return Match(tuple(ids + [i for i in m.item_ids if i not in ids]), m.start, m.end, m.score, m.surface, m.year)


__all__ = ["prefer_version", "resolve_overlaps"]
