"""Cleaning untrusted chat text, tokenizing it, and guessing its language.

Everything here is cheap and defensive: the input is whatever someone typed into Discord or Slack,
including pings, markdown, URLs, emoji-only messages and walls of pasted text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Messages are cut before any regex runs, so a pasted novel costs the same as a paragraph.
MAX_CHARS = 2000

# Adapters turn their platform's markup (mentions, channel links, <url|label>, custom emoji) into plain
# text before the core sees a message. What is left here is generic and defensive: any angle-bracket
# markup token that still got through, and "@name" handles, never reach matching or an echo.
_MARKUP = re.compile(
    r"<[^<>\s][^<>\n]{0,80}>"  # an unresolved markup token of any platform
    r"|(?<![\w@])@[\w.-]{2,32}",  # @handles (ReDial-style @12345 too)
    re.IGNORECASE,
)
_MD_LINK = re.compile(r"\[([^\]]{1,200})\]\((?:https?://|www\.)[^)]{0,500}\)")
_URL = re.compile(r"<?(?:https?://|www\.)[^\s>]+>?", re.IGNORECASE)
_EMOJI_CODE = re.compile(r":[a-z0-9_+-]{1,40}:")  # :shortcodes:
_CODE_BLOCK = re.compile(r"```.*?```", re.DOTALL)
# Emphasis marks a title as often as it marks tone, so *Heat* / _Heat_ become "Heat".
_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3})([^*_\n]{1,80}?)\1")
_INLINE_CODE = re.compile(r"`([^`\n]{1,80})`")
_MD_PREFIX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d{1,3}[.)]\s+)", re.MULTILINE)
_STRIKE = re.compile(r"~~([^~]*)~~")
_SPOILER = re.compile(r"\|\|([^|]*)\|\|")
_WS = re.compile(r"\s+")
_CTRL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u00ab": '"',
                         "\u00bb": '"', "\u300c": '"', "\u300d": '"', "\u300e": '"', "\u300f": '"'})


def clean(text: str) -> str:
    """The message without pings, URLs, code and markup: safe to echo and to match against."""
    text = (text or "")[:MAX_CHARS]
    text = _CTRL.sub("", text)
    text = _CODE_BLOCK.sub(" ", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MARKUP.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _EMOJI_CODE.sub(" ", text)
    text = _SPOILER.sub(r"\1", text)
    text = _STRIKE.sub(r"\1", text)
    text = _EMPHASIS.sub(r'"\2"', text)
    text = _INLINE_CODE.sub(r'"\1"', text)
    text = _MD_PREFIX.sub("", text)
    text = text.translate(_QUOTES)
    # A stray "@" left over (e.g. "@ everyone") must never reach a reply as a ping.
    text = text.replace("@", " ")
    return _WS.sub(" ", text).strip()


def fold(text: str) -> str:
    """Lowercase ASCII-ish form for matching: accents dropped, '&' spelled out, punctuation spaced."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("&", " and ").replace("'", "").replace("\u2019", "")
    return _WS.sub(" ", re.sub(r"[^\w\s]", " ", text)).strip()


# One token: a word (with inner apostrophes), a number, a CJK character run, or "&" (read as "and").
# Hyphens split words, as fold() does for titles: "Spider-Man" is "spider man" on both sides.
_TOKEN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*|&", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # as typed
    low: str  # folded for matching
    start: int  # char offsets into the cleaned text
    end: int


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    for m in _TOKEN.finditer(text):
        low = fold(m.group())
        if low:
            out.append(Token(m.group(), low.replace(" ", ""), m.start(), m.end()))
    return out


# ----- language -----

_SCRIPTS: list[tuple[str, tuple[tuple[int, int], ...]]] = [
    ("ja", ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))),  # kana: checked before Han
    ("ko", ((0xAC00, 0xD7AF), (0x1100, 0x11FF), (0x3130, 0x318F))),
    ("zh", ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xF900, 0xFAFF))),
    ("ru", ((0x0400, 0x04FF),)),
    ("ar", ((0x0600, 0x06FF), (0x0750, 0x077F))),
    ("he", ((0x0590, 0x05FF),)),
    ("hi", ((0x0900, 0x097F),)),
    ("th", ((0x0E00, 0x0E7F),)),
    ("el", ((0x0370, 0x03FF),)),
]

# Small function-word lists: enough to tell a Latin-script sentence's language, not to parse it.
_LATIN_STOP: dict[str, frozenset[str]] = {
    "en": frozenset("the a an and or but is are was i you me my it this that of to in for with what "
                    "something some any like want watch read movie book film please can".split()),
    "es": frozenset("el la los las un una y o pero es son yo tu mi que de en para con por algo "
                    "quiero una película libro puedes recomendar me gusta".split()),
    "fr": frozenset("le la les un une et ou mais est sont je tu mon ma que de en pour avec quelque "
                    "chose veux film livre peux recommander aime moi".split()),
    "de": frozenset("der die das ein eine und oder aber ist sind ich du mein meine was von zu in für "
                    "mit etwas will möchte film buch kannst empfehlen mag mir".split()),
    "pt": frozenset("o a os as um uma e ou mas é são eu você meu minha que de em para com algo "
                    "quero filme livro pode recomendar gosto".split()),
    "it": frozenset("il lo la gli le un una e o ma è sono io tu mio mia che di in per con qualcosa "
                    "voglio film libro puoi consigliare piace".split()),
}


def script_language(text: str) -> str | None:
    """The language a non-Latin script shows (by letter majority, so mixed text goes to the majority),
    or None when the message is (mostly) Latin letters."""
    counts: dict[str, int] = {}
    latin = 0
    for ch in text:
        cp = ord(ch)
        if ch.isascii():
            latin += ch.isalpha()
            continue
        for lang, ranges in _SCRIPTS:
            if any(lo <= cp <= hi for lo, hi in ranges):
                counts[lang] = counts.get(lang, 0) + 1
                break
        else:
            latin += ch.isalpha()
    if not counts:
        return None
    lang, n = max(counts.items(), key=lambda kv: kv[1])
    if "ja" in counts and lang == "zh":
        lang = "ja"  # Japanese mixes kanji with kana; any kana means Japanese
    # One CJK character carries about a word; weigh it against Latin letters per word (~5).
    return lang if n * 4 >= latin else None


def detect_language(text: str) -> str:
    """ISO 639-1 guess. Scripts decide first; Latin text is English unless another language's
    function words clearly outnumber English ones."""
    if lang := script_language(text):
        return lang
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", text)]
    if len(words) < 2:
        return "en"
    scores = {lang: sum(w in stop for w in words) for lang, stop in _LATIN_STOP.items()}
    best = max(scores, key=lambda k: scores[k])
    if best != "en" and scores[best] >= 2 and scores[best] > 1.5 * scores["en"]:
        return best
    return "en"
