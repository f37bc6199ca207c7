"""The speaker's own stance toward each item they mention, and toward "it"/"that one".

Only a stance the person states about their own experience may become a stored preference, so this
module answers a narrower question than sentiment: *who* holds the opinion and *whether* it is an
opinion at all.

    liked / disliked  "I loved Heat", "Honestly I found La La Land boring", "Se7en was too dark for me"
    seen              "I already saw that one", "I've read Dune" (no opinion given)
    asked             "is Oppenheimer good for kids?", "have you seen Heat?"
    others            "my brother loves The Godfather", "everyone says Dune is great"
    reference         "something like Alien", "similar to Heat" (a request anchor, not a judgement)
    neutral           a mention with none of the above ("Alien", "recommend Heat")

Order of the decision (first match wins): another person holds the opinion; the sentence is a
question with no first-person opinion; "like X"/"similar to X" with no first-person opinion; an
explicit opinion word (lexicon below, negation-aware); "seen/watched/read"; the clause's VADER tone
(already computed by ``SentimentScorer.mention_scores``) when it is clear (|s| >= CLEAR).
"""

from __future__ import annotations

import re
from enum import StrEnum


class Stance(StrEnum):
    LIKED = "liked"
    DISLIKED = "disliked"
    SEEN = "seen"
    ASKED = "asked"
    OTHERS = "others"
    REFERENCE = "reference"
    RETRACTED = "retracted"  # "forget that I liked X", "scratch what I said about X"
    REJECTED = "rejected"  # "anything but Heat", "not Heat": out of this request, no judgement stored
    NEUTRAL = "neutral"


STORED = frozenset({Stance.LIKED, Stance.DISLIKED, Stance.SEEN})  # what may become a preference
CLEAR = 0.5  # a clause tone this strong is an opinion even without a lexicon word ("thanks" alone is 0.44)

_PEOPLE = (r"brother|sister|sis|bro|wife|husband|partner|friends?|buddy|mate|family|kids?|son|daughter|"
           r"girlfriend|boyfriend|gf|bf|mom|mum|mother|dad|father|parents?|roommate|flatmate|colleagues?|"
           r"co-?workers?|boss|teacher|cousin|uncle|aunt|grandma|grandpa|grandmother|grandfather|nephew|"
           r"niece|fiance|fiancee|spouse|neighbou?r|children|classmates?|team|book club|club|group|class")
# A person other than the speaker as the subject of the opinion ("my brother loves", "she hated").
_OTHER_SUBJECT = re.compile(
    rf"\b(?:(?:my|our|his|her|their|a|the) (?:\w+ )?(?:{_PEOPLE})|he|she|they|everyone|everybody|"
    rf"people|critics|reviewers|someone|somebody|a lot of people|lots of people|all my \w+)"
    rf"(?:'s)?\s+(?:\w+\s+){{0,2}}?(?:loves?|liked?|likes|loved|hates?|hated|adores?|adored|enjoys?|enjoyed|"
    rf"says?|said|thinks?|thought|keeps? (?:saying|talking|telling)|tell me|told me|recommends?|recommended|swears? by|raves? about|"
    rf"raved about|can'?t stop|is obsessed|was obsessed|told me|wants?|wanted|watched|read|saw|finds?|found|"
    rf"dislikes?|disliked|couldn'?t stand|is into|was into|is a (?:big |huge )?fan|cried|laughed|fell asleep)\b", re.I)
# Hearsay: the opinion is reported, not held ("I heard Inception is brilliant", "apparently Dune is great").
HEARSAY = re.compile(r"\b(?:i(?:'ve| have)? heard|i hear|apparently|supposedly|reportedly|i(?:'m| am) told|"
                      r"i(?:'ve| have)? been told|word is|they say|rumou?r (?:is|has it))\b", re.I)
_ME_TOO = re.compile(r"\b(?:and|&) (?:i|me)\b|\bi (?:also|too)\b|\bme too\b|\bboth (?:of us )?(?:loved|liked|hated)", re.I)
_FIRST_PERSON = re.compile(r"\b(?:i|i'?m|i'?ve|i'?d|me|my|we|we'?ve)\b", re.I)
_QUESTION_LEAD = re.compile(
    r"^\W*(?:is|was|are|were|does|did|do|have you|has|should|would|could|can|will|what|who|how|when|which|"
    r"where|why|any idea|is it)\b", re.I)
