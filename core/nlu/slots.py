"""Slots read by pattern: year ranges, domain, critiques, references to the last list, negation scope."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.nlu.lexicon import COMPARATIVES, CRITIQUE_ADJECTIVES, DOMAIN_WORDS, ML_DOMAIN
from core.nlu.normalize import Token

# ----- years and eras -----

_DECADE_WORDS = {"twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60,
                 "seventies": 70, "eighties": 80, "nineties": 90, "ninties": 90, "fourties": 40}
_Y = r"(1[89]\d\d|20\d\d)"
# A word before a decade that makes it a bound: "before the 90s", "post-80s", "since the 2000s".
_DECADE_SIDE = re.compile(r"\b(before|pre|older than|earlier than|prior to|until|after|post|newer than|later than|since)"
                          r"[\s-]*(?:the\s+)?(?:early\s+|mid\s+|late\s+)?$", re.I)
_DECADE = re.compile(
    r"\b(?:(early|mid|late)[- ]?)?(?:the )?(?:'|’)?(?:(1[89]|20)?(\d)0\s?'?s|("
    + "|".join(_DECADE_WORDS) + r"))\b", re.I)
_BETWEEN = re.compile(rf"\b(?:between|from) {_Y} (?:and|to|-|until|till|through) {_Y}\b|\b{_Y}\s?(?:-|–|to)\s?{_Y}\b",
                      re.I)
_MIN_WORD = re.compile(
    rf"\b(after|post-?|since|newer than|later than|not older than|no older than|released after|starting|"
    rf"from|made after|nothing (?:older|earlier) than|nothing before) ?{_Y}(\s?(?:on\b|onwards?\b|and "
    rf"(?:later|after|newer|up)\b|\+))?", re.I)
_MIN_SUFFIX = re.compile(rf"\b{_Y}\s?(?:\+|or (?:later|newer|after)\b|and (?:later|after|newer|up)\b|onwards?\b)",
                         re.I)
_MAX_WORD = re.compile(
    rf"\b(before|pre-?|older than|earlier than|until|till|up to|not newer than|no newer than|prior to|"
    rf"nothing (?:newer|later) than|nothing after) ?{_Y}\b", re.I)
_MAX_SUFFIX = re.compile(rf"\b{_Y} or (?:earlier|older|before)\b", re.I)
_YEAR_ANY = re.compile(rf"\b{_Y}\b")
_CENTURY = re.compile(r"\b(19th|20th|21st|nineteenth|twentieth|twenty[- ]first)[- ]century\b", re.I)
_RECENT = re.compile(
    r"\b(recent(?:ly)?|newest|latest|new (?:releases?|movies?|films?|books?|novels?|ones?|stuff)"
    r"|(?:(?:from|of|in|over|since|within|during)\s+(?:the\s+)?(?:this|past|last)|the (?:past|last)) (?:few |couple of )?"
    r"years?|modern|contemporary|nowadays|brand new|current)\b", re.I)  # "I read it last year" is no era
# "old", but not an age ("a six year old", "my 8-year-old", "years old").
_OLD = re.compile(r"\b(old[- ]school|(?<!year )(?<!years )(?<!year-)(?<!years-)(?<!yr )(?<!yrs )(?:old(?:ies)?)|vintage|"
                  r"golden age|black and white|retro)\b(?! ones?\b)", re.I)
_EXCLUSIVE = ("after", "post", "newer than", "later than", "released after", "made after",
              "before", "pre", "older than", "earlier than", "prior to")


@dataclass(frozen=True, slots=True)
class YearRange:
    lo: int | None
    hi: int | None
    spans: tuple[tuple[int, int], ...]  # char spans consumed


def _century(word: str) -> int:
    w = word.lower()
    return 1800 if w.startswith(("19", "nine")) else 1900 if w.startswith(("20", "twentieth")) else 2000


def _decade(m: re.Match[str]) -> tuple[int, int]:
    part, century, digit, word = m.group(1), m.group(2), m.group(3), m.group(4)
    if word:
        base = 1900 + _DECADE_WORDS[word.lower()]
    else:
        d = int(digit)
        # "20s"/"10s"/"00s" in a 2020s chat mean this century; "80s" the last one.
        base = int(century) * 100 + d * 10 if century else (2000 if d <= 2 else 1900) + d * 10
    p = (part or "").lower()
    if p == "early":
        return base, base + 3
    if p == "mid":
        return base + 3, base + 6
    if p == "late":
        return base + 6, base + 9
    return base, base + 9


def years(text: str, now_year: int, skip: list[tuple[int, int]]) -> YearRange:
    """Year constraints in text; spans in `skip` (a year right after a title) are not constraints.

    Exclusive words move the bound ("after 2010" -> 2011, "before 1980" -> 1979); inclusive ones
    don't ("since 2010", "not older than 2000" -> 2000). "recent" is the last five years from
    now_year; "old"/"vintage" is up to 1979. A bare year ("a 1999 movie") is that year."""
    lo: int | None = None
    hi: int | None = None
    spans: list[tuple[int, int]] = []

    def take(m: re.Match[str]) -> bool:
        if any(m.start() < e and s < m.end() for s, e in skip + spans):
            return False
        spans.append(m.span())
        return True

    def widen(a: int | None, b: int | None) -> None:
        nonlocal lo, hi
        if a is not None:
            lo = a if lo is None else min(lo, a)
        if b is not None:
            hi = b if hi is None else max(hi, b)

    for m in _BETWEEN.finditer(text):
        if take(m):
            a, b = (int(x) for x in m.groups() if x)
            widen(min(a, b), max(a, b))
    for m in _DECADE.finditer(text):
        if take(m):
            a, b = _decade(m)
            side = _DECADE_SIDE.search(text[max(0, m.start() - 20) : m.start()])
            word = side.group(1).lower() if side else ""
            if word.startswith(("before", "pre", "older", "earlier", "prior", "until")):
                hi = a - 1 if hi is None else min(hi, a - 1)  # "before the 90s": up to 1989
            elif word.startswith(("after", "post", "newer", "later")):
                lo = b + 1 if lo is None else max(lo, b + 1)  # "after the 80s": from 1990
            elif word.startswith("since"):
                lo = a if lo is None else max(lo, a)  # "since the 90s": from 1990
            else:
                widen(a, b)
    for m in _CENTURY.finditer(text):
        if take(m):
            c = _century(m.group(1))
            widen(c, c + 99)
    for m in _MIN_WORD.finditer(text):
        word = m.group(1).lower().rstrip("-")
        if word in {"from", "starting"} and not m.group(3):
            continue  # "from 1999" alone is that year (below)
        if take(m):
            y = int(m.group(2))
            lo = y + 1 if word in _EXCLUSIVE else y
    for m in _MIN_SUFFIX.finditer(text):
        if take(m):
            lo = int(m.group(1))
    for m in _MAX_WORD.finditer(text):
        if take(m):
            word = m.group(1).lower().rstrip("-")
            y = int(m.group(2))
            hi = y - 1 if word in _EXCLUSIVE else y
    for m in _MAX_SUFFIX.finditer(text):
        if take(m):
            hi = int(m.group(1))
    for m in _YEAR_ANY.finditer(text):
        if take(m):
            y = int(m.group(1))
            widen(y, y)
    if lo is None and hi is None:
        if (m := _RECENT.search(text)) and take(m):
            lo = now_year - 5
        elif (m := _OLD.search(text)) and take(m):
            hi = 1979
    return YearRange(lo, hi, tuple(spans))


# ----- domain -----

_NOT_DOMAIN = re.compile(r"\bbook(?:ing)? (?:me |us )?(?:a |an |the )?(?:flight|table|room|hotel|ticket|appointment|"
                         r"trip|cab|taxi|car|seat)", re.I)
_PHRASE_DOMAINS = tuple((k, v) for k, v in DOMAIN_WORDS.items() if " " in k)
_VERB_DOMAIN = frozenset({"watch", "watching", "watched", "read", "reading", "reads", "written", "wrote", "published",
                          "directed", "director", "author", "authors"})


def title_nouns(tokens: list[Token], spans: list[tuple[int, int]]) -> dict[int, tuple[int, str]]:
    """For each title (token span [start, end)), the domain noun right next to it ("the Dune movie",
    "the book Little Women"): (its token index, its domain). It says which version is meant."""
    out: dict[int, tuple[int, str]] = {}

    def low(j: int) -> str:
        return tokens[j].low if 0 <= j < len(tokens) else ""

    for k, (a, b) in enumerate(spans):
        after = b + 1 if low(b) == "the" else b  # "Dune the novel", "Gone Girl (the film)"
        before = a - 2 if low(a - 1) == "the" else a - 1  # "the book Little Women"
        for j in (after, a - 1, before):
            w = low(j)
            # A noun next to the title, or a verb right before it ("I watched Gone Girl", "read Dune").
            if w in DOMAIN_WORDS and (w not in _VERB_DOMAIN or j == a - 1):
                out[k] = (j, DOMAIN_WORDS[w])
                break
    return out


def domain(tokens: list[Token], text: str, language: str, known: set[str],
           negated: list[tuple[int, int]] = (), naming: set[int] = frozenset()) -> str | None:  # type: ignore[assignment]
    """"movie"/"book"/... when said. Nouns outweigh verbs ("a book I can watch" is rare; "read" is not);
    a negated domain ("movies, not books") does not count. Nouns that only name a title's version
    (``naming``: "the Dune movie") count only when nothing else in the message says a domain: "I loved
    the Dune movie, anything similar I could read?" asks for books."""
    if naming:
        rest = domain(tokens, text, language, known, negated)
        own = domain([t for i, t in enumerate(tokens) if i not in naming], text, language, known, negated)
        return own or rest
    if _NOT_DOMAIN.search(text):
        return None
    score: dict[str, float] = {}
    for t in tokens:
        if any(s <= t.start < e for s, e in negated):
            continue
        d = DOMAIN_WORDS.get(t.low)
        if d is None and t.low.rstrip("s") in known:
            d = t.low.rstrip("s")  # catalog-defined domains ("course", "podcast")
        if d is not None:
            score[d] = score.get(d, 0.0) + (0.5 if t.low in _VERB_DOMAIN else 1.0)
    low = text.lower()
    for phrase, d in _PHRASE_DOMAINS:  # "a page turner", "a beach read": several words, one domain noun
        if re.search(rf"\b{re.escape(phrase)}\b", low.replace("-", " ")):
            score[d] = score.get(d, 0.0) + 1.0
    if language != "en":
        for d, cues in ML_DOMAIN.items():
            if any(c in low for c in cues):
                score[d] = score.get(d, 0.0) + 1.0
    if not score:
        return None
    best = sorted(score.items(), key=lambda kv: -kv[1])
    if len(best) > 1 and best[0][1] == best[1][1]:
        return None
    return best[0][0]


