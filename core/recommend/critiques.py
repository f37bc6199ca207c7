"""Critiques ("-gory", "+dark", "less gory", "darker") as signed directions over the catalog.

A critique becomes (sign, term). The term is matched to the catalog's genre/tag vocabulary (items
carrying the tag move) and embedded (items whose text is close to the term move), so words outside
the vocabulary ("bleak", "cozy") still work through the embedding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NEG_PREFIX = re.compile(r"^(?:less|fewer|not so|not too|not as|not|no|without|non|un-)\s+(.+)$")
_POS_PREFIX = re.compile(r"^(?:more|extra|very|really|even more)\s+(.+)$")
# Comparatives whose base form is irregular or whose meaning is the opposite of "more X".
_IRREGULAR = {
    "better": (1, "good"), "worse": (-1, "good"), "lighter": (1, "lighthearted"), "happier": (1, "happy"),
    "shorter": (-1, "long"), "longer": (1, "long"), "older": (1, "classic"), "newer": (1, "recent"),
    "calmer": (1, "calm"), "slower": (1, "slow-paced"), "faster": (1, "fast-paced"), "weirder": (1, "weird"),
}
# Words that end in -er but are not comparatives.
_NOT_COMPARATIVE = {"thriller", "horror", "monster", "superhero", "super", "killer", "disaster", "gangster",
                    "wonder", "danger", "murder", "mystery", "other", "after", "ever", "never", "under",
                    "over", "summer", "winter", "river", "power", "poker", "soccer", "cancer", "soldier"}


@dataclass(frozen=True, slots=True)
class Critique:
    sign: int  # +1 more of it, -1 less of it
    term: str  # base word or phrase ("gory", "dark")
    text: str  # how to say it back ("less gory", "darker")


def _base_of_comparative(word: str) -> str | None:
    if word in _NOT_COMPARATIVE or len(word) < 5:
        return None
    if word.endswith("ier"):
        return word[:-3] + "y"  # funnier -> funny, scarier -> scary
    if word.endswith("er"):
        stem = word[:-2]
        if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
            return stem[:-1]  # sadder -> sad, bigger -> big
        return stem  # darker -> dark
    return None


def parse_critique(raw: str) -> Critique | None:
    """'-gory' / 'less gory' -> (-1, gory); '+dark' / 'more dark' / 'darker' -> (+1, dark)."""
    s = re.sub(r"\s+", " ", raw.strip().lower()).strip(" .,!?")
    if not re.search(r"\w", s):
        return None
    if s[0] in "+-" and len(s) > 1:
        term = s[1:].strip()
        return Critique(1 if s[0] == "+" else -1, term, ("more " if s[0] == "+" else "less ") + term)
    m = _NEG_PREFIX.match(s)
    if m:
        return Critique(-1, m.group(1), s)
    m = _POS_PREFIX.match(s)
    if m:
        return Critique(1, m.group(1), s)
    if " " not in s:
        if s in _IRREGULAR:
            sign, term = _IRREGULAR[s]
            return Critique(sign, term, s)
        base = _base_of_comparative(s)
        if base:
            return Critique(1, base, s)
    return Critique(1, s, s)


def parse_critiques(raws: tuple[str, ...] | list[str]) -> list[Critique]:
    out: list[Critique] = []
    for r in raws:
        c = parse_critique(r) if isinstance(r, str) else None
        if c is not None and c.term:
            out.append(c)
    return out