# "can you recommend a book like Sapiens?" is a request with a question mark, not a question about Sapiens.
_REQUEST_CUE = re.compile(r"\b(?:recommend|suggest|find me|give me|show me|looking for|got any|do you have|"
                          r"anything|something|any (?:good|other|more|similar)|similar|in the mood|what should i|"
                          r"any (?:\w+ ){0,2}(?:movies?|films?|books?|novels?|recs?|recommendations?|suggestions?|"
                          r"ideas?))\b", re.I)
_REFERENCE = re.compile(
    r"\b(?:like|similar to|such as|in the vein of|along the lines of|same as|reminds? me of|as \w+ as|"
    r"in the style of|vibes? of|à la|a la|the likes of|comparable to|close to|similar vibe to|"
    r"similar vibes to|more like|kind of like|sort of like|along with)\s+(?:the\s+|a\s+)?$", re.I)
_LIKE_VERB_BEFORE = re.compile(r"\b(?:i|we|really|also|totally|do|did|always|didn'?t|don'?t|did not|"
                               r"do not|never|not)\s+(?:really\s+|much\s+)?like\s+"
                               r"(?:the\s+|a\s+)?$", re.I)
_POS = re.compile(
    r"\b(?:(?:i|we)\s+(?:really\s+|totally\s+|also\s+|do\s+)?(?:like|dig|dug)|mind[- ]?blowing|lov(?:e|ed|es|ing)|lik(?:ed|e it|e that)|enjoy(?:ed|s)?|ador(?:e|ed)|great|amazing|awesome|"
    r"brilliant|fantastic|excellent|masterpiece|favou?rites?|favs?|faves?|best|beautiful|wonderful|superb|"
    r"incredible|gripping|riveting|hilarious|fun|perfect|stunning|outstanding|phenomenal|good|gem|"
    r"classic|blew me away|blew my mind|rocks|rocked|slaps|a banger|10/10|a must|could(?:n'?t| not) put (?:it )?down|a blast|into (?:it|that)|"
    r"(?:a |the )?(?:big(?:gest)? |huge |massive |great |die-?hard )?fan of|obsessed with|addicted to|hooked on)\b", re.I)
_NEG = re.compile(
    r"\b(?:(?:didn'?t|don'?t|did not|do not|never|wasn'?t)\s+(?:really\s+|much\s+|even\s+)?(?:like|love|enjoy|care for)|"
    r"did(?:n'?t| not) do (?:anything|much|it) for me|left me cold|confusing|hat(?:e|ed|es)|dislik(?:e|ed|es)|boring|bored|dull|awful|terrible|horrible|bad|worst|"
    r"overrated|disappointing|disappointed|meh|mid|trash|garbage|rubbish|slow|tedious|pretentious|"
    r"annoying|forgettable|predictable|cringe|cringy|stupid|dumb|waste of|suck(?:s|ed)?|stinks|stank|lame|fell asleep|gave up|"
    r"walked out|turned it off|couldn'?t (?:stand|finish|get into|get through)|"
    r"could not (?:stand|finish|get into|get through)|too (?:long|slow|dark|violent|gory|scary|sad|much)|"
    r"(?:not|isn'?t|wasn'?t|ain'?t) (?:really |quite |exactly )?(?:for me|my (?:thing|cup of tea|style|kind|type))|too \w+ for (?:me|my taste|us)|unwatchable|unreadable|snoozefest|slog)\b",
    re.I)
# Negators that flip an opinion word within the same short phrase ("didn't like", "not great",
# "never enjoyed"); "not for me" and "couldn't stand" are matched whole above.
_NEGATOR = re.compile(r"\b(?:not|never|didn'?t|did not|don'?t|do not|wasn'?t|was not|isn'?t|is not|"
                      r"aren'?t|weren'?t|hardly|no)\s+(?:\w+\s+){0,2}$", re.I)
_SEEN = re.compile(
    r"\b(?:seen|saw|watched|read|finished|rewatched|re-?read|been through|have watched|already)\b", re.I)
_NOT_SEEN = re.compile(r"\b(?:not|never|haven'?t|have not|hasn'?t|didn'?t|did not|yet to)\s+(?:\w+\s+)?"
                       r"(?:seen|saw|watched|read|finished|heard)\b", re.I)
# A plan is no experience: "I need to read Dune", "I'll watch Alien tonight".
_PLAN = re.compile(r"\b(?:to|will|'ll|gonna|wanna|should|must|might|could|would|can)\s+(?:finally\s+|still\s+)?$", re.I)


def _experienced(sentence: str) -> bool:
    """The sentence says the speaker has seen/read something (not that they haven't, or plan to)."""
    if _NOT_SEEN.search(sentence):
        return False
    return any(not _PLAN.search(sentence[max(0, m.start() - 25) : m.start()]) for m in _SEEN.finditer(sentence))


