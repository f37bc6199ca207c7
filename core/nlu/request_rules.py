"""How one message's genre and era words become the request's hard constraints.

* An explicit year beats a relative era said with it: "older ones please, before 1980" is "up to
  1979", not "older than what was just shown" (which the dialogue turns into a bound of its own).
* An exclusion covers the genre's near-synonyms in the catalog's vocabulary: "isn't scary" keeps out
  horror as well as items tagged scary, "no romance" keeps out the romantic tag too. The families are
  deliberately tight (same meaning, or a narrower kind: a zombie film is horror).
* A wanted genre the asked domain never carries is widened to its synonyms that domain does carry:
  books are tagged funny/humor, never "comedy", so "a comedy book" asks for those. Only then: for a
  film, "comedy" stays exactly the genre.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.recommend.catalog import Catalog

FEW = 3  # fewer items than this carrying both a mood and a genre: the mood only orders the list

# Relative era critiques (core/nlu/lexicon.py COMPARATIVES: "older" -> old, "newer" -> recent).
ERA_TERMS = frozenset({"old", "older", "recent", "new", "newer", "modern", "classic-era"})

# Words that mean the same genre or mood; folded to lower case, matched against the vocabulary.
FAMILIES: tuple[frozenset[str], ...] = tuple(frozenset(f) for f in (
    {"comedy", "comedies", "funny", "humor", "humour", "humorous", "comedic"},
    {"romance", "romantic", "romances"},
    {"horror", "scary"},
    {"animation", "animated"},
    {"family", "family-friendly"},
    {"mystery", "mysteries", "detective"},
    {"sci-fi", "science fiction", "science-fiction"},
    {"nonfiction", "non-fiction"},
    {"tearjerker", "sad"},
    {"true-story", "true story", "biography"},
))
# Kinds of a genre: excluding the genre excludes them too ("no violence" keeps out gore).
NARROWER: dict[str, tuple[str, ...]] = {
    "horror": ("zombies", "vampires", "slasher"), "scary": ("zombies", "vampires", "slasher"),
    "violent": ("gory",), "violence": ("gory",), "comedy": ("satirical",), "funny": ("satirical",),
}


# A wish for more of a mood is also a wish for less of its opposite: "lighter" after horror means
# nothing dark or gory, not dark films that happen to be tagged light.
IMPLIED_LESS: dict[str, tuple[str, ...]] = {"light": ("dark", "gory"), "lighthearted": ("dark", "gory")}


def with_implied(critiques: list[str]) -> list[str]:
    """The critiques plus the "less" ones a "more" implies (IMPLIED_LESS), unless asked otherwise."""
    out = list(critiques)
    asked = {c.lstrip("+-") for c in critiques}
    for c in critiques:
        if c.startswith("+"):
            out += [f"-{x}" for x in IMPLIED_LESS.get(c[1:], ()) if x not in asked]
    return list(dict.fromkeys(out))


_OR_GAP = re.compile(r"^\s*,?\s*(?:or|and/or|/)\s*(?:(?:a|an|some|maybe|perhaps|even|else)\s+)*$", re.I)


def or_joined(gap: str) -> bool:
    """The words between two genre words offer a choice ("memoir or a biography", "horror/thriller"):
    they form one group, either will do, instead of two that must both match."""
    return bool(_OR_GAP.match(gap))


# What a domain calls a genre it never uses: a crime novel is tagged detective/noir/mystery, a drama
# on paper is literary fiction, a documentary's book is nonfiction. Used only when the asked domain
# carries none of the genre's own terms (widen_for_domain), never for exclusions.
STAND_INS: dict[str, tuple[str, ...]] = {
    "crime": ("detective", "noir", "mystery"), "action": ("fast-paced", "adventure"),
    "drama": ("literary fiction",), "documentary": ("nonfiction",), "animation": ("graphic novel",),
    "literary fiction": ("drama",), "nonfiction": ("documentary", "true-story"), "memoir": ("true-story",),
    "biography": ("true-story",), "historical fiction": ("historical",), "history": ("historical",),
    "young adult": ("coming-of-age", "high-school"), "children": ("family-friendly", "family"),
    "family-friendly": ("children",), "poetry": (), "heist": ("crime",),
}


def drop_relative_era(critiques: list[str], year_lo: int | None, year_hi: int | None) -> list[str]:
    """Without the era critiques when the message gives a year bound of its own."""
    if year_lo is None and year_hi is None:
        return critiques
    return [c for c in critiques if c.lstrip("+-") not in ERA_TERMS]


def _family(term: str) -> set[str]:
    low = term.lower()
    out = {low}
    for fam in FAMILIES:
        if low in fam:
            out |= fam
    return out


def _covered(term: str) -> set[str]:
    wide = _family(term)
    for w in list(wide):
        wide.update(NARROWER.get(w, ()))
    return wide


def exclusion_heads(terms: Iterable[str]) -> list[str]:
    """The exclusions as said: each term that an earlier one does not already cover ("scary", not
    "scary, horror, zombies"), so a reply names what the person asked to keep out."""
    heads: list[str] = []
    covered: set[str] = set()
    for term in terms:
        if term.lower() not in covered:
            heads.append(term)
            covered |= _covered(term)
    return heads


class TagFamilies:
    """The catalog-side half: which vocabulary terms exist, and in which domain."""

    def __init__(self, catalog: Catalog) -> None:
        self.vocab: dict[str, str] = {}  # lower -> as spelt in the catalog
        self.by_domain: dict[str, set[str]] = {}
        self.items: list[tuple[str, frozenset[str]]] = []  # (domain, its tags): can groups meet at all?
        self.genre_names = {g.lower() for it in catalog for g in it.genres}  # "mystery" is a kind, "cozy" a mood
        for it in catalog:
            tags = frozenset(t.lower() for t in (*it.genres, *it.tags))
            self.items.append((it.domain, tags))
            for t in (*it.genres, *it.tags):
                self.vocab.setdefault(t.lower(), t)
                self.by_domain.setdefault(it.domain, set()).add(t.lower())

    def meeting(self, groups: list[tuple[str, ...]], domain: str | None) -> int:
        """How many items (of the domain) carry a term of every group."""
        want = [{t.lower() for t in g} for g in groups]
        return sum(1 for d, tags in self.items if (domain is None or d == domain) and all(tags & w for w in want))

    def soften_moods(self, groups: list[tuple[str, ...]], moods: list[tuple[str, tuple[str, ...]]],
                     domain: str | None) -> tuple[list[tuple[str, ...]], list[str]]:
        """(groups, extra critiques): when (almost) nothing is both the mood and the genre ("a cozy
        mystery novel"), the mood word ((word, its group) pairs) orders the genre's items ("+cozy")
        instead of filtering them down to nothing."""
        moods = [(w, terms) for w, terms in moods if w not in self.genre_names]
        soft = {tuple(self.widen_for_domain(terms, domain)) for _w, terms in moods}
        n = self.meeting(groups, domain) if len(groups) > 1 and soft and len(soft) < len(groups) else FEW
        if n >= FEW:
            return groups, []
        # With none at all the mood is dropped rather than restated ("funnier") over a list it is untrue of.
        return [g for g in groups if g not in soft], (["+" + w for w, _t in moods] if n else [])

    def exclusions(self, terms: Iterable[str]) -> tuple[str, ...]:
        """The excluded terms with their near-synonyms and narrower kinds, as the catalog spells them."""
        out: list[str] = []
        for term in terms:
            out.append(term)
            out.extend(self.vocab[w] for w in sorted(_covered(term)) if w in self.vocab)
        return tuple(dict.fromkeys(out))

    def fits_domain(self, groups: Iterable[Iterable[str]], domain: str | None) -> bool:
        """Every group has a term the domain carries ("a memoir" does not fit films: no film is tagged so)."""
        have = self.by_domain.get(domain or "", set())
        return all(any(t.lower() in have for t in g) for g in groups)

    def widen_for_domain(self, group: tuple[str, ...], domain: str | None) -> tuple[str, ...]:
        """A wanted group the domain never carries, plus its synonyms that the domain does carry."""
        have = self.by_domain.get(domain or "", set())
        if not have or any(t.lower() in have for t in group):
            return group
        extra = [self.vocab[w] for t in group for w in sorted(_family(t)) if w in have]
        if not extra:  # no synonym there either: what that domain calls it ("crime" books: detective, noir)
            extra = [self.vocab[w] for t in group for w in STAND_INS.get(t.lower(), ()) if w in have]
        return tuple(dict.fromkeys([*group, *extra]))

    def widen_request(self, genres: list[str], groups: list[list[str]], domain: str | None
                      ) -> tuple[list[str], list[list[str]]]:
        """The accumulated request's genres widened for its domain: "a detective novel", then "movies
        instead" looks for mystery films (no film is tagged detective)."""
        wide = [list(self.widen_for_domain(tuple(g), domain)) for g in groups]
        extra = [t for g in wide for t in g if t not in genres]
        return ([*genres, *extra] if genres else genres), wide


__all__ = ["ERA_TERMS", "FAMILIES", "NARROWER", "STAND_INS", "TagFamilies", "drop_relative_era", "exclusion_heads", "or_joined", "with_implied"]
