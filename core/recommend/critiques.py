"""Critiques ("-gory", "+dark", "less gory", "darker") as signed directions over the catalog.

A critique becomes (sign, term). The term is matched to the catalog's genre/tag vocabulary (items
carrying the tag move) and embedded (items whose text is close to the term move), so words outside
the vocabulary ("bleak", "cozy") still work through the embedding.

A critique is firm (said about the list: "less gory", "darker") or a leaning, written with a leading
"~" ("~+horror", "~-romance"): a taste said in passing ("I usually like horror") or read from a
whole conversation. Both weigh the blend; only a firm one removes ("less X") or leads ("more X").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

CRITIQUE_FIRST = 100.0  # "darker": of the best-fitting items, those tagged dark outrank the others

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
    firm: bool = True  # False: a leaning ("~+horror"), which never filters or reorders the list


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
    if s.startswith("~"):
        lean = parse_critique(s.lstrip("~"))
        return Critique(lean.sign, lean.term, lean.text, firm=False) if lean is not None else None
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


# (critique, items carrying its evidence tags, the tag names) -- built by the recommender.
TagEvidence = list[tuple[Critique, np.ndarray, tuple[str, ...]]]


def remove_less(mask: np.ndarray, has_of: TagEvidence, k: int) -> tuple[np.ndarray, str | None]:
    """"less X": drop every item tagged X. Returns the new mask and, when fewer than k remain, a
    sentence that says so (the list must not pretend)."""
    less = [(c, h) for c, h, _ in has_of if c.sign < 0 and c.firm]
    for _c, h in less:
        mask = mask & ~h
    if not less or int(mask.sum()) >= k:
        return mask, None
    words = " and ".join(c.text for c, _ in less)
    if not mask.any():
        return mask, f"I have nothing {words} that also fits the rest of your request; try dropping a constraint"
    return mask, f"only {int(mask.sum())} of my picks are {words} and fit the rest of your request"


def put_more_first(scores: np.ndarray, cand: np.ndarray, has_of: TagEvidence, k: int,
                   relevance: np.ndarray | None = None) -> tuple[np.ndarray, str | None]:
    """"more X": among the candidates that fit the rest of the request best, every one tagged X
    outranks every other; says so when fewer than k of them have it.

    "Fit the rest" is the top `more_pool(k)` by `relevance` (the score of the request without its
    "more X" critiques; default the score): "lighter" after a list like Alien means lighter films like
    Alien, not every light film in the catalog ahead of them (which would make "like Alien" false).
    """
    firm = [(c, h) for c, h, _ in has_of if c.sign > 0 and c.firm]
    if not firm:
        return scores, None
    rel = scores if relevance is None else relevance
    p = more_pool(k)
    in_pool = np.zeros(scores.size, dtype=bool)
    in_pool[np.argpartition(-rel, p - 1)[:p] if p < rel.size else slice(None)] = True
    note = None
    for c, h in firm:
        lead = h[cand] & in_pool
        scores = scores + CRITIQUE_FIRST * lead
        n_fit = int(lead.sum())
        if n_fit < k:
            note = (f"only {n_fit} of the picks that fit are {c.text}; they come first" if n_fit
                    else f"none of the picks that fit is {c.text}; here are the closest")
    return scores, note


def more_pool(k: int) -> int:
    """How many of the best-fitting candidates a "more X" critique reorders."""
    return max(3 * k, 15)