# The speaker's own clause after someone else's opinion: "..., but I thought it was great".
_MINE_AFTER = re.compile(r"\b(?:but|while|whereas|though|however|although)\s*,?\s*(?:personally\s*,?\s*)?"
                         r"((?:i|i'?ve|i'?m|me)\b[^.!?;]{0,80})", re.I)

RETRACT = re.compile(
    r"\b(?:forget|ignore|disregard|remove|delete|drop|scratch|undo|take back|unlike)\b[^.!?]{0,20}?"
    r"\b(?:i (?:said|told you|liked|loved|enjoyed|disliked|hated|saw|watched|read)|what i said|my (?:like|dislike|"
    r"rating)s?)\b", re.I)


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): bounded by . ! ? ; or a newline (a question mark stays in)."""
    s = max(text.rfind(c, 0, start) for c in ".!?;\n") + 1
    ends = [i for i in (text.find(c, end) for c in ".!?;\n") if i >= 0]
    e = min(ends) + 1 if ends else len(text)
    return s, e


# Interest in a suggestion is not a judgement of the item ("the second one sounds good").
_INTEREST = re.compile(r"\b(?:sounds?|looks?|seems?|could be|might be|would be|may be)\s+(?:\w+\s+)?(?:good|great|interesting|fun|cool|promising|nice|"
                       r"amazing|awesome|intriguing|perfect)\b|\bworth (?:a )?(?:try|shot|look|watching|reading)\b", re.I)
_POINT_BACK = re.compile(r"\b(?:it|that|this|both|them|film|movie|book|novel|story|one)\b", re.I)


def _opinion(clause: str) -> int:
    """+1 / -1 for an explicit opinion word in the clause (negation flips it), 0 when there is none."""
    clause = _INTEREST.sub(" ", clause)
    best = 0
    for pat, sign in ((_NEG, -1), (_POS, 1)):
        for m in pat.finditer(clause):
            flipped = bool(_NEGATOR.search(clause[max(0, m.start() - 30) : m.start()]))
            s = -sign if flipped else sign
            # Negative evidence wins a tie ("great cast but boring"): it is what the person warns about.
            if best == 0 or s < 0:
                best = s
    return best


_CLAUSE_CUT = re.compile(r"[.!?;,\n]|\b(?:but|however|though|although|whereas|while|yet|except)\b", re.I)


def _clause(text: str, start: int, end: int, lo: int = 0, hi: int | None = None) -> str:
    """The clause around a mention: cut at punctuation, contrast words and the neighbouring mentions
    (lo, hi), the mention blanked."""
    hi = len(text) if hi is None else hi
    cuts = [0] + [m.end() for m in _CLAUSE_CUT.finditer(text)] + [len(text)]
    c0 = max(lo, max(c for c in cuts if c <= start))
    after = [m.start() for m in _CLAUSE_CUT.finditer(text, end)]
    c1 = min(hi, after[0] if after else len(text))
    return text[c0:start] + " " + text[end:c1]


def _pointing_back(text: str, end: int, hi: int) -> int:
    """The opinion of a following clause that points back at the mention: "I watched Heat. It was
    fantastic", "seen Heat, loved it". Stops at the next capitalized word (likely another title)."""
    rest = text[end : min(end + 90, hi)]  # never past the next mention
    for k, piece in enumerate(_CLAUSE_CUT.split(rest)[:3]):
        if k and re.search(r"\b[A-Z][a-z]+\b", piece.strip()[1:]):
            break
        if _REQUEST_CUE.search(piece):
            break  # "I watched Heat, recommend something great": the praise is for what is asked
        # A pronoun or a word for the item ("loved both", "beautiful film"), or a short verdict right
        # after a contrast ("disturbing but brilliant").
        if k and (_POINT_BACK.search(piece) or len(piece.split()) <= 3):
            o = _opinion(piece)
            if o:
                return o
    return 0


# The words between two items that only join them ("Heat and Collateral", "Heat, Ronin & Collateral").
_ONLY_JOIN = re.compile(r"\s*(?:,\s*(?:and|or)?|and|or|&|as well as|plus)\s*", re.I)


