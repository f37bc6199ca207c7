"""A small keyword understanding layer: the honest fallback when the full parser is not configured.

It knows intents by cue words, genres by the catalog's own vocabulary, decades, "not X", ordinal
references to the last list, and exact (case-insensitive) title mentions, each with the sentiment of
its own clause (the same lexicon scorer as the full parser; no model), so "I loved Alien" is evidence
the dialogue can store rather than a mention it can only acknowledge. The full parser in
core/nlu/parser.py replaces it; both implement the same Parser protocol.
"""

from __future__ import annotations

import re

from core.nlu.sentiment import SentimentScorer
from core.nlu.stance import mention_stance, message_stance
from core.nlu.types import Intent, ItemMention, NluContext, Understanding
from core.recommend.catalog import Catalog

_CUES: list[tuple[Intent, re.Pattern[str]]] = [
    (Intent.FORGET, re.compile(r"\b(forget me|delete my data|erase me)\b")),
    (Intent.RESET, re.compile(r"\b(start over|reset|new topic)\b")),
    (Intent.HISTORY, re.compile(r"\b(what did you (recommend|suggest)|recommended before|last time)\b")),
    (Intent.PREFS, re.compile(r"\b(my preferences|what do you know about me|my prefs)\b")),
    (Intent.UNSUBSCRIBE, re.compile(r"\bunsubscribe\b")),
    (Intent.SUBSCRIBE, re.compile(r"\b(subscribe|digest)\b")),
    (Intent.HELP, re.compile(r"^\s*(help|\?|what can you do)\b")),
    (Intent.WHY, re.compile(r"\bwhy\b")),
    (Intent.ABOUT, re.compile(r"\b(what is|what's|tell me about)\b.+\babout\b|\btell me about\b")),
    (Intent.REFINE, re.compile(r"\b(not that|not those|darker|lighter|funnier|shorter|less|more like)\b")),
    (Intent.MORE, re.compile(r"\b(more|something else|others?|another|next)\b")),
    (Intent.RECOMMEND, re.compile(r"\b(recommend|suggest|looking for|want|something|any|watch|read|movie|"
                                  r"film|book|show me)\b")),
    (Intent.FEEDBACK, re.compile(r"\b(loved|liked|hated|disliked|enjoyed|seen it|already seen|read it|great|"
                                 r"boring|awful|amazing)\b")),
    (Intent.GREET, re.compile(r"^\s*(hi|hello|hey|yo|thanks|thank you|good (morning|evening))\b")),
]
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "1st": 0, "2nd": 1, "3rd": 2}
_DECADE = re.compile(r"\b(?:(19|20)?(\d)0)'?s\b")
_NOT = re.compile(r"\b(?:no|not|without|anything but)\s+([a-z-]+)")
_DOMAINS = {"movie": "movie", "movies": "movie", "film": "movie", "films": "movie", "book": "book",
            "books": "book", "novel": "book", "read": "book"}


class SimpleParser:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.vocab = set(catalog.tag_vocabulary())
        self.titles = {it.title.lower(): it.item_id for it in catalog if len(it.title) >= 4}
        self.sentiment = SentimentScorer()

    def parse_batch(self, texts: list[str], ctxs: list[NluContext]) -> list[Understanding]:
        return [self.parse(t, c) for t, c in zip(texts, ctxs, strict=True)]

    def parse(self, text: str, ctx: NluContext) -> Understanding:
        low = text.lower()
        intent = next((i for i, pat in _CUES if pat.search(low)), Intent.UNKNOWN)
        if re.search(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", text):
            return Understanding(intent=Intent.UNKNOWN, language="zh", query_text=text)
        words = re.findall(r"[a-z][a-z-]+", low)
        negated = {m.group(1) for m in _NOT.finditer(low)}
        genres = tuple(w for w in dict.fromkeys(words) if w in self.vocab and w not in negated)
        if "funny" in words and "comedy" in self.vocab:
            genres = (*genres, "comedy")
        not_genres = tuple(w for w in negated if w in self.vocab)
        year_min = year_max = None
        if m := _DECADE.search(low):
            century = m.group(1) or ("20" if m.group(2) in "012" else "19")
            year_min = int(f"{century}{m.group(2)}0")
            year_max = year_min + 9
        domain = next((_DOMAINS[w] for w in words if w in _DOMAINS), None)
        found = [(t, iid, low.find(t)) for t, iid in self.titles.items() if t in low]
        spans = [(at, at + len(t)) for t, _, at in found]
        scores = self.sentiment.mention_scores(low, spans)
        # Clause sentiment (VADER) per mention, and the speaker's stance from the opinion lexicon.
        items = tuple(ItemMention(iid, t, 100.0, s, mention_stance(text, at, at + len(t), s).value)
                      for (t, iid, at), s in zip(found, scores, strict=True))
        refs = tuple(_ORDINALS[w] for w in words if w in _ORDINALS)
        refs_all = bool(re.search(r"\b(those|them|these)\b", low))
        reject = bool(re.search(r"\bnot (that|those|this|these)\b", low))
        if reject and not refs and ctx.last_items:
            refs_all = True
        if intent == Intent.REFINE and (genres or year_min) and not refs and not reject:
            intent = Intent.RECOMMEND
        return Understanding(
            intent=intent, items=items, genres=genres, not_genres=not_genres, year_min=year_min,
            year_max=year_max, domain=domain, refs=refs, refs_all=refs_all, reject_refs=reject,
            ref_stance=message_stance(text, 0.0).value,
            frustrated=bool(re.search(r"\b(all bad|none of (these|them)|useless|terrible)\b", low)),
            sentiment=self.sentiment.score(low), query_text=text,
        )