# ----- critiques -----

_MORE_LESS = re.compile(
    r"\b(more|less|not (?:so|as|too)|too|a (?:bit|little|lot) (?:more|less)|way (?:more|less)|much (?:more|less)"
    r"|fewer|not that|nothing too|something less|something more)\s+([a-z][a-z-]+)", re.I)
_COMPARATIVE = re.compile(r"\b([a-z]+(?:er|ier))\b(?:\s+(?:one|ones|stuff|please|than))?", re.I)
_NOT_ADJ = re.compile(r"\b(?:not|isn'?t|aren'?t|nothing|never|without being)\s+(too\s+|so\s+|very\s+|overly\s+)?"
                      r"([a-z][a-z-]+)", re.I)
# Nouns people use in critiques, as the adjective the rest of the system uses.
CRITIQUE_NOUNS = {"violence": "violent", "gore": "gory", "blood": "bloody", "sex": "explicit",
                  "swearing": "explicit", "romance": "romantic", "action": "action", "jump scares": "scary",
                  "drama": "dramatic", "talking": "talky", "dialogue": "talky", "comedy": "funny", "humor": "funny"}
_NOT_CRITIQUE_AFTER_MORE = frozenset(
    "like of than please options recommendations recs suggestions ideas movies films books novels "
    "stuff things ones one same similar than the a an it that this those these from by".split())


