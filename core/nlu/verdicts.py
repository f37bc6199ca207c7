"""Verdicts on picks the person points at by number: "the first one is a favourite of mine",
"loved #2", "seen the first two already, what else?", "not the first one, I've seen it. something else?".

A message that points into the last list and states the speaker's own opinion or experience of the
pick is feedback about it (stored with the message as evidence), not a question about it; when it
also asks for more ("what else?"), it is feedback plus a refinement of the running request. The ask
is read apart from the verdict: "seen the first two already, what else?" ends with a question mark,
yet "seen the first two already" is a plain statement.
"""

from __future__ import annotations

import re

from core.nlu.stance import HEARSAY, STORED, Stance, message_stance

# A clause that only asks for (more) picks: "what else?", "something else?", "any others", "more please".
_ASK_CLAUSE = re.compile(
    r"^\W*(?:(?:so|and|ok(?:ay)?|then|now|well)\s+)*(?:what else|anything else|something else|"
    r"(?:any |some |a few |got any )?others?|other ones?|more(?: please)?|next|what(?:'s| is)? next|"
    r"(?:can you |could you )?(?:recommend|suggest|show me|give me|find me)\b.*|"
    r"(?:something|anything|any)\b.*|what (?:should|could|can) i (?:watch|read|try)\b.*|"
    r"(?:do you have|got) (?:anything|something|any)\b.*)\W*$", re.I)
_CLAUSES = re.compile(r"[^,.;!?]+[,.;!?]*")


# Words that point into the list or state an experience: a question holding one is no mere ask.
_POINTS = re.compile(r"\b(?:first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th|one|it|that|this|them|those|"
                     r"number|no|seen|saw|read|watched|loved?|liked?|hated?)\b|#\d", re.I)


def _ask_only(piece: str) -> bool:
    """A clause that only asks for picks: "what else?", "any comedies?", "older ones?"."""
    p = piece.strip()
    return bool(_ASK_CLAUSE.match(p)) or (p.endswith("?") and not _POINTS.search(p) and not p.lower().startswith(
        ("is ", "was ", "does ", "did ", "are ", "how ", "why ", "who ", "when ", "where ")))


def split_ask(text: str) -> tuple[str, bool]:
    """(the text without its ask-only clauses, whether it had any). With nothing but asks, the text."""
    kept: list[str] = []
    asked = False
    for piece in _CLAUSES.findall(text):
        if _ask_only(piece):
            asked = True
        else:
            kept.append(piece)
    rest = "".join(kept).strip()
    return (rest, asked) if rest else (text, False)


# An expectation is no verdict: "the second one is supposed to be great", "I bet I'd love #2".
_EXPECTED = re.compile(r"\b(?:supposed|meant|said) to be\b|\b(?:i'?d|i would|i might|i may|would|might|could)\s+"
                       r"(?:probably\s+|really\s+|totally\s+|definitely\s+)?(?:love|like|enjoy|hate|dig|adore)\b", re.I)


def ref_stance(text: str, tone: float) -> Stance:
    """The speaker's stance toward what the message points at, read without its ask clauses. Hearsay
    ("I've heard good things about the 4th") and expectations hold no verdict of the speaker's."""
    rest, _ = split_ask(text)
    stance = message_stance(rest, tone)
    if stance in (Stance.LIKED, Stance.DISLIKED) and (HEARSAY.search(rest) or _EXPECTED.search(rest)):
        return Stance.NEUTRAL
    return stance


def is_verdict(stance: Stance) -> bool:
    """A stance that is a verdict the person holds (liked, disliked, seen): it may be stored."""
    return stance in STORED


__all__ = ["is_verdict", "ref_stance", "split_ask"]
