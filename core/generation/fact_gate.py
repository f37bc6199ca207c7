"""The fact gate: a model-written sentence is shown only if what it claims is in the facts.

Facts are the listed items' own fields (title, year, creator, genres/tags, description, the
recommender's reason) and the person's words. Rules, each a reason to drop the sentence (see
``FactGate.problems``; measured on real SmolLM2 output in docs/generation.md):

- attribution: every person named must be a listed item's creator, and the title nearest to a creator
  mention must be that creator's (catches "A Clockwork Orange, a Spielberg film"); cast talk
  ("starring", "actor") is out, the facts have no cast;
- numbers and decades: a number or an "80s" the facts and the request do not contain;
- talk about the person or the list instead of the picks: "you provide great suggestions",
  "I'm glad you enjoyed", "your picks", "from the list above", promises ("I'll add them");
- no anchor: the sentence names no listed title, creator, genre/tag or word of the request;
- invention: too few of its content words occur in the facts (a description of another story);
- a non-word (not English, not in the facts) or profanity; a put-down of a pick ("a big disappointment");
- no sentence: under three words, no final stop, "A) Circe" list items, a line that is all one quotation.

A dropped sentence only costs prose: the deterministic reply is always there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from core.generation.base import GenerationRequest

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_DIGITS = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})*|\d+)(?:st|nd|rd|th)?(?![\w.]\d)")
_DECADE = re.compile(r"\b(?:(1[89]|20)(\d)0|'?(\d)0)['’]?s\b")
_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50, "hundred": 100,
    "dozen": 12, "thousand": 1000, "million": 1_000_000,
}
_CAST = re.compile(r"\b(?:starring|stars|co-stars?|actor|actress|actors|cast|played by|plays the role|"
                   r"portrayed by|voiced by|performance by)\b", re.IGNORECASE)
_ABOUT_USER = re.compile(
    r"\byou(?:'ve|'d| have| had| just)?\s+(?:\w+ly\s+)?(?:enjoy(?:ed)?|lik(?:e|ed)|lov(?:e|ed)|said|mention(?:ed)?|"
    r"provide[sd]?|chose|chosen|picked|selected|shared|told|gave|given|made|wrote|suggest(?:ed)?|"
    r"requested|want(?:ed)?|are looking|were looking|seem|must be|will love|will enjoy|'re ready|are ready)\b"
    r"|\byour (?:picks?|choices?|selection|list|suggestions?|favou?rites?|taste|request)\b"
    r"|\b(?:i'm|i am) (?:glad|happy|sure|excited|thrilled)\b|\bthanks? (?:you )?for\b"
    r"|\bi(?:'ll| will| have|'ve| can)\s+(?:add|save|send|remember|include|keep|recommend you)\b",
    re.IGNORECASE)
_LIST_TALK = re.compile(r"\b(?:above|below|the following|listed|picklist|this list|the list|these picks|"
                        r"the picks|picks mentioned|in summary|here's how|here is how|choose from|select from|"
                        r"your own)\b", re.IGNORECASE)
_ENDED = re.compile(r"[.!?][\"'”’)\]]*\s*$")
_LETTER_ITEM = re.compile(r"^\s*[A-Za-z]\)\s")
_ALL_QUOTED = re.compile(r"^\s*[\"“][^\"“”]*[\"”]\s*[.!?]?\s*$")
_PUT_DOWN = re.compile(r"\b(?:disappoint\w*|boring|bad|worst|terrible|awful|overrated|mediocre|dull|waste|"
                       r"forgettable|unwatchable|avoid|mess|cringe\w*|lame|stupid|dumb)\b", re.IGNORECASE)
# Words that carry no factual claim about a pick (evaluation, glue, the kind of thing it is).
_NEUTRAL = frozenset(
    """movie movies film films book books novel novels story stories tale tales pick picks classic classics
    great good perfect wonderful brilliant fantastic amazing excellent lovely fine favorite favourite must
    watch watching read reading enjoy enjoyable fans fan lovers love loved fun choice choices option
    options recommend recommended recommendation worth time night evening weekend mood something anyone
    everyone someone people those these this that with without about from into through also both each
    every other another more most some many much very really quite just still even ever never always
    both either would could should will shall might must have has had been being make makes made take
    takes keep keeps give gives find finds feel feels look looks like well here there where when what
    which while whose them they their theirs then than your yours you our ours ones thing things kind
    sort along first last best better whole full truly simply definitely certainly absolutely timeless
    memorable unforgettable iconic beloved popular famous known welcome enjoyably highly theme themes
    explores explore exploring portrait journey""".split()
)
_PROFANITY: set[str] | None = None
# better-profanity's list also holds plain words of plot summaries and identity terms; those are no
# profanity in a sentence about films and books.
_NOT_PROFANE = frozenset("""kill killer killers killing kills murder murders murderer naked nazi nazis hell sex sexual
    sexuality sexy drug drugs bloody blood gay lesbian queer damn violent violence suicide racial death dead
    weed pot crack strip stripper escort""".split())


@functools.lru_cache(maxsize=1)
def _english() -> frozenset[str]:
    """About 160k English words (pyspellchecker's dictionary), loaded once on first use (~1 s)."""
    from spellchecker import SpellChecker

    return frozenset(SpellChecker().word_frequency.dictionary.keys())


def _profane(words: Iterable[str]) -> bool:
    global _PROFANITY
    if _PROFANITY is None:
        from better_profanity import profanity

        profanity.load_censor_words()
        _PROFANITY = {str(w).lower() for w in profanity.CENSOR_WORDSET} - _NOT_PROFANE
    return any(w in _PROFANITY for w in words)


def stem(word: str) -> str:
    """A crude English stem so "terrorized"/"terror", "comedies"/"comedy" meet (no claim beyond that)."""
    w = word.lower().replace("’", "'").removesuffix("'s")
    for suffix, keep in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""),
                         ("ly", ""), ("er", ""), ("est", ""), ("ness", ""), ("ful", ""), ("ism", ""), ("ist", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            return w[: -len(suffix)] + keep
    return w


def _tokens(text: str) -> list[str]:
    return [t.lower().replace("’", "'") for t in _TOKEN.findall(text)]


class FactGate:
    """Fact checks of one sentence against one request's items and the person's words."""

    def __init__(self, req: GenerationRequest, min_support: float = 0.5) -> None:
        self.min_support = min_support
        self.n_items = len(req.items)
        user = _tokens(req.user_text)
        facts: list[str] = [req.intro]
        self.titles: list[tuple[list[str], set[str]]] = []  # (title tokens, its creators' name tokens)
        self.item_vocab: list[set[str]] = []  # per item: its own facts' words (claims about it come from there)
        self.creator_names: set[str] = set()
        self.name_tokens: set[str] = set()  # every word of every creator's name ("ursula", "le", "guin")
        self.anchors: set[str] = set()
        for it in req.items:
            facts += [it.title, it.creator or "", it.description, it.reason, it.domain, " ".join(it.tags)]
            names: set[str] = set()
            for person in re.split(r",|\band\b|&", it.creator or ""):
                toks = _tokens(person)
                if toks:
                    names.add(" ".join(toks))
                    names.add(toks[-1])  # "Kubrick" alone names him too
                    self.name_tokens.update(t for t in toks if len(t) > 1)
            self.creator_names |= names
            title = [t for t in _tokens(it.title)]
            if title:
                self.titles.append((title, names))
                own = [t for text in (it.title, it.creator or "", it.description, it.reason, it.domain, " ".join(it.tags))
                       for t in _tokens(text)]
                self.item_vocab.append({stem(t) for t in own} | set(own))
            self.anchors |= {stem(t) for t in _tokens(" ".join((it.title, *it.tags, it.domain, it.reason)))
                             if len(t) > 2 and t not in _NEUTRAL}
        self.anchors |= {stem(n) for name in self.creator_names for n in name.split()}
        self.anchors |= {stem(t) for t in user + _tokens(req.intro) if len(t) > 3 and t not in _NEUTRAL}
        # Said by the facts themselves ("because you liked Heat"): not a claim about the person.
        self.fact_text = " ".join(" ".join(_tokens(text)) for text in facts)
        self.intro = " ".join(_tokens(req.intro))
        fact_tokens = [t for text in facts for t in _tokens(text)]
        self.vocab = {stem(t) for t in fact_tokens + user} | set(fact_tokens) | set(user)
        intro = _tokens(req.intro)
        self.user_vocab = {stem(t) for t in user + intro} | set(user) | set(intro)
        numbers = {int(n.replace(",", "")) for text in [*facts, req.user_text] for n in _DIGITS.findall(text)}
        numbers |= {_NUMBER_WORDS[t] for t in fact_tokens + user if t in _NUMBER_WORDS}
        self.numbers = numbers | {self.n_items}
        years = {int(y) for text in [*facts, req.user_text] for y in re.findall(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", text)}
        self.decades = {y // 10 % 10 for y in years} | {int(d) for m in _DECADE.finditer(req.user_text)
                                                          for d in (m.group(2) or m.group(3),) if d}
        self.user_decade_words = {m.group(0).lower() for m in _DECADE.finditer(req.user_text)}

    # ---- the rules ----------------------------------------------------------------------------------
    def _mentions(self, toks: list[str], phrases: Iterable[list[str]]) -> list[int]:
        found: list[int] = []
        for phrase in phrases:
            n = len(phrase)
            for i in range(len(toks) - n + 1):
                if toks[i : i + n] == phrase:
                    found.append(i)
        return found

    def _misattributed(self, toks: list[str]) -> bool:
        title_spans: list[tuple[int, int, set[str]]] = []
        for title, names in self.titles:
            core = title[1:] if title[0] in ("the", "a", "an") and len(title) > 1 else title
            for i in self._mentions(toks, [core]):
                title_spans.append((i, i + len(core), names))
        if not title_spans:
            return False
        for name in self.creator_names:
            for at in self._mentions(toks, [name.split()]):
                inside = [s for s in title_spans if s[0] <= at < s[1]]
                if inside:
                    continue  # the name is part of a title ("Frankenstein" the book, "Emma")
                nearest = min(title_spans, key=lambda s: min(abs(at - s[0]), abs(at - s[1] + 1)))
                if name not in nearest[2]:
                    return True
        return False

    def _unknown_person(self, sentence: str) -> bool:
        """"by X Y" / "directed by X" / "X's novel" naming someone who created none of the items."""
        for m in re.finditer(r"\b(?:by|director|author|writer|filmmaker|novelist)\s+((?:[A-Z][\w.'’-]*\s?){1,3})",
                             sentence):
            name = [t for t in _tokens(m.group(1)) if len(t) > 1]
            if name and not any(t in self.name_tokens for t in name):
                return True
        return False

    def _bad_numbers(self, sentence: str, toks: list[str]) -> bool:
        clean = re.sub(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", " ", sentence)  # years have their own rule
        for n in _DIGITS.findall(clean):
            if int(n.replace(",", "")) not in self.numbers:
                return True
        if any(t in _NUMBER_WORDS and _NUMBER_WORDS[t] not in self.numbers for t in toks):
            return True
        for m in _DECADE.finditer(sentence):
            digit = m.group(2) or m.group(3)
            if digit and int(digit) not in self.decades and m.group(0).lower() not in self.user_decade_words:
                return True
        return False

    def _about(self, toks: list[str]) -> list[int]:
        """Indices of the items the sentence names (by title or creator)."""
        named: list[int] = []
        for n, (title, names) in enumerate(self.titles):
            core = title[1:] if title[0] in ("the", "a", "an") and len(title) > 1 else title
            if self._mentions(toks, [core]) or any(self._mentions(toks, [name.split()]) for name in names):
                named.append(n)
        return named

    def _support(self, toks: list[str]) -> float:
        """Share of the content words found in the facts: of the one item named, when exactly one is
        (Catch-22 described with another pick's words is still invented), else of all of them."""
        content = {t for t in toks if len(t) > 3 and t.isalpha() and t not in _NEUTRAL}  # a repeated name counts once
        if not content:
            return 1.0
        named = self._about(toks)
        vocab = self.vocab
        if len(named) == 1:
            vocab = self.item_vocab[named[0]] | self.user_vocab
        hits = sum(t in vocab or stem(t) in vocab for t in content)
        return hits / len(content)

    def _non_word(self, toks: list[str]) -> bool:
        english = _english()
        for t in toks:
            if not t.isalpha() or len(t) < 3:
                continue
            if t in english or t in self.vocab or stem(t) in self.vocab or t.split("'")[0] in english:
                continue
            return True
        return False

    def problems(self, sentence: str) -> list[str]:
        """Why ``sentence`` must not be shown (empty: it passes)."""
        toks = _tokens(sentence)
        found: list[str] = []
        if toks and " ".join(toks) in self.intro:
            return found  # the deterministic intro itself (the template fallback) is fact by construction
        if len(toks) < 3 or not _ENDED.search(sentence) or _LETTER_ITEM.match(sentence) or _ALL_QUOTED.match(sentence):
            found.append("fragment")  # headings, bare titles, "A) Circe", cut-off text, a quoted line
        if _CAST.search(sentence):
            found.append("cast")
        if self._misattributed(toks) or self._unknown_person(sentence):
            found.append("attribution")
        if self._bad_numbers(sentence, toks):
            found.append("number")
        talk = [m for m in (*_ABOUT_USER.finditer(sentence), *_LIST_TALK.finditer(sentence))
                if " ".join(_tokens(m.group(0))) not in self.fact_text]
        if talk:
            found.append("off-request")
        if not any(t in self.anchors or stem(t) in self.anchors for t in toks):
            found.append("no-anchor")
        if self._support(toks) < self.min_support:
            found.append("unsupported")
        if _PUT_DOWN.search(sentence):
            found.append("put-down")
        if self._non_word(toks) or _profane(t for t in toks if t not in self.vocab):
            found.append("non-word")
        return found