def critiques(text: str, skip: list[tuple[int, int]], genre_words: frozenset[str] = frozenset()
              ) -> tuple[list[str], list[tuple[int, int]]]:
    """Soft critique words with a sign: "+dark" (more dark), "-gory" (less gory). Returns spans used.
    Spans in `skip` (year phrases: "not older than 2000") are not critiques. A plain "not X" is a
    critique only when X is not a genre word (then it is a hard exclusion, found by the genre pass);
    "not too X" always is."""
    out: list[str] = []
    spans: list[tuple[int, int]] = list(skip)
    for m in _MORE_LESS.finditer(text):
        if any(m.start() < e and s < m.end() for s, e in spans):
            continue
        cue, word = m.group(1).lower(), m.group(2).lower()
        base = COMPARATIVES.get(word, CRITIQUE_NOUNS.get(word, word))
        if word in _NOT_CRITIQUE_AFTER_MORE or (base not in CRITIQUE_ADJECTIVES and word not in COMPARATIVES):
            continue
        negative = cue.startswith(("less", "not", "too", "fewer", "nothing", "something less")) or "less" in cue
        if word in COMPARATIVES and cue.startswith(("a bit more", "a little more", "a lot more", "much more",
                                                    "way more")):
            negative = False
        out.append(("-" if negative else "+") + base)
        spans.append(m.span())
    for m in _COMPARATIVE.finditer(text):
        if any(m.start() < e and s < m.end() for s, e in spans):
            continue
        word = m.group(1).lower()
        base = COMPARATIVES.get(word)
        if base is None:
            continue
        prev = text[max(0, m.start() - 12) : m.start()].lower()
        out.append(("-" if re.search(r"\b(less|not|no)\s*$", prev) else "+") + base)
        spans.append(m.span())
    for m in _NOT_ADJ.finditer(text):
        if any(m.start() < e and s < m.end() for s, e in spans):
            continue
        word = m.group(2).lower()
        if word not in CRITIQUE_ADJECTIVES or (word in genre_words and not m.group(1)):
            continue
        out.append("-" + COMPARATIVES.get(word, word))
        spans.append(m.span())
    return list(dict.fromkeys(out)), spans[len(skip):]


