"""Sentiment per mentioned item, scoped to its clause, plus whole-message tone and frustration.

VADER scores each clause. Clauses split on contrast words, conjunctions and punctuation, so
"I loved Alien but Prometheus bored me" scores "I loved Alien" and "Prometheus bored me" apart.
A clause with no opinion of its own ("Alien and Aliens were great": the clause "Alien") borrows
from a neighbour joined by "and"/","/"or" -- never across "but", which marks a change of mind.
The title itself is masked before scoring, so "Good Will Hunting" or "Happy Feet" carry no tone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# Contrast connectors block sentiment inheritance; additive ones allow it.
_CONTRAST = r"but|however|though|although|whereas|while|yet|except|unlike|whilst"
_ADDITIVE = r"and|or|plus|also|as well as|&"
_SPLIT = re.compile(
    rf"\s*(?:[;.!?\n]+|,|—|–|\s-\s|\b(?:{_CONTRAST})\b|\b(?:{_ADDITIVE})\b)\s*", re.IGNORECASE
)
_IS_CONTRAST = re.compile(rf"^\W*(?:{_CONTRAST})\W*$", re.IGNORECASE)
_HARD_STOP = re.compile(r"[.!?;\n]")

# Words VADER does not know, or knows with the wrong weight, in talk about films and books.
LEXICON_UPDATES: dict[str, float] = {
    "masterpiece": 3.2, "overrated": -2.0, "underrated": 1.6, "meh": -1.2, "mid": -1.0,
    "snoozefest": -2.5, "slog": -1.8, "gripping": 2.0, "riveting": 2.2, "unputdownable": 2.5,
    "rewatch": 1.2, "rewatched": 1.2, "classic": 1.2, "favorite": 2.2, "favourite": 2.2,
    "fav": 2.0, "fave": 2.0, "goat": 2.0, "banger": 2.0, "peak": 1.5, "mustwatch": 2.0,
    "bored": -2.0, "boring": -2.2, "dragged": -1.5, "predictable": -1.2, "forgettable": -1.6,
    "pretentious": -1.6, "cringe": -1.8, "cringy": -1.8, "unwatchable": -2.8, "unreadable": -2.6,
    # Fear, tears and darkness describe a film more often than they judge it ("Hereditary terrified me,
    # best horror ever"; "we all cried, beautiful film"), so they carry no opinion here.
    "haunting": 1.0, "terrifying": 0.0, "terrified": 0.0, "scared": 0.0, "scary": 0.0, "scare": 0.0,
    "frightening": 0.0, "creepy": 0.0, "disturbing": 0.0, "dark": 0.0, "gory": -0.3, "cry": 0.0,
    "cried": 0.0, "crying": 0.0, "tears": 0.0, "sad": -0.3, "killer": 0.0, "kill": 0.0, "killing": 0.0,
    "war": 0.0, "horror": 0.0, "murder": 0.0, "dead": 0.0, "death": 0.0, "intense": 0.8,
    # Request words are not opinions of the item named next to them ("recommend a movie like Heat").
    "recommend": 0.0, "recommended": 0.0, "recommendation": 0.0, "recommendations": 0.0, "suggest": 0.0,
    "please": 0.0, "interesting": 0.3, "want": 0.0, "wants": 0.0, "wanted": 0.0, "help": 0.0,
    "disliked": -2.0, "hated": -2.6, "loved": 2.9, "enjoyed": 2.2, "liked": 1.8,
}
# Phrases VADER cannot see as opinions: (pattern, score -1..1).
PHRASES: list[tuple[re.Pattern[str], float]] = [
    (re.compile(r"\b(?:could ?n[o']?t|did ?n[o']?t|never) (?:finish|get through|get into)", re.I), -0.6),
    (re.compile(r"\b(?:gave up on|fell asleep|walked out|turned it off|dnf)\b", re.I), -0.6),
    (re.compile(r"\bnot (?:for me|my (?:thing|cup of tea|style|type|kind))\b", re.I), -0.5),
    (re.compile(r"\bwaste of (?:time|money)\b", re.I), -0.7),
    (re.compile(r"\b(?:would|will|could|can) (?:watch|read) (?:it )?again\b", re.I), 0.6),
    (re.compile(r"\b(?:must[- ]?(?:watch|read)|blew my mind|all[- ]time)\b", re.I), 0.7),
    (re.compile(r"\bcan'?t wait\b", re.I), 0.5),
    (re.compile(r"\b(?:too (?:long|slow|boring)|dragged on)\b", re.I), -0.5),
    (re.compile(r"\btoo \w+ for (?:me|my taste|us)\b", re.I), -0.5),
    (re.compile(r"\bmind[- ]?(?:blowing|blown)\b", re.I), 0.6),
    (re.compile(r"\bin a good way\b", re.I), 0.5),
]
# Not having seen something is not an opinion of it ("No, I haven't seen it", "never heard of that one").
_NOT_SEEN = re.compile(
    r"\b(?:(?:no|nope|nah)\b[,.!]?\s*)?(?:i\s+)?(?:have\s+not|haven'?t|havent|have\s+never|never|did\s+not|didn'?t|"
    r"not)\s+(?:yet\s+)?(?:seen|watched|read|heard\s+of|had\s+(?:a|the)\s+chance)\b"
    r"|^\W*(?:no|nope|nah)\b[,.!]?\s*(?:i\s+)?(?:have\s+not|haven'?t|havent|did\s+not|didn'?t)\b",
    re.I)
# "like" as a preposition ("movies like item", "something like item") or a wish ("I'd like") is no opinion.
_LIKE_PREP = re.compile(r"(?<!\bi )(?<!\bwe )(?<!\bthey )(?<!\byou )(?<!\breally )(?<!\balso )(?<!\bdo )"
                        r"(?<!\bdid )(?<!\bdon't )(?<!\bdidn't )(?<!\bnot )\blike\b(?=\s+(?:the\s+|a\s+)?item\b)",
                        re.I)
_LIKE_WISH = re.compile(r"\b(?:would|'d|d|might|will|gonna|to)\s+like\b", re.I)

_FRUSTRATED = re.compile(
    r"\b(?:(?:these|those|they|all of (?:these|those|them)|your (?:picks|suggestions|recs|recommendations)"
    r"|this list) (?:are|were|all|is|r) (?:all |so |really |pretty |just |kinda )?"
    r"(?:bad|terrible|awful|garbage|trash|rubbish|crap|boring|useless|lame|wrong|meh|not (?:it|good|great|"
    r"what i (?:want|asked)))"
    r"|(?:these|those|they|them|all of (?:these|those|them)|this list|your (?:picks|suggestions|recs))"
    r" (?:all )?(?:look|looks|seem|seems|sound|sounds|feel|are|were)(?: all)? (?:so |really |pretty |kinda |super )?"
    r"(?:boring|bad|terrible|awful|lame|dull|meh|uninteresting|the same|samey|generic|wrong)"
    r"|^\W*(?:meh|nah|boring|lame|ugh|booo*|no+pe)\W*$|^\W*meh\b"
    r"|none of (?:these|those|them|this)|nothing (?:good|interesting|i (?:like|want))"
    r"|(?:you(?:'re| are)|u r|ur|this bot is|this is) (?:so |really |totally |completely |pretty )?"
    r"(?:useless|stupid|dumb|terrible|awful|bad at this|not helping|not helpful|worthless|hopeless|broken)"
    r"|not (?:helpful|helping|what i (?:asked|wanted|want|meant|said))|(?:that'?s|thats) not what i"
    r"|(?:are you|r u) (?:even )?(?:listening|serious|kidding)|i (?:already|just) (?:said|told you)"
    r"|(?:stop|quit) (?:recommending|suggesting|showing)|same (?:old )?(?:stuff|things|movies|books)"
    r"|wtf|ffs|ugh+|come on|seriously\?|you suck|this sucks|try again|bad (?:recs|picks|suggestions)"
    r"|(?:terrible|awful|bad|horrible|useless|lousy|crappy) (?:recommendations|suggestions|recs|picks))",
    re.IGNORECASE,
)


NEGATED_MENTION = -0.4
NOISE = 0.1  # VADER compounds this small come from boosters and punctuation, not opinions


@dataclass(frozen=True, slots=True)
class Clause:
    start: int
    end: int
    contrast_before: bool  # joined to the previous clause by "but"/"however"/...
    hard_before: bool  # a sentence boundary precedes it


_ONE_WORD_AFTER = re.compile(r"\s*\w+\s*(?:[;.!?,\n]|$)")


def split_clauses(text: str) -> list[Clause]:
    out: list[Clause] = []
    pos, contrast, hard = 0, False, False
    for m in _SPLIT.finditer(text):
        if _IS_CONTRAST.match(m.group()) and _ONE_WORD_AFTER.match(text, m.end()):
            continue  # "disturbing but brilliant" is one judgement; VADER weighs the "but" itself
        if m.start() > pos:
            out.append(Clause(pos, m.start(), contrast, hard))
            contrast, hard = False, False
        sep = m.group()
        contrast = contrast or bool(_IS_CONTRAST.match(sep))
        hard = hard or bool(_HARD_STOP.search(sep))
        pos = m.end()
    if pos < len(text):
        out.append(Clause(pos, len(text), contrast, hard))
    return out


class SentimentScorer:
    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()
        self._vader.lexicon.update(LEXICON_UPDATES)

    def score(self, text: str) -> float:
        """-1..1 for a piece of text: VADER compound, nudged by phrases VADER misses."""
        text = _NOT_SEEN.sub(" ", text)
        if not text.strip():
            return 0.0
        s = float(self._vader.polarity_scores(text)["compound"])
        if abs(s) < NOISE:
            s = 0.0
        for pat, val in PHRASES:
            if pat.search(text):
                s = val if abs(s) < abs(val) or (s > 0) != (val > 0) else s
        return max(-1.0, min(1.0, s))

    def mention_scores(self, text: str, spans: list[tuple[int, int]],
                       negated: list[tuple[int, int]] = ()) -> list[float]:  # type: ignore[assignment]
        """Sentiment for each (char start, char end) span, from the clause that contains it. A mention
        under a negation with no opinion of its own ("anything but Heat", "not so much Drive") leans
        negative instead of borrowing a neighbour's opinion."""
        if not spans:
            return []
        masked, starts = _mask(text, spans)
        # Same-length substitutions, so mention starts stay valid.
        masked = _LIKE_WISH.sub(lambda m: " " * len(m.group()), _LIKE_PREP.sub("near", masked))
        clauses = split_clauses(masked)
        if not clauses:
            return [0.0] * len(spans)
        own = [self.score(masked[c.start : c.end]) for c in clauses]
        where = [next((k for k, c in enumerate(clauses) if c.start <= s < c.end), len(clauses) - 1)
                 for s in starts]
        out: list[float] = []
        for n, ci in enumerate(where):
            s = own[ci]
            if s == 0.0 and any(a <= spans[n][0] < b for a, b in negated):
                s = NEGATED_MENTION
            if s == 0.0:
                s = _borrow(clauses, own, ci)
            # "X scared me but I loved it", "Heat? seen it, loved it": a later clause that points back
            # with a pronoun, before any other mention, has the last word on X.
            nxt = min([w for w in where if w > ci], default=len(clauses))
            contrast = False
            for k in range(ci + 1, nxt):
                contrast = contrast or clauses[k].contrast_before
                if own[k] != 0.0 and _PRONOUN.search(masked[clauses[k].start : clauses[k].end]):
                    if s == 0.0 or contrast:
                        s = own[k]
            out.append(s)
        return out

    def frustrated(self, text: str) -> bool:
        return bool(_FRUSTRATED.search(text))


