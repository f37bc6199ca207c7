"""Title normalisation and matching across sources ("Matrix, The (1999)" == "The Matrix (1999)").

Used to map an imported interaction log (MovieLens ratings.csv) onto catalog items, and by the
ReDial benchmark to map its movie names onto MovieLens. Exact (normalised title, year) first, then
the same title within a year of tolerance, then a rapidfuzz near match within the same year.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from rapidfuzz import fuzz, process

_YEAR_RE = re.compile(r"\s*\((\d{4})(?:[-–]\d{0,4})?\)\s*$")
_PAREN_RE = re.compile(r"\s+\(([^()]*)\)\s*$")
# MovieLens and other catalogs move leading articles to the end: "Usual Suspects, The".
_SUBTITLE_RE = re.compile(r":| - | – ")
# A credit in front of the title people use: "National Lampoon's Van Wilder", "Dr. Seuss' The Lorax".
_POSSESSIVE_RE = re.compile(r"^(?:[\w.&-]+ ){0,3}[\w.&-]+(?:'s|s') ")
_EPISODE_RE = re.compile(r"\bepisode [ivx]+\b ?")
_ARTICLES = ("the", "a", "an", "les", "la", "le", "l'", "il", "el", "das", "der", "die", "los", "las")
_TRAILING_ARTICLE_RE = re.compile(r"^(.*),\s*(" + "|".join(re.escape(a) for a in _ARTICLES) + r")$", re.I)


def split_title_year(raw: str) -> tuple[str, int | None]:
    """'Toy Story 2 (1999)' -> ('Toy Story 2', 1999); no year -> (title, None)."""
    s = raw.strip()
    m = _YEAR_RE.search(s)
    if not m:
        return s, None
    return s[: m.start()].strip(), int(m.group(1))


def title_variants(title: str) -> list[str]:
    """Display forms of one title: the main one plus parenthesised alternatives ("a.k.a. Se7en").

    'Seven (a.k.a. Se7en)' -> ['Seven', 'Se7en']; 'Postman, The (Postino, Il)' -> ['The Postman', 'Il Postino'].
    """
    out: list[str] = []
    s = title.strip()
    while True:
        m = _PAREN_RE.search(s)
        if not m:
            break
        alt = re.sub(r"^(a\.k\.a\.|aka)\s*", "", m.group(1).strip(), flags=re.I)
        if alt:
            out.append(_front_article(alt))
        s = s[: m.start()].strip()
    return [_front_article(s), *out] if s else out


def _front_article(s: str) -> str:
    m = _TRAILING_ARTICLE_RE.match(s.strip())
    if not m:
        return s.strip()
    art = m.group(2)
    return f"{art}{'' if art.endswith(chr(39)) else ' '}{m.group(1).strip()}"


def normalize_title(title: str) -> str:
    """Lower-case, accent-free, punctuation-free key with the article in front and '&' as 'and'."""
    s = _front_article(title)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = s.replace("&", " and ")
    s = re.sub(r"[^\w\s]", " ", s)
    s = re.sub(r"\bvolume\b", "vol", s)
    s = _EPISODE_RE.sub("", s)  # "Star Wars: Episode VIII - The Last Jedi" == "Star Wars: The Last Jedi"
    s = re.sub(r"\s+", " ", s).strip()
    # Sources disagree on leading articles ("Hangover (2010)" vs "Hangover, The (2009)"): keys drop them.
    stripped = re.sub(r"^(the|a|an) ", "", s)
    return stripped or s


def display_title(raw: str) -> tuple[str, int | None]:
    """A source title as people write it: 'Matrix, The (1999)' -> ('The Matrix', 1999)."""
    title, year = split_title_year(raw)
    variants = title_variants(title)
    return (variants[0] if variants else title), year


@dataclass
class TitleMatcher:
    """Index of (key, raw title, year) for matching titles from another source.

    Matching order, most to least certain: exact normalised title and year; same title within a year;
    the other title starting with this one in the same year ("Jumanji (2017)" -> "Jumanji: Welcome to
    the Jungle (2017)"); a rapidfuzz near match in the same year; with no or a wrong year, the same
    title in any year, preferring the heaviest entry (weight = e.g. number of ratings).
    """

    fuzzy_cutoff: float = 92.0
    max_year_gap: int = 15

    def __post_init__(self) -> None:
        self._exact: dict[tuple[str, int | None], str] = {}
        self._by_title: dict[str, list[tuple[int | None, str]]] = {}
        self._by_year: dict[int | None, list[tuple[str, str]]] = {}
        self._weight: dict[str, float] = {}
        self._heads: dict[tuple[str, int | None], list[str]] = {}
        self._heads_any: dict[str, list[str]] = {}
        self._tails: dict[tuple[str, int | None], list[str]] = {}

    @classmethod
    def build(cls, entries: Iterable[tuple[str, str, int | None]], fuzzy_cutoff: float = 92.0,
              weights: dict[str, float] | None = None) -> TitleMatcher:
        m = cls(fuzzy_cutoff=fuzzy_cutoff)
        for key, title, year in entries:
            m.add(key, title, year, (weights or {}).get(key, 0.0))
        return m

    def add(self, key: str, title: str, year: int | None, weight: float = 0.0) -> None:
        self._weight[key] = max(weight, self._weight.get(key, 0.0))
        for variant in title_variants(title) or [title]:
            norm = normalize_title(variant)
            if not norm:
                continue
            prev = self._exact.get((norm, year))
            # Duplicate titles in one year: keep the heavier (better-known) entry, else the first.
            if prev is None or self._weight.get(prev, 0.0) < weight:
                self._exact[(norm, year)] = key
            self._by_title.setdefault(norm, []).append((year, key))
            self._by_year.setdefault(year, []).append((norm, key))
            # Subtitle heads: "Avengers: Infinity War - Part I" is found as "Avengers: Infinity War".
            for m in _SUBTITLE_RE.finditer(variant):
                head = normalize_title(variant[: m.start()])
                # "Dr. Strangelove or: How I Learned to Stop Worrying..." is known as "Dr. Strangelove".
                for h in {head, re.sub(r" or$", "", head)}:
                    if len(h) >= 4:
                        self._heads.setdefault((h, year), []).append(key)
                        self._heads_any.setdefault(h, []).append(key)
                self._add_tail(variant[m.end():], year, key)
            credit = _POSSESSIVE_RE.match(variant)
            if credit:
                self._add_tail(variant[credit.end():], year, key)

    def _add_tail(self, tail: str, year: int | None, key: str) -> None:
        """The title after a series name or credit ("Star Wars: Episode V - The Empire Strikes Back",
        "Lee Daniels' The Butler"): people often name a film by it alone. Only tails of two words or
        more and five letters or more: "Schindler's List" is not known as "List"."""
        norm = normalize_title(tail)
        if len(tail.split()) >= 2 and len(norm) >= 5:
            self._tails.setdefault((norm, year), []).append(key)

    def _heaviest(self, keys: Iterable[str]) -> str | None:
        best: str | None = None
        for k in keys:
            if best is None or self._weight.get(k, 0.0) > self._weight.get(best, 0.0):
                best = k
        return best

    def match(self, title: str, year: int | None) -> str | None:
        """Key of the best match for a title (without year suffix) and year, or None."""
        title = unquote(title)
        variants = [v for v in (normalize_title(v) for v in (title_variants(title) or [title])) if v]
        if not variants:
            return None
        for norm in variants:
            if (norm, year) in self._exact:
                return self._exact[(norm, year)]
        if year is not None:
            for norm in variants:
                close = [(abs(y - year), k) for y, k in self._by_title.get(norm, [])
                         if y is not None and abs(y - year) <= 1]
                if close:
                    return min(close)[1]
            for norm in variants:
                pre = [k for y in (year, year - 1, year + 1) for k in self._heads.get((norm, y), [])]
                if pre:
                    return self._heaviest(pre)
            for norm in variants:  # only with a year: a tail alone ("The Butler") is too common a title
                post = [k for y in (year, year - 1, year + 1) for k in self._tails.get((norm, y), [])]
                if post:
                    return self._heaviest(post)
            pool = self._by_year.get(year, [])
            if pool:
                names = [n for n, _ in pool]
                for norm in variants:
                    hit = process.extractOne(norm, names, scorer=fuzz.token_sort_ratio,
                                             score_cutoff=self.fuzzy_cutoff)
                    if hit is not None:
                        return pool[hit[2]][1]
        # No year, or a wrong one (ReDial has "Titanic (2012)"): the same title in another year
        # not too far off, the best-known entry.
        for norm in variants:
            cands = [k for y, k in self._by_title.get(norm, [])
                     if year is None or y is None or abs(y - year) <= self.max_year_gap]
            if cands:
                return self._heaviest(cands)
        if year is None:
            for norm in variants:
                if norm in self._heads_any:
                    return self._heaviest(self._heads_any[norm])
        return None