# ----- references to the last list -----

_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
             "fifth": 4, "5th": 4, "sixth": 5, "6th": 5, "seventh": 6, "7th": 6, "eighth": 7, "8th": 7,
             "ninth": 8, "9th": 8, "tenth": 9, "10th": 9}
_NUM_WORDS = {"one": 0, "two": 1, "three": 2, "four": 3, "five": 4, "six": 5, "seven": 6, "eight": 7,
              "nine": 8, "ten": 9}
_ORD_RE = re.compile(r"\b(?:the\s+)?(" + "|".join(_ORDINALS) + r"|last|final|middle|top|bottom)"
                     r"(?:\s+(?:one|ones|pick|option|choice|movie|film|book|novel|suggestion|item|title))?\b", re.I)
_NUM_RE = re.compile(r"(?:\b(?:number|no\.?|num|option|choice|pick|item)\s*|#)(\d{1,2}|"
                     + "|".join(_NUM_WORDS) + r")\b", re.I)
_COUNT = {"two": 2, "three": 3, "four": 4, "2": 2, "3": 3, "4": 4}
_FIRST_N = re.compile(r"\b(first|top|last) (two|three|four|[234])\b(?! (?:of|years?|days?|weeks?|months?|times?|pages?|"
                      r"chapters?|minutes?|hours?|episodes?|seasons?|books? of|films? of|movies? of)\b)", re.I)
_VERB_NUMS = re.compile(r"\b(?:watched|seen|saw|read|liked|loved|hated|enjoyed|disliked)\s+((?:#?\d\s*(?:,|and|&)\s*)+#?\d)\b"
                        r"(?!\s*(?:movies|films|books|novels|of|times|years|hours|pages|seasons|episodes))", re.I)
_THAT_ONE = re.compile(r"\b(?:that|this|the) (?:one|movie|film|book|novel|pick|suggestion)\b(?! of)", re.I)
_IT = re.compile(r"\b(?:it|that|this)\b", re.I)
_ALL = re.compile(r"\b(?:those|these|them|all of (?:them|those|these)|all (?:three|four|five|of it)"
                  r"|both|any of (?:them|those|these)|none of (?:them|those|these))\b",
                  re.I)
_BOTH_ORD = re.compile(r"\b(first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th|last) (?:and|&) (?:the )?"
                       r"(first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th|last)\b", re.I)
_REJECT = re.compile(
    r"\b(?:not|no|nah|nope|none of|neither|skip|drop|without|except|anything but|other than|but not|exclude"
    r"|remove|get rid of|don'?t (?:like|want)|not into)"
    r"\s+(?:\w+\s+){0,2}?(?:that|this|those|these|them|it|the (?:first|second|third|fourth|fifth|last|"
    r"1st|2nd|3rd|4th|5th)|#?\d|number|option)\b|\b(?:none of|neither of) (?:them|those|these)\b"
    r"|\bnot (?:that|this|those|these)\b|\b(?:these|those|they) (?:are|were) (?:all )?(?:bad|terrible|"
    r"awful|boring|not)", re.I)


@dataclass(frozen=True, slots=True)
class Refs:
    positions: tuple[int, ...] = ()
    all: bool = False
    reject: bool = False
    pronoun: bool = False  # the position came from "that one"/"it", not from an ordinal or number


