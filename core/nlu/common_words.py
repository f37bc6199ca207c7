"""How common an English word is, to tell the title "Heat" from the word "heat".

The bundled embedding package ships BERT's uncased WordPiece vocabulary, whose whole-word entries
(after the reserved and single-character block) are in corpus-frequency order. That gives a free,
offline frequency rank for ~20k words without another dependency or data file. If the package is
missing, a small built-in list of function words keeps the parser safe (it just matches fewer
lowercase one-word titles).
"""

from __future__ import annotations

from pathlib import Path

# First whole-word entry ("the") in bert-base-uncased's vocab.txt; lines before are reserved/chars.
_FIRST_WORD_LINE = 1996

FALLBACK = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours out over own same she should so
    some such than that the their theirs them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your yours
    big up heat her us it drive crash room signs speed home alone inside get go love good bad new old
    day night man woman life time world girl boy war king""".split()
)


class WordRanks:
    """rank(word) -> 0-based frequency rank, or a large number for words outside the list."""

    UNKNOWN = 10**9

    def __init__(self, ranks: dict[str, int]) -> None:
        self._ranks = ranks

    @classmethod
    def load(cls) -> WordRanks:
        try:
            from core.embedding import bundled_minilm_path

            path: Path = bundled_minilm_path() / "vocab.txt"
            lines = path.read_text(encoding="utf-8").splitlines()
        except (RuntimeError, OSError):
            return cls({w: i for i, w in enumerate(sorted(FALLBACK))})
        ranks: dict[str, int] = {}
        for i, w in enumerate(lines[_FIRST_WORD_LINE:]):
            if w.isalpha() and w.isascii() and len(w) > 1 and w not in ranks:
                ranks[w] = i
        for w in ("a", "i"):
            ranks.setdefault(w, 0)
        return cls(ranks)

    def rank(self, word: str) -> int:
        return self._ranks.get(word, self.UNKNOWN)

    def is_common(self, word: str, top: int) -> bool:
        return self.rank(word) < top
