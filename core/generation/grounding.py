"""Grounding: validate model prose against the request before anyone sees it.

Rules, applied sentence by sentence (a sentence is the unit we keep or drop, so what remains reads
naturally):
- a title-like mention that is not one of ``req.items`` drops the sentence: a "(Year)" whose preceding
  text is not that item's title, a year no fact mentions, a quoted span that is not a known title, or a
  run of Capitalized Words with a word that appears in no fact (titles, creators, descriptions, reasons,
  intro) and is not a common capitalized word. This is deliberately strict: a false positive costs
  only prose (the template line replaces it), a false negative recommends something that doesn't exist;
- echoes of the prompt (5-word overlap with the fixed instructions, role markers, template tokens) and
  list lines (the core renders the list itself) drop the sentence;
- pings (@everyone, @here, <@id>, <!channel>, ...), links and invisible/bidi control characters are
  removed from the text;
- length is bounded (sentences and characters). If nothing useful remains, GenerationError tells the
  caller to fall back to the template.

``SentenceGuard`` applies the same rules to a stream: text is released one validated sentence at a time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from core.generation.base import GenerationError, GenerationRequest
from core.generation.fact_gate import FactGate
from core.generation.prompt import fixed_prompt_texts

MAX_SENTENCES = 3
MAX_CHARS = 420
SHINGLE = 5

_WORD = re.compile(r"[^\W_][\w'’\-]*")
# Explicit pings drop their sentence (a model that writes them was steered by someone); any other
# "@word" just loses its "@" so nothing in the reply can notify people.
_PINGS = re.compile(
    r"<[^<>\s]{1,64}>"  # a markup token of any platform (a mention, a channel, a broadcast)
    r"|[@＠﹫]\s*(?:everyone|here|all|channel|room)\b",  # a broadcast to a whole room
    re.IGNORECASE,
)
_AT = re.compile(r"[@＠﹫]\s*(?=\w)")
_URL = re.compile(r"\[([^\]]{0,80})\]\([^)]*\)|https?://\S+|\bwww\.\S+|\b\S+\.(?:com|net|org|io|gg|ly)\S*\b",
                  re.IGNORECASE)
_TEMPLATE_TOKEN = re.compile(r"<\|[^|>]{0,40}\|>|</?s>|\[/?INST\]|<</?SYS>>|<(?:start|end)_of_turn>",
                             re.IGNORECASE)
_ROLE = re.compile(r"^\s*(?:system|user|assistant|human|ai|instruction|task|facts?|\w+(?: \w+)?)\s*:",
                   re.IGNORECASE)  # role markers and short "Label:" prefixes
# Talk about the prompt itself rather than the picks (small models drift into it).
_META = re.compile(r"\b(?:tasks?|instructions?|prompts?|markdown|syntax|placeholders?|rephrase|the user|"
                   r"original message|this is data|as an ai|language model)\b", re.IGNORECASE)
_LIST_LINE = re.compile(r"^\s*(?:\d{1,2}\s*[.)]|[-*•·▪►]|#+)\s+")
_LIST_NUMBER = re.compile(r"^\s*\d{1,2}[.)]$")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)(?!'?s\b)")
_PAREN_YEAR = re.compile(r"\(\s*(1[89]\d\d|20\d\d)\s*\)")
_QUOTED = re.compile(r"[\"“”«»„]([^\"“”«»„\n]{1,100})[\"“”«»„]|(?<![\w'’])['‘]([^'‘’\n]{1,100})['’](?![\w])")
_SENTENCE_END = re.compile(r"([.!?…]+[\"'”’)\]]*)(\s+)|(\n+)")
_CONNECTORS = frozenset(
    "of the and a an in on to for with at from by de la le du des del von van & or vs".split()
)
# Capitalized words that do not name a title (days, months, nationalities, bits of chat).
_COMMON_CAPS = frozenset(
    """i i'm i'd i've i'll ok okay tv dvd ai recbot hi hey hello thanks thank yes no wow oh
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december christmas halloween easter valentine's thanksgiving
    english french spanish italian german japanese korean chinese american british european asian
    african indian russian irish scottish canadian australian mexican brazilian nordic scandinavian
    hollywood bollywood oscar oscars sci-fi scifi western noir gothic victorian medieval
    """.split()
)


def _norm(text: str) -> str:
    return " ".join(w.lower() for w in _WORD.findall(text))


def _word_key(word: str) -> str:
    w = word.lower().replace("’", "'")
    for suffix in ("'s", "'re", "'ve", "'ll", "'d", "'m", "s'"):
        if w.endswith(suffix) and len(w) > len(suffix):
            return w[: -len(suffix)] if suffix != "s'" else w[:-1]
    return w


def strip_invisible(text: str) -> str:
    """Drop control/format characters (zero-width, bidi overrides), keep newlines."""
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch)[0] != "C")


def defuse(text: str) -> str:
    """Remove pings, links and template tokens; collapse spaces."""
    text = _TEMPLATE_TOKEN.sub(" ", strip_invisible(text))
    text = _URL.sub(lambda m: m.group(1) or "", text)
    text = _AT.sub("", _PINGS.sub("", text))
    text = text.replace("`", "").replace("*", "")
    return re.sub(r"[ \t]+", " ", text).strip()


@dataclass
class Grounder:
    """Sentence validator bound to one request."""

    req: GenerationRequest
    max_sentences: int = MAX_SENTENCES
    max_chars: int = MAX_CHARS
    vocab: set[str] = field(init=False)
    titles: set[str] = field(init=False)
    years: set[int] = field(init=False)
    title_years: dict[int, set[str]] = field(init=False)
    shingles: set[tuple[str, ...]] = field(init=False)
    facts: FactGate = field(init=False)

    def __post_init__(self) -> None:
        self.facts = FactGate(self.req)
        facts: list[str] = [self.req.intro]
        self.titles = set()
        self.title_years = {}
        for it in self.req.items:
            facts += [it.title, it.creator or "", it.description, it.reason, it.domain]
            self.titles.add(_norm(it.title))
            if it.year:
                self.title_years.setdefault(it.year, set()).add(_norm(it.title))
        self.vocab = {_word_key(w) for text in facts for w in _WORD.findall(text)}
        self.years = {it.year for it in self.req.items if it.year}
        for text in [*facts, self.req.user_text]:
            self.years.update(int(y) for y in _YEAR.findall(text))
        self.shingles = set()
        for text in fixed_prompt_texts():
            words = _norm(text).split()
            self.shingles.update(tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))

    # ---- rules --------------------------------------------------------------------------------
    def _echoes_prompt(self, sentence: str) -> bool:
        if "you are recbot" in _norm(sentence):
            return True
        words = _norm(sentence).split()
        if len(words) < SHINGLE:
            return _norm(sentence) in {" ".join(s) for s in self.shingles}
        return any(tuple(words[i : i + SHINGLE]) in self.shingles for i in range(len(words) - SHINGLE + 1))

    def _known_phrase(self, phrase: str) -> bool:
        norm = _norm(phrase)
        if norm in self.titles:
            return True
        caps = [w for w in _WORD.findall(phrase) if w[0].isupper()]
        return all(_word_key(w) in self.vocab or _word_key(w) in _COMMON_CAPS for w in caps)

    def _bad_years(self, sentence: str) -> bool:
        if any(int(y) not in self.years for y in _YEAR.findall(sentence)):
            return True
        for m in _PAREN_YEAR.finditer(sentence):
            before = _norm(sentence[: m.start()])
            titles = self.title_years.get(int(m.group(1)), set())
            if not any(f" {before}".endswith(f" {t}") for t in titles):
                return True
        return False

    def _bad_quotes(self, sentence: str) -> bool:
        for m in _QUOTED.finditer(sentence):
            span = m.group(1) or m.group(2) or ""
            if any(ch.isupper() for ch in span) and not self._known_phrase(span):
                return True
        return False

    def _bad_caps(self, sentence: str) -> bool:
        words = list(_WORD.finditer(sentence))
        for i, m in enumerate(words):
            w = m.group(0)
            if not w[0].isupper() and not w[0].isdigit():
                continue
            if i == 0 or w[0].isdigit():
                continue  # a sentence-initial capital says nothing; the words after it are still checked
            key = _word_key(w)
            if key not in self.vocab and key not in _COMMON_CAPS and key not in _CONNECTORS:
                return True
        return False

    def check(self, sentence: str) -> str | None:
        """The sentence cleaned, or None if it must be dropped."""
        if _ROLE.match(sentence) or _LIST_LINE.match(sentence) or _TEMPLATE_TOKEN.search(sentence):
            return None
        visible = strip_invisible(sentence)
        if _PINGS.search(visible) or _URL.search(visible):
            return None
        text = defuse(visible)
        if not _WORD.search(text):
            return None
        if _META.search(text) or self._echoes_prompt(text) or self._bad_years(text) or self._bad_quotes(text) or self._bad_caps(text):
            return None
        if self.facts.problems(text):
            return None
        return text

    def reasons(self, sentence: str) -> list[str]:
        """Every rule ``sentence`` breaks (for the gate's benchmark and for tests)."""
        found: list[str] = []
        if _ROLE.match(sentence) or _LIST_LINE.match(sentence) or _TEMPLATE_TOKEN.search(sentence):
            found.append("format")
        visible = strip_invisible(sentence)
        if _PINGS.search(visible) or _URL.search(visible):
            found.append("ping-or-link")
        text = defuse(visible)
        for name, bad in (("meta", _META.search(text)), ("echo", self._echoes_prompt(text)),
                          ("year", self._bad_years(text)), ("quote", self._bad_quotes(text)),
                          ("unknown-name", self._bad_caps(text))):
            if bad:
                found.append(name)
        return found + self.facts.problems(text)


def split_sentences(text: str) -> tuple[list[str], str]:
    """Complete sentences (terminated and followed by whitespace, or ended by a newline) and the rest."""
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end(1) if m.group(1) else m.start(3)
        if m.group(1) and _LIST_NUMBER.match(text[start:end]):
            continue  # "2. " opens a list line; the line ends at its newline
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = m.end()
    return out, text[start:]


class SentenceGuard:
    """Streaming grounding: feed raw pieces, get back validated sentences as soon as each completes."""

    def __init__(self, req: GenerationRequest, max_sentences: int = MAX_SENTENCES, max_chars: int = MAX_CHARS):
        self.grounder = Grounder(req, max_sentences, max_chars)
        self._buf = ""
        self.kept: list[str] = []
        self.chars = 0

    @property
    def full(self) -> bool:
        """No more sentences will be accepted (callers stop generating to save compute)."""
        return len(self.kept) >= self.grounder.max_sentences or self.chars >= self.grounder.max_chars

    def _accept(self, sentences: list[str]) -> list[str]:
        released: list[str] = []
        for s in sentences:
            if self.full:
                break
            clean = self.grounder.check(s)
            if clean is None:
                continue
            room = self.grounder.max_chars - self.chars
            if len(clean) > room:
                if self.kept:
                    break  # never cut a later sentence in half; the earlier ones stand alone
                clean = clean[:room].rsplit(" ", 1)[0].rstrip(",;:") + "…"
            piece = clean if not self.kept else " " + clean
            self.kept.append(clean)
            self.chars += len(piece)
            released.append(piece)
        return released

    def feed(self, piece: str) -> list[str]:
        self._buf += piece
        sentences, self._buf = split_sentences(self._buf)
        return self._accept(sentences)

    def finish(self, truncated: bool = False) -> list[str]:
        """Flush the tail. A tail cut off by the token limit is never shown: half a sentence is no fact
        (the gate's labelled set has 26 such tails, none fit to show; docs/generation.md)."""
        tail = self._buf.strip()
        self._buf = ""
        if not tail or truncated:
            return []
        return self._accept([tail])

    def text(self) -> str:
        return " ".join(self.kept)

    def require_useful(self) -> str:
        text = self.text()
        if len(_WORD.findall(text)) < 2:
            raise GenerationError("the generated reply had nothing grounded left")
        return text


def ground(text: str, req: GenerationRequest, truncated: bool = False, *, max_sentences: int = MAX_SENTENCES,
           max_chars: int = MAX_CHARS) -> str:
    """The validated prose for ``text``; raises GenerationError when the caller must use the template."""
    guard = SentenceGuard(req, max_sentences, max_chars)
    guard.feed(text)
    guard.finish(truncated)
    return guard.require_useful()