def _mask(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[int]]:
    """Each mention replaced by the word "item"; returns the new text and each mention's new start."""
    order = sorted(range(len(spans)), key=lambda k: spans[k][0])
    out: list[str] = []
    starts = [0] * len(spans)
    pos = 0
    for k in order:
        s, e = spans[k]
        if s < pos:  # overlapping spans: keep the first
            starts[k] = starts[order[0]] if out else 0
            continue
        out.append(text[pos:s])
        starts[k] = sum(len(x) for x in out)
        out.append("item")
        pos = e
    out.append(text[pos:])
    return "".join(out), starts


_PRONOUN = re.compile(r"\b(?:it|that one|this one|that|this)\b", re.I)


def _borrow(clauses: list[Clause], own: list[float], ci: int) -> float:
    """An opinion-less clause takes its neighbour's opinion across an additive link, not a contrast:
    first from the following clauses ("Alien and Aliens were great"), then the previous one."""
    for nxt in range(ci + 1, min(len(clauses), ci + 3)):
        if clauses[nxt].contrast_before or clauses[nxt].hard_before:
            break
        if own[nxt] != 0.0:
            return own[nxt]
    prev = ci - 1
    if prev >= 0 and not clauses[ci].contrast_before and not clauses[ci].hard_before and own[prev] != 0.0:
        return own[prev]
    return 0.0
