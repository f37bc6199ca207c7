"""Finding catalog titles and creator names in a message, with typos, moved articles and years.

Built once per catalog. Lookup cost is bounded by the message, not the catalog: exact n-gram keys
hit a dict; fuzzy matching first maps each message word to similar title words (one rapidfuzz
``cdist`` over the title-word vocabulary), and only titles sharing such a word are compared whole.
That keeps a 10k-item catalog about as fast as a 350-item one.

Titles made only of common words ("Heat", "Big", "Up", "The Room") are ambiguous with ordinary
speech, so they match only when the text marks them as a title: capitalized (not merely at the start
of a sentence), quoted, or right after a cue word like "loved", "seen", "about".
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from core.nlu.common_words import WordRanks
from core.nlu.normalize import Token, fold, tokenize
from core.recommend.catalog import Catalog, Item

ARTICLES = frozenset({"the", "a", "an"})
STOP = frozenset(
    "the a an of and or in on at to for with by from is it its my me i you your this that".split()
)
CUES = frozenset(
    """like liked likes love loved loves enjoyed enjoy adored hated hate disliked seen saw watched watch
    watching rewatched read reading finished about than remember tried started""".split()
)
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")
COMMON_TOP = 9000  # a one-word title whose word is among the top-N words needs a title signal
VERY_COMMON_TOP = 2500  # "the road", "the help": article + a very common word also needs one
PAIR_TOP = 1000  # a two-word title whose words are both this common ("get out", "inside out") needs one
FUNCTION_TOP = 300  # "It is...", "Her name..." at a sentence start are grammar, never a title cue
_OCCASION_CUES = frozenset({"for", "on", "at", "during", "this", "next", "over"})
_FOLLOWS = frozenset({"was", "is", "were", "and", "or", "has", "had", "vs", "versus", "made", "got"})


def title_key(text: str) -> tuple[str, ...]:
    """Folded tokens with a leading (or trailing ", The") article dropped and roman numerals as digits."""
    toks = fold(text).split()
    if len(toks) > 1 and toks[-1] in ARTICLES and "," in text[-6:]:
        toks = toks[:-1]  # "Matrix, The"
    if len(toks) > 1 and toks[0] in ARTICLES:
        toks = toks[1:]
    return tuple(_ROMAN.get(t, t) for t in toks)


@dataclass(frozen=True, slots=True)
class Match:
    item_ids: tuple[str, ...]  # best first (a title shared by remakes lists all; a creator lists one)
    start: int  # token span [start, end) in the message
    end: int
    score: float
    surface: str
    year: int | None = None  # a year written right after the title ("Matrix 1999")


class _Entry:
    __slots__ = ("key", "text", "ids", "risky", "alias", "article_ok", "strict")

    def __init__(self, key: tuple[str, ...], ids: list[str], risky: bool, alias: bool,
                 article_ok: bool = False, strict: bool = False) -> None:
        self.key, self.text, self.ids, self.risky, self.alias = key, " ".join(key), ids, risky, alias
        # strict: only quotes or a capital count as a title signal (cue words do not)
        self.strict = strict
        # "the matrix" typed with the title's own article is signal enough for a moderately common word.
        self.article_ok = article_ok


class PhraseIndex:
    """Exact + fuzzy n-gram lookup of multi-word keys (titles or names) in tokenized text."""

    def __init__(self, entries: dict[tuple[str, ...], _Entry], min_fuzzy_len: int = 5) -> None:
        self.entries = entries
        self.max_len = max((len(k) for k in entries), default=1)
        self.min_fuzzy_len = min_fuzzy_len
        self._entry_list = list(entries.values())
        by_word: dict[str, set[int]] = defaultdict(set)
        for i, e in enumerate(self._entry_list):
            for w in e.key:
                if w not in STOP:
                    by_word[w].add(i)
        self._words = list(by_word)
        self._word_entries = [sorted(by_word[w]) for w in self._words]

    def _fuzzy_candidates(self, toks: list[str]) -> dict[int, set[int]]:
        """entry index -> message token positions holding a word similar to one of its words."""
        positions: dict[str, list[int]] = defaultdict(list)
        for i, t in enumerate(toks):
            if len(t) >= 4 and t not in STOP:
                positions[t].append(i)
        out: dict[int, set[int]] = defaultdict(set)
        if not positions or not self._words:
            return out
        queries = list(positions)
        sims = process.cdist(queries, self._words, scorer=fuzz.ratio, score_cutoff=78, dtype=np.uint8)
        for qi, wi in zip(*np.nonzero(sims), strict=True):
            for ei in self._word_entries[wi]:
                out[ei].update(positions[queries[qi]])
        return out

    def find(self, toks: list[str], cutoff: float = 86.0) -> list[tuple[int, int, float, _Entry]]:
        """All (start, end, score, entry) hits, overlapping; callers pick a consistent subset."""
        hits: list[tuple[int, int, float, _Entry]] = []
        n = len(toks)
        norm = [_ROMAN.get(t, t) for t in toks]
        for i in range(n):
            for j in range(i + 1, min(n, i + self.max_len) + 1):
                e = self.entries.get(tuple(norm[i:j]))
                if e is not None:
                    hits.append((i, j, 100.0, e))
        for ei, pos in self._fuzzy_candidates(norm).items():
            e = self._entry_list[ei]
            if len(e.text) < self.min_fuzzy_len:
                continue
            k = len(e.key)
            starts = {p - d for p in pos for d in range(k)}
            for i in starts:
                for j in (i + k - 1, i + k, i + k + 1):
                    if i < 0 or j > n or j <= i:
                        continue
                    gram = " ".join(norm[i:j])
                    if gram == e.text:
                        continue  # exact hits are already in
                    s = fuzz.ratio(gram, e.text, score_cutoff=cutoff)
                    if s and _words_align(norm[i:j], e.key):
                        hits.append((i, j, float(s), e))
        return hits


def _words_align(gram: list[str], key: tuple[str, ...]) -> bool:
    """Every content word of the key has a close word in the text span: a string-level ratio alone would
    let "in the mood for a (heist movie)" pass for "In the Mood for Love"."""
    return all(any(w == g or fuzz.ratio(w, g) >= 75 for g in gram) for w in key if w not in STOP)


def _quoted(text: str, tokens: list[Token], i: int, j: int) -> bool:
    before = text[max(0, tokens[i].start - 1) : tokens[i].start]
    after = text[tokens[j - 1].end : tokens[j - 1].end + 1]
    return before in {'"', "'"} and after in {'"', "'"}


def _capitalized(text: str, tokens: list[Token], i: int, j: int) -> bool:
    words = [t.text for t in tokens[i:j] if t.low not in STOP or t is tokens[i]]
    if not all(w[:1].isupper() for w in words):
        return False
    if text.isupper() or text.istitle() and len(tokens) > 3:
        return False  # SHOUTING or Title Case Everywhere says nothing about titles
    sentence_start = i == 0 or text[: tokens[i].start].rstrip()[-1:] in {".", "!", "?", ":", "\n"}
    # At the start of a sentence a capital is just grammar, unless the title has several words.
    return not sentence_start or j - i > 1


def has_title_signal(text: str, tokens: list[Token], i: int, j: int, ranks: WordRanks) -> bool:
    if _quoted(text, tokens, i, j) or _capitalized(text, tokens, i, j):
        return True
    if j - i == 1 and ranks.is_common(tokens[i].low, FUNCTION_TOP):
        return False  # "loved it", "seen her": for "It"/"Her"/"Up" only quotes or a capital will do
    if tokens[i].text[:1].isupper() and text[tokens[j - 1].end :].lstrip()[:1] in {"?", "!", ".", ""} and (
            i == 0 or text[: tokens[i].start].rstrip()[-1:] in {".", "!", "?", ":"}):
        return True  # a capitalized sentence of its own: "Heat? seen it, loved it"
    # "Alien and Aliens were great", "Heat was long": a capital at a sentence start, then a verb or a list.
    if (tokens[i].text[:1].isupper() and j < len(tokens) and tokens[j].low in _FOLLOWS
            and not ranks.is_common(tokens[i].low, FUNCTION_TOP) and not text.isupper()):
        return True
    k = i - 1
    if k >= 0 and tokens[k].low in ARTICLES:
        k -= 1
    if k >= 0 and tokens[k].low in CUES:
        return True
    # "what is heat about", "is heat any good"
    return j < len(tokens) and tokens[j].low == "about" and i > 0 and tokens[i - 1].low in {"is", "was"}


class TitleIndex:
    def __init__(self, catalog: Catalog, ranks: WordRanks) -> None:
        self.catalog = catalog
        self.ranks = ranks
        groups: dict[tuple[str, ...], list[Item]] = defaultdict(list)
        aliases: dict[tuple[str, ...], list[Item]] = defaultdict(list)
        for it in catalog:
            key = title_key(it.title)
            if not key:
                continue
            groups[key].append(it)
            if ":" in it.title:  # "Star Wars: A New Hope" is also said as either half
                for part in it.title.split(":", 1):
                    pk = title_key(part)
                    if pk and pk != key and self._alias_ok(pk):
                        aliases[pk].append(it)
        self._short_names(groups, aliases)
        entries: dict[tuple[str, ...], _Entry] = {}
        for key, items in aliases.items():
            items.sort(key=lambda x: -x.popularity)
            # A one-word short name ("Shawshank") always needs a title signal: it is a plain word too.
            risky = len(key) == 1 or self._risky(key)
            entries[key] = _Entry(key, [x.item_id for x in dict.fromkeys(items)], risky, alias=True,
                                  strict=len(key) == 1)
        for key, items in groups.items():
            items.sort(key=lambda x: -x.popularity)
            article = any(fold(x.title).split()[0] in ARTICLES for x in items)
            article_ok = article and not all(self.ranks.is_common(w, VERY_COMMON_TOP) for w in key)
            entries[key] = _Entry(key, [x.item_id for x in items], self._risky(key), False, article_ok)
        self.index = PhraseIndex(entries)

    def _short_names(self, groups: dict[tuple[str, ...], list[Item]],
                     aliases: dict[tuple[str, ...], list[Item]]) -> None:
        """How people shorten long titles: the opening words ("Eternal Sunshine", "Harry Potter") and a
        rare word no other title has ("Shawshank", "Azkaban")."""
        word_titles: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        for key in groups:
            for w in key:
                word_titles[w].add(key)
        for key, items in groups.items():
            content = [w for w in key if w not in STOP]
            if len(key) >= 4 and len(content) >= 3:
                head = key[:2]
                if (all(w not in STOP and len(w) >= 3 for w in head) and head not in groups and self._alias_ok(head)
                        and not all(self.ranks.is_common(w, VERY_COMMON_TOP) for w in head)):
                    aliases[head].extend(items)
            for w in content:
                if (len(w) >= 6 and len(key) > 1 and len(word_titles[w]) == 1 and w.isalpha()
                        and not self.ranks.is_common(w, COMMON_TOP) and (w,) not in groups):
                    aliases[(w,)].extend(items)

    def _risky(self, key: tuple[str, ...]) -> bool:
        """Could these words turn up in ordinary speech? One common word: yes ("heat", "big"). Two
        everyday words: yes ("get out", "about time"). Three or more: only if all are function words."""
        content = [w for w in key if w not in STOP]
        if not content:
            return True
        if len(key) == 1:
            return self.ranks.is_common(key[0], COMMON_TOP) or len(key[0]) <= 3
        if len(content) == 1 and len(key) == 2:
            return self.ranks.is_common(content[0], COMMON_TOP)
        if len(key) == 2:
            return all(self.ranks.is_common(w, PAIR_TOP) for w in key)
        return all(self.ranks.is_common(w, FUNCTION_TOP) for w in key)

    def _alias_ok(self, key: tuple[str, ...]) -> bool:
        """Half a title is a name on its own only when distinctive ("Fury Road", not "Part Two" or "2001")."""
        if any(w.isdigit() for w in key) or key[0] in {"part", "volume", "vol", "chapter", "episode", "book"}:
            return False
        return len(key) > 1 or not self.ranks.is_common(key[0], VERY_COMMON_TOP)

    def find(self, text: str, tokens: list[Token] | None = None) -> list[Match]:
        tokens = tokens if tokens is not None else tokenize(text)
        toks = [t.low for t in tokens]
        hits = self.index.find(toks)
        accepted: list[tuple[int, int, float, _Entry]] = []
        for i, j, score, e in hits:
            # A leading article in the text belongs to the title ("the matrix" covers "the").
            if e.strict and not (_quoted(text, tokens, i, j) or tokens[i].text[:1].isupper()):
                continue  # "the haunting atmosphere" is not "The Haunting of Hill House"
            if e.risky and not has_title_signal(text, tokens, i, j, self.ranks):
                if not (e.article_ok and i > 0 and toks[i - 1] in ARTICLES) and not self._year_follows(e, toks, j):
                    continue
            if score < 100 and (e.risky or _is_plain_word(toks[i:j], self.ranks)):
                continue  # a typo'd common word is just a word
            if (len(e.key) == 1 and i > 0 and toks[i - 1] in _OCCASION_CUES and not tokens[i].text[:1].isupper()):
                continue  # "for halloween", "on christmas": an occasion, not the film
            accepted.append((i, j, score - (3 if e.alias else 0), e))
        return [self._to_match(text, tokens, h) for h in _non_overlapping(accepted)]

    def _year_follows(self, e: _Entry, toks: list[str], j: int) -> bool:
        """"Matrix 1999": the item's own year right after the words marks them as its title."""
        if j >= len(toks) or not _YEAR.match(toks[j]):
            return False
        return any((it := self.catalog.get(x)) is not None and it.year == int(toks[j]) for x in e.ids)

    def _to_match(self, text: str, tokens: list[Token], hit: tuple[int, int, float, _Entry]) -> Match:
        i, j, score, e = hit
        if i > 0 and tokens[i - 1].low in ARTICLES:
            i -= 1
        ids = list(e.ids)
        year = None
        if j < len(tokens) and _YEAR.match(tokens[j].low):
            y = int(tokens[j].low)
            by_year = [x for x in ids if (it := self.catalog.get(x)) is not None and it.year == y]
            if by_year:  # "Matrix 1999" / "It (2017)": the year picks the version and is consumed
                ids = by_year + [x for x in ids if x not in by_year]
                year, j = y, j + 1
        surface = text[tokens[i].start : tokens[j - 1].end]
        return Match(tuple(ids), i, j, score, surface, year)