def mention_stance(text: str, start: int, end: int, tone: float, question_intent: bool = False,
                   negated: bool = False, bounds: tuple[int, int] = (0, 10**9)) -> Stance:
    """The stance of the speaker toward the mention at text[start:end].

    tone: the clause sentiment the scorer gave this mention (-1..1, it borrows across "and");
    question_intent: the whole message was read as a question about items (ABOUT/WHY); negated: the
    mention sits in a negation scope ("anything but Heat"); bounds: where the previous mention ends and
    the next begins ("Tenet was confusing and Dunkirk was brilliant": each clause stops at the other).
    """
    s0, s1 = _sentence(text, start, end)
    sentence = text[s0:s1]
    before = text[s0:start]
    # Words between the previous mention and this one belong to the previous one ("Tenet was
    # confusing and Dunkirk..."), except after the last "and"/","/"or" that joins them.
    gap = text[bounds[0] : start]
    joins = [m.end() for m in re.finditer(r",|\b(?:and|or|&)\b", gap)]
    lo = bounds[0] + joins[-1] if bounds[0] and joins else bounds[0]
    if bounds[0] and _ONLY_JOIN.fullmatch(gap):
        lo = s0  # "I loved Heat and Collateral": the verb before the first item covers the whole list
    opinion = _opinion(_clause(text, start, end, lo, bounds[1]))
    first_person = bool(_FIRST_PERSON.search(sentence))
    if _QUESTION_LEAD.search(sentence) and not _REQUEST_CUE.search(sentence):
        return Stance.ASKED  # "would my kids like Up?", "does Heat hold up?"
    other = (_OTHER_SUBJECT.search(before) or (_OTHER_SUBJECT.search(sentence) and not first_person)
             or HEARSAY.search(before))
    if other and not _ME_TOO.search(sentence):
        # "my brother hated Inception, but I thought it was great": the speaker's own word follows.
        mine = _MINE_AFTER.search(text, end)
        said = _opinion(mine.group(1)) if mine and _POINT_BACK.search(mine.group(1)) else 0
        return Stance.OTHERS if not said else Stance.LIKED if said > 0 else Stance.DISLIKED
    bare = not re.sub(r"\W", "", text[s0:start] + text[end:s1])  # "La La Land? Hated every minute."
    if bare and s1 < len(text):
        nxt = text[s1 : _sentence(text, s1 + 1, s1 + 1)[1]]
        if (o := _opinion(nxt)) and not _OTHER_SUBJECT.search(nxt):
            return Stance.LIKED if o > 0 else Stance.DISLIKED
    is_question = (sentence.rstrip().endswith("?") or bool(_QUESTION_LEAD.search(sentence))) and not (
        _REQUEST_CUE.search(sentence))
    if (is_question or question_intent) and not (first_person and opinion and not _QUESTION_LEAD.search(sentence)):
        return Stance.ASKED
    if _REFERENCE.search(before[-40:]) and not _LIKE_VERB_BEFORE.search(before[-40:]):
        return Stance.REFERENCE  # "something like Alien" anchors a request; it judges nothing
    opinion = opinion or _pointing_back(text, end, bounds[1])
    if opinion:
        return Stance.LIKED if opinion > 0 else Stance.DISLIKED
    if _experienced(sentence):
        return Stance.SEEN
    if negated:
        return Stance.REJECTED
    if abs(tone) >= CLEAR:
        return Stance.LIKED if tone > 0 else Stance.DISLIKED
    return Stance.NEUTRAL


def message_stance(text: str, tone: float) -> Stance:
    """The stance of a message toward what it points at with "it"/"that one"/"the second one"."""
    sentence = text
    if _OTHER_SUBJECT.search(sentence) and not _ME_TOO.search(sentence):
        return Stance.OTHERS
    opinion = _opinion(sentence)
    if (sentence.rstrip().endswith("?") or _QUESTION_LEAD.search(sentence)) and not (
            _FIRST_PERSON.search(sentence) and opinion):
        return Stance.ASKED
    if opinion > 0:
        return Stance.LIKED
    if opinion < 0:
        return Stance.DISLIKED
    if _experienced(sentence):
        return Stance.SEEN
    if _INTEREST.search(sentence) or re.search(r"\bthank", sentence, re.I):
        return Stance.NEUTRAL  # "the third one sounds good", "thanks!": interest or politeness, no verdict
    if abs(tone) >= CLEAR:
        return Stance.LIKED if tone > 0 else Stance.DISLIKED
    return Stance.NEUTRAL


def stance_value(stance: Stance, tone: float) -> float:
    """The preference value stored for a stance: the clause tone's strength, at least a clear 0.5,
    signed by the stance; 0.0 for "seen" (kept as evidence and as an exclusion, never a like)."""
    if stance == Stance.LIKED:
        return round(min(1.0, max(0.5, abs(tone))), 3)
    if stance == Stance.DISLIKED:
        return -round(min(1.0, max(0.5, abs(tone))), 3)
    return 0.0
