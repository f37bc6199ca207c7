"""The multilingual front of the understanding layer: detect, pivot, parse in English, label.

``MultilingualParser`` wraps the English parser behind the same ``Parser`` protocol. Per message it
decides the language (the message's own when it shows one, else the speaker's previous language from
``NluContext.language``), rewrites a zh/ja/es/de/fr message into the English parser's vocabulary
(core.nlu.multilingual.pivot), parses the batch in one call and sets ``Understanding.language``.
The English parser itself is untouched, so work on it merges independently of this layer.
"""

from __future__ import annotations

import re
from dataclasses import replace

from core.nlu.multilingual.detect import LanguageGuesser
from core.nlu.multilingual.pivot import CJK, SUPPORTED, Pivot
from core.nlu.multilingual.semantic import SemanticTagger
from core.nlu.normalize import clean
from core.nlu.types import Intent, NluContext, Parser, Understanding
from core.recommend.catalog import Catalog

_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
_TITLE_TOKEN = re.compile(r'"[^"]*"(?:\s*\(\d{4}\))?')  # pivot.title_token's output


class MultilingualParser:
    def __init__(self, inner: Parser, catalog: Catalog, guesser: LanguageGuesser | None = None,
                 semantic: SemanticTagger | None = None) -> None:
        self.inner = inner
        self.pivot = Pivot(catalog)
        self.guesser = guesser or LanguageGuesser()
        self.semantic = semantic

    def __getattr__(self, name: str) -> object:
        # Benchmarks and tools read the English parser's attributes (embedder, catalog, caches).
        return getattr(self.inner, name)

    def parse(self, text: str, ctx: NluContext | None = None) -> Understanding:
        return self.parse_batch([text], [ctx or NluContext()])[0]

    def parse_batch(self, texts: list[str], ctxs: list[NluContext]) -> list[Understanding]:
        if len(texts) != len(ctxs):
            raise ValueError("texts and ctxs differ in length")
        said: list[str | None] = []
        pivoted: list[str] = []
        unread: list[str] = []  # the words the pivot could not read, per message
        cleaned: list[str] = []
        for raw in texts:
            text = clean(raw if isinstance(raw, str) else "")
            lang = self.guesser.detect(text) if text else None
            said.append(lang)
            cleaned.append(text)
            result = self.pivot.translate(text, lang) if lang in SUPPORTED else None
            pivoted.append(result.text if result else text)
            unread.append(" ".join(w for w in result.unread if len(w) > (1 if lang in CJK else 3)) if result else "")
        parsed = self._semantic_tags(self.inner.parse_batch(pivoted, ctxs), cleaned, unread)
        out: list[Understanding] = []
        for raw, lang, text, ctx, u in zip(texts, said, pivoted, ctxs, parsed, strict=True):
            previous = ctx.language or "en"
            if lang is None or (lang != previous and _title_alone(raw, text, u, lang, self.pivot)):
                lang = previous  # "more", "ok", "Interstellar": the conversation's language stays
            out.append(replace(u, language=lang, query_text=text if lang in SUPPORTED else u.query_text))
        return out

    def _semantic_tags(self, parsed: list[Understanding], texts: list[str], unread: list[str]
                       ) -> list[Understanding]:
        """Words outside the lexicons ("naves espaciales", "黑帮"): one multilingual embedding call for
        the batch's unread requests, a tag only when it clearly stands out (see semantic.py)."""
        todo = [i for i, (u, n) in enumerate(zip(parsed, unread, strict=True)) if _wants_tag(u, n)]
        if self.semantic is None or not todo:
            return parsed
        tags = self.semantic.best_tags([unread[i] for i in todo])
        out = list(parsed)
        for i, found in zip(todo, tags, strict=True):
            if found is not None:
                out[i] = replace(out[i], genres=(found,))
        return out


_OPEN = frozenset({Intent.RECOMMEND, Intent.REFINE, Intent.UNKNOWN})


def _wants_tag(u: Understanding, unread: str) -> bool:
    """A request the pivot did not fully read and that came out without any genre."""
    return bool(unread) and u.intent in _OPEN and not (u.genres or u.not_genres or u.items or u.critiques)


def _title_alone(raw: str, pivoted: str, u: Understanding, lang: str, pivot: Pivot) -> bool:
    """A message that is little more than a title names an item; it does not change the language.
    "odio Titanic" is not: its one other word is Spanish the lexicon knows."""
    if not u.items or not isinstance(raw, str):
        return False
    if lang in CJK:
        # No spaces to count words by: the message is a title alone when its pivot (`pivoted`, made
        # once in parse_batch), titles taken out, has no word the lexicon read ("ブレードランナー" yes,
        # "ブレードランナーが好き" no).
        rest_en = _TITLE_TOKEN.sub(" ", pivoted)
        return not _WORDS.search(rest_en)
    rest = raw
    for m in u.items:
        rest = re.sub(re.escape(m.surface), " ", rest, flags=re.I)
    words = _WORDS.findall(rest)
    if len(words) > 1:
        return False
    return not words or lang not in SUPPORTED or pivot.translate(rest, lang).unknown == len(words)


__all__ = ["MultilingualParser"]