def _is_plain_word(toks: list[str], ranks: WordRanks) -> bool:
    return len(toks) == 1 and ranks.is_common(toks[0], COMMON_TOP)


def _non_overlapping(hits: list[tuple[int, int, float, _Entry]]) -> list[tuple[int, int, float, _Entry]]:
    """Greedy: best score, then longest span, then most popular; later hits may not overlap."""
    taken: list[tuple[int, int, float, _Entry]] = []
    for h in sorted(hits, key=lambda h: (-h[2], -(h[1] - h[0]), h[0])):
        if all(h[1] <= t[0] or h[0] >= t[1] for t in taken):
            taken.append(h)
    return sorted(taken, key=lambda h: h[0])


class CreatorIndex:
    """Director/author names: full names, and surnames when one creator owns them."""

    def __init__(self, catalog: Catalog, ranks: WordRanks) -> None:
        counts: dict[str, int] = defaultdict(int)
        for it in catalog:
            for name in _split_creators(it.creator):
                counts[name] += 1
        by_last: dict[str, list[str]] = defaultdict(list)
        entries: dict[tuple[str, ...], _Entry] = {}
        for name in counts:
            key = tuple(fold(name).split())
            if not key:
                continue
            entries[key] = _Entry(key, [name], risky=False, alias=False)
            if len(key) > 1:
                by_last[key[-1]].append(name)
        for last, names in by_last.items():
            if (last,) in entries or len(last) < 3:
                continue
            names.sort(key=lambda n: -counts[n])
            # Shared surnames ("Lee": Ang, Spike, Harper) go to the creator with most items.
            entries[(last,)] = _Entry((last,), names[:1], risky=ranks.is_common(last, COMMON_TOP), alias=True)
        self.index = PhraseIndex(entries, min_fuzzy_len=6)

    def find(self, text: str, tokens: list[Token]) -> list[Match]:
        toks = [t.low for t in tokens]
        out: list[tuple[int, int, float, _Entry]] = []
        for i, j, score, e in self.index.find(toks, cutoff=85.0):
            by_cue = i > 0 and toks[i - 1] in {"by", "from", "like", "than"}
            if e.risky and not (by_cue or _capitalized(text, tokens, i, j)):
                continue
            if score < 100 and len(e.key) == 1 and not by_cue and not tokens[i].text[:1].isupper():
                continue  # a typo'd lone surname needs some evidence it is a name
            out.append((i, j, score - (2 if e.alias else 0), e))
        return [Match(tuple(e.ids), i, j, s, text[tokens[i].start : tokens[j - 1].end])
                for i, j, s, e in _non_overlapping(out)]