def refs(text: str, n_last: int) -> Refs:
    """Positions in the last list this text points at. Nothing without a last list to point into."""
    if n_last <= 0:  # nothing to point into; "it" may still mean the item under discussion
        return Refs(pronoun=bool(_THAT_ONE.search(text) or _IT.search(text)))
    pos: list[int] = []
    taken: list[tuple[int, int]] = []
    for m in _FIRST_N.finditer(text):  # "the first two", "the last 3": a run of picks
        n = _COUNT[m.group(2).lower()]
        run = range(n) if m.group(1).lower() in ("first", "top") else range(max(0, n_last - n), n_last)
        pos.extend(run)
        taken.append(m.span())
    for m in _BOTH_ORD.finditer(text):
        for g in m.groups():
            pos.append(n_last - 1 if g.lower() == "last" else _ORDINALS[g.lower()])
    for m in _ORD_RE.finditer(text):
        if any(a <= m.start(1) < b for a, b in taken):
            continue
        w = m.group(1).lower()
        # "first" alone is often an adverb ("first, I want..."); require a noun or article with it.
        has_noun = m.group(0).lower().split()[-1] != w or m.group(0).lower().startswith("the ")
        if w in {"top", "bottom", "middle", "final"} and not has_noun:
            continue
        if not has_noun and w not in {"last"}:
            continue
        if w == "last" and re.match(r"last (?:few |couple (?:of )?)?(?:years?|times?|weeks?|nights?|months?|decades?|century)",
                                   text[m.start(1):], re.I):
            continue
        p = {"last": n_last - 1, "final": n_last - 1, "bottom": n_last - 1, "top": 0,
             "middle": n_last // 2}.get(w, _ORDINALS.get(w, -1))
        pos.append(p)
    for m in _NUM_RE.finditer(text):
        g = m.group(1).lower()
        pos.append(int(g) - 1 if g.isdigit() else _NUM_WORDS[g])
    for m in _VERB_NUMS.finditer(text):  # "I've watched 2 and 3": bare numbers after a verdict verb
        pos.extend(int(g) - 1 for g in re.findall(r"\d", m.group(1)))
    pronoun = not pos and bool(_THAT_ONE.search(text) or _IT.search(text))
    if not pos and _THAT_ONE.search(text):
        pos.append(0)
    if not pos and n_last == 1 and _IT.search(text):
        pos.append(0)  # with one item shown, "it"/"that" can only mean that item
    all_ = bool(_ALL.search(text)) and not pos
    seen: list[int] = []
    for p in pos:
        if 0 <= p < n_last and p not in seen:
            seen.append(p)
    return Refs(tuple(seen), all_, bool(_REJECT.search(text)) and (bool(seen) or all_), pronoun)


# ----- negation scope -----

_NEG_TRIGGER = re.compile(
    r"\b(?:no|not|non(?![- ]?fiction)|without|except|excluding|exclude|avoid|skip|drop|ditch|remove|lose|never|nothing|none|"
    r"isn'?t|aren'?t|wasn'?t|hate|hates|hated|"
    r"dislike|dislikes|can'?t stand|anything but|everything but|all but|other than|but not|rather than|"
    r"instead of|don'?t (?:want|like|need|care for|love|enjoy)|do not (?:want|like|enjoy)|doesn'?t|no more|"
    r"didn'?t (?:like|enjoy|love|care for)|did not (?:like|enjoy)|"
    r"not into|not a fan of|tired of|sick of|enough of|minus|aside from|apart from)\b", re.I)
_SCOPE_END = re.compile(r"[.;!?,]|\b(?:but|however|though|instead|rather|just|only|prefer|i want|i'd like|"
                        r"something|give me|show me|maybe|and (?:i |something|maybe))\b", re.I)
_SOFTENER = r"(?:too|so|that|very|overly|really|super)"  # "not too ...": less of it, not none
# "not too scary": the softened adjective (and its or-list); "not so much X" is a plain negation.
_SOFT_SCOPE = re.compile(r"\s+" + _SOFTENER + r"\s+(?!much\b|many\b|keen\b|fond\b|into\b)"
                         r"[\w'-]+(?:\s*(?:,|\bor\b|\bnor\b)\s*[\w'-]+)*", re.I)
_SOFT = re.compile(r"\b(?:not|nothing|none) " + _SOFTENER + r"\s*$", re.I)


def negated_spans(text: str) -> list[tuple[int, int]]:
    """Char spans under a negation: from the trigger to the end of its clause (a few words at most)."""
    out: list[tuple[int, int]] = []
    for m in _NEG_TRIGGER.finditer(text):
        rest = text[m.end() :]
        # "anything but" is a trigger; a plain "but" ends the scope.
        end = _SCOPE_END.search(rest)
        stop = m.end() + (end.start() if end else len(rest))
        soft = _SOFT_SCOPE.match(rest) if m.group(0).lower() in ("not", "nothing", "none") else None
        if soft:  # "not too scary horror": only "scary" is softened; the horror is asked for
            stop = min(stop, m.end() + soft.end())
        stop = min(stop, m.end() + 60)
        out.append((m.start(), stop))
    return out


def soft_negation(text: str, start: int) -> bool:
    """"not too scary": a wish for less, not a hard exclusion."""
    return bool(_SOFT.search(text[max(0, start - 20) : start]))
