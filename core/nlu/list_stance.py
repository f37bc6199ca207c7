"""One opinion over a list of titles: "things I love: The Hobbit, Spirited Away and Paddington 2",
"I've read The Road and Blood Meridian, both amazing", "big fan of Blade Runner and Alien".

core/nlu/stance.py reads each mention in its own clause, so the last items of a list, which carry no
words of their own, lose the opinion said once for all of them. Here a mention with no opinion of its
own takes the one its list states: the lead before the list when the mention ends its clause (nothing
of its own follows it), or a closing "both/all of them ..." after the list.
"""

from __future__ import annotations

import re

from core.nlu.stance import Stance, _opinion

_PAREN = re.compile(r"\([^)]{0,40}\)")  # "The Hobbit (the book)": a note on the item, not a new clause
# A title's span may stop before its closing quote or bracket ('"Alien" (1979' in a pivoted message):
# quotes and brackets around a title are not words of a clause.
_Q_CLOSE = r"[\s\"'\u201d\u2019\u00bb)\]]*"
_Q_OPEN = r"[\s\"'\u201c\u2018\u00ab(\[]*"
_JOIN = re.compile(r"^" + _Q_CLOSE + r"(?:,\s*(?:and|or)?|and|or|&|as well as|plus)" + _Q_OPEN + r"$", re.I)
_CLAUSE_END = re.compile(r"^" + _Q_CLOSE + r"(?:[.!?;,]|$|\b(?:and|or|&|plus)\b)", re.I)
_ALL_OF_THEM = re.compile(r"^\W*(?:\w+[\s,]+){0,3}?(?:both|all (?:of them|three|four|five)|each of them|the two of them"
                          r"|all|every one of them)\b([^.!?;]*)", re.I)
_OPEN = frozenset({Stance.NEUTRAL, Stance.SEEN})  # no opinion of its own (seen: experience, no verdict)
_VERDICT = frozenset({Stance.LIKED, Stance.DISLIKED})


def _joined(text: str, prev_end: int, start: int) -> bool:
    return bool(_JOIN.match(_PAREN.sub(" ", text[prev_end:start])))


_CUT = re.compile(r"[.!?;,\n]|\b(?:but|however|though|although|while)\b", re.I)


def _own_words(text: str, spans: list[tuple[int, int]], i: int) -> str:
    """What a mention says of itself: from its end to the next clause cut or the next mention."""
    stop = spans[i + 1][0] if i + 1 < len(spans) else len(text)
    cut = _CUT.search(text, spans[i][1], stop)
    return text[spans[i][1] : cut.start() if cut else stop]


def list_stances(text: str, spans: list[tuple[int, int]], stances: list[Stance]) -> list[Stance]:
    """The stances with each list's shared opinion given to its members that state none."""
    out = list(stances)
    n = len(spans)
    k = 0
    while k < n:
        j = k  # [k, j] is one list: mentions separated only by joins
        while j + 1 < n and _joined(text, spans[j][1], spans[j + 1][0]):
            j += 1
        if j > k:
            members = range(k, j + 1)
            tail = _ALL_OF_THEM.match(_PAREN.sub(" ", text[spans[j][1]:]))
            said = _opinion(tail.group(0)) if tail else 0
            if said:  # "..., both amazing": for every member
                shared = Stance.LIKED if said > 0 else Stance.DISLIKED
                out[k : j + 1] = [shared if out[i] in _OPEN | _VERDICT else out[i] for i in members]
            else:
                lead = out[k]  # the opinion before the list reaches members that end their own clause
                for i in members:
                    bare = _CLAUSE_END.match(_PAREN.sub(" ", text[spans[i][1]:]))
                    if i > k and lead in _VERDICT and out[i] == Stance.NEUTRAL and bare:
                        out[i] = lead
                    elif i > k and not bare and out[i] == lead and not _opinion(_own_words(text, spans, i)):
                        out[i] = Stance.NEUTRAL  # "I loved Heat, Alien is next on my list": not a verdict
        k = j + 1
    return out


__all__ = ["list_stances"]