def _split_creators(creator: str | None) -> list[str]:
    if not creator:
        return []
    return [p.strip() for p in re.split(r"\s*(?:,|&|\band\b|;)\s*", creator) if p.strip()]


def genre_word_titles(text: str, tokens: list[Token], found: list[Match], genre_words: frozenset[str]
                      ) -> tuple[list[Match], list[str]]:
    """Drop titles that are only genre words in lower case: "a movie about aliens" asks for the aliens
    tag, not for Aliens (1986). A capital or quotes keep them ("I loved Aliens"). Returns the kept
    matches and the item ids left out (words that only resemble a title)."""
    keep: list[Match] = []
    dropped: list[str] = []
    for m in found:
        words = [t.low for t in tokens[m.start : m.end] if t.low not in ARTICLES]
        genre_like = bool(words) and all(w in genre_words or w.rstrip("s") in genre_words
                                         or w + "s" in genre_words for w in words)
        first = tokens[m.start]
        marked = text[max(0, first.start - 1) : first.start] in {'"', "'", "*", "_"} or any(
            t.text[:1].isupper() for t in tokens[m.start : m.end] if t.low not in ARTICLES)
        if genre_like and not marked:
            dropped.append(m.item_ids[0])
            continue
        keep.append(m)
    return keep, dropped
