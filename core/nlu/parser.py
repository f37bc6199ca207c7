"""The understanding layer: text + conversation context -> Understanding.

``build_parser(catalog, embedder)`` precomputes everything that depends only on the catalog (title
and creator indexes, the tag vocabulary and its embeddings, intent exemplar embeddings) once. Parsing
is three stages so a batch shares one embedding call: lexical analysis per message, one ``encode``
for every phrase the batch needs embedded, then the final decisions. Without an embedder the parser
is keyword/lexicon only and still complete.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass, field, replace

import numpy as np

from core.embedding import Embedder
from core.nlu import intents as rules
from core.nlu.common_words import WordRanks
from core.nlu.genres import ML_FLOOR, GenreHit, GenreMatcher
from core.nlu.lexicon import CRITIQUE_ADJECTIVES, DOMAIN_WORDS
from core.nlu.list_stance import list_stances
from core.nlu.mention_rules import prefer_version, resolve_overlaps
from core.nlu.normalize import Token, clean, detect_language, tokenize
from core.nlu.request_rules import TagFamilies, drop_relative_era, or_joined, with_implied
from core.nlu.sentiment import SentimentScorer
from core.nlu.slots import Refs, critiques, domain, negated_spans, refs, soft_negation, title_nouns, years
from core.nlu.stance import RETRACT, Stance, mention_stance
from core.nlu.titles import CreatorIndex, Match, TitleIndex, genre_word_titles
from core.nlu.types import Intent, ItemMention, NluContext, Understanding
from core.nlu.verdicts import is_verdict, ref_stance, split_ask
from core.recommend.catalog import Catalog

_HAS_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_REFINE_LEAD = re.compile(r"^\W*(?:but|only|just|instead|actually|rather|make it|what about|how about|and|also|"
                          r"maybe|preferably|ok(?:ay)?,? (?:but|now)|hmm+,?|now)\b", re.I)
_REFINE_TAIL = re.compile(r"\b(?:instead|rather|as well)\b|\btoo\W*$", re.I)  # "can I get books instead?"


def _refines(text: str) -> bool:
    """Worded as a change to the running request: "but only books", "books instead", "films too"."""
    return bool(_REFINE_LEAD.search(text) or _REFINE_TAIL.search(text))


_LIKE = re.compile(r"\b(?:like|similar|same|along the lines|in the vein|kind of thing)\b", re.I)
# "more like it", "something like that": an ask for similar picks ("seen it like ten times" is not one).
_MORE_LIKE = re.compile(r"\b(?:more|something|anything|others?|ones?|stuff) (?:\w+ )?(?:like|similar to)\b"
                        r"|\b(?:like|similar to) (?:it|that|this|those|these|them)\b|\bsimilar\b", re.I)
_PRONOUN = re.compile(r"\b(?:it|that|this|them|those|these)\b", re.I)
# A short verdict with no pointer after hearing about one item ("not really my thing", "nah, not for me",
# "sounds boring"): it is about the item under discussion (NluContext.focus).
_FOCUS_VERDICT = re.compile(
    r"\b(?:my (?:thing|cup of tea|kind of (?:thing|book|film|movie))|for me|not interested|meh|boring|dull|"
    r"(?:sounds|looks|seems) (?:\w+ )?(?:good|great|fun|amazing|awesome|perfect|interesting|boring|dull|awful|terrible|bad)|"
    r"love(?:d)? (?:it|that)|(?:don'?t|do not) like (?:it|that))\b", re.I)
CACHE_SIZE = 20_000  # phrase vectors kept (384 floats each: ~30 MB at most)
MULTILINGUAL_HINTS = ("multilingual", "labse", "bge-m3", "xlm", "distiluse")


@dataclass
class _Draft:
    ctx: NluContext
    text: str
    language: str
    tokens: list[Token]
    titles: list[Match]
    resembles: list[str]
    creators: list[Match]
    negated: list[tuple[int, int]]
    genre_hits: list[GenreHit]
    blocked: list[tuple[int, int]]
    critiques: list[str]
    year_lo: int | None
    year_hi: int | None
    domain: str | None
    refs: Refs
    item_sent: list[float]
    sentiment: float
    frustrated: bool
    intent: Intent | None = None
    confidence: float = 0.0
    cands: list[tuple[str, int, int]] = field(default_factory=list)
    cand_floor: float = 0.0
    wants_intent_vec: bool = False
    off_topic: bool = False


class RuleParser:
    """Rules and lexicons first; embeddings (when given) for tag similarity and as an intent tie-breaker."""

    def __init__(self, catalog: Catalog, embedder: Embedder | None = None, *, multilingual: bool | None = None,
                 now_year: int | None = None, use_intent_embeddings: bool = True,
                 cache_size: int = CACHE_SIZE) -> None:
        self.catalog = catalog
        self.embedder = embedder
        name = (getattr(embedder, "name", "") or "").lower()
        self.multilingual = (any(h in name for h in MULTILINGUAL_HINTS) if multilingual is None else multilingual)
        self.now_year = now_year or dt.date.today().year
        ranks = WordRanks.load()
        self.titles = TitleIndex(catalog, ranks)
        self.creators = CreatorIndex(catalog, ranks)
        self.genres = GenreMatcher(catalog.tag_vocabulary(), embedder)
        self.sentiment = SentimentScorer()
        self.known_domains = set(catalog.domains)
        self.families = TagFamilies(catalog)
        self.exemplars = (rules.build_exemplars(embedder.encode)
                          if embedder is not None and use_intent_embeddings else None)
        # Chat phrases repeat ("a funny story", "a scary story"): cached vectors skip the model, whose
        # per-call overhead dominates the cost of a short message.
        self.cache_size = cache_size
        self._cache: dict[str, np.ndarray] = {}
        self._cache_lock = threading.Lock()

    # ----- public -----

    def parse(self, text: str, ctx: NluContext | None = None) -> Understanding:
        return self.parse_batch([text], [ctx or NluContext()])[0]

    def parse_batch(self, texts: list[str], ctxs: list[NluContext]) -> list[Understanding]:
        if len(texts) != len(ctxs):
            raise ValueError("texts and ctxs differ in length")
        drafts = [self._draft(t if isinstance(t, str) else "", c) for t, c in zip(texts, ctxs, strict=True)]
        self._embed(drafts)
        return [self._finish(d) for d in drafts]

    # ----- stage 1: lexical -----

    def _draft(self, raw: str, ctx: NluContext) -> _Draft:
        text = clean(raw)
        language = detect_language(text)
        tokens = tokenize(text)
        titles, resembles = genre_word_titles(text, tokens, self.titles.find(text, tokens), self.genres.single_words)
        creators = self.creators.find(text, tokens)
        titles, creators = resolve_overlaps(titles, creators, tokens)
        t_spans = [(tokens[m.start].start, tokens[m.end - 1].end) for m in titles]
        c_spans = [(tokens[m.start].start, tokens[m.end - 1].end) for m in creators]
        yr = years(text, self.now_year, t_spans)
        crit, crit_spans = critiques(text, list(yr.spans), self.genres.single_words)
        negated = negated_spans(text)
        blocked = t_spans + c_spans + list(yr.spans) + crit_spans
        hits, used = self.genres.lexical(tokens, blocked)
        if language != "en":
            hits += self.genres.multilingual_lexical(text)
        named_as = title_nouns(tokens, [(m.start, m.end) for m in titles])  # "the Dune movie": that version
        dom = domain(tokens, text, language, self.known_domains, negated, {j for j, _ in named_as.values()})
        titles = [prefer_version(m, named_as[k][1] if k in named_as else dom, {c.item_ids[0] for c in creators}, self.catalog)
                  for k, m in enumerate(titles)]
        spans = t_spans
        item_sent = self.sentiment.mention_scores(text, spans, negated)
        masked = _mask(text, spans)
        d = _Draft(ctx=ctx, text=text, language=language, tokens=tokens, titles=titles, resembles=resembles,
                   creators=creators,
                   negated=negated, genre_hits=hits, blocked=blocked, critiques=crit, year_lo=yr.lo,
                   year_hi=yr.hi, domain=dom, refs=refs(text, len(ctx.last_items)), item_sent=item_sent,
                   sentiment=self.sentiment.score(masked), frustrated=self.sentiment.frustrated(text))
        if self.embedder is not None and (language == "en" or self.multilingual):
            d.cands = self.genres.candidates(tokens, used, blocked)
            d.cand_floor = ML_FLOOR if language != "en" else 0.0
        d.intent, d.confidence = self._rule_intent(d)
        d.wants_intent_vec = (
            d.intent is None and self.exemplars is not None and bool(_HAS_LETTER.search(text))
            and (language == "en" or self.multilingual) and not rules.OFF_TOPIC.search(text)
        )
        return d

    # ----- stage 2: one embedding call for the batch -----

    def _embed(self, drafts: list[_Draft]) -> None:
        if self.embedder is None:
            return
        phrases: list[str] = []
        for d in drafts:
            phrases.extend(p for p, _s, _e in d.cands)
            if d.wants_intent_vec:
                phrases.append(d.text[:500])
        if not phrases:
            return
        vecs = self._encode(phrases)
        k = 0
        for d in drafts:
            n = len(d.cands)
            if n:
                chunk = vecs[k : k + n]
                new = (self.genres.from_vectors(d.cands, chunk, floor=d.cand_floor, gap=0.0) if d.cand_floor
                       else self.genres.from_vectors(d.cands, chunk))
                d.genre_hits.extend(new)
                k += n
            if d.wants_intent_vec:
                assert self.exemplars is not None
                intent, sim = self.exemplars.nearest(vecs[k])
                k += 1
                floor = rules.EXEMPLAR_FLOOR if d.language == "en" else rules.EXEMPLAR_FLOOR_ML
                if sim >= floor:
                    d.intent, d.confidence = intent, round(sim, 3)
                if d.intent is None and any(h.source == "embedding" for h in d.genre_hits):
                    d.intent, d.confidence = self._slot_intent(d, genres_found=True)

    def _encode(self, phrases: list[str]) -> np.ndarray:
        assert self.embedder is not None
        with self._cache_lock:
            known = {p: self._cache[p] for p in phrases if p in self._cache}
        missing = list(dict.fromkeys(p for p in phrases if p not in known))
        if missing:
            fresh = self.embedder.encode(missing)
            known.update(zip(missing, fresh, strict=True))
            if self.cache_size:
                with self._cache_lock:
                    if len(self._cache) + len(missing) > self.cache_size:
                        self._cache.clear()  # bounded and simple; refills with the words in use
                    self._cache.update(zip(missing, fresh, strict=True))
        return np.stack([known[p] for p in phrases])

    # ----- stage 3: decisions -----

    def _finish(self, d: _Draft) -> Understanding:
        genres: list[str] = []
        groups: list[tuple[str, ...]] = []
        not_genres: list[str] = []
        crit = list(d.critiques)
        prev_end = -1  # where the last wanted group's words end ("a memoir or a biography": one group)
        for h in d.genre_hits:
            if _inside(h.start, d.negated):
                if soft_negation(d.text, h.start):
                    crit.append("-" + d.text[h.start : h.end].lower())
                else:
                    not_genres.extend(h.terms)
            else:
                terms = self.families.widen_for_domain(h.terms, d.domain)  # "a comedy book": funny, humor
                genres.extend(terms)
                if h.source != "embedding":
                    alternative = groups and prev_end >= 0 and or_joined(d.text[prev_end : h.start])
                    groups[-1:] = [tuple(dict.fromkeys(groups[-1] + terms))] if alternative else [*groups[-1:], terms]
                    prev_end = h.end
        moods = [(w, h.terms) for h in d.genre_hits if h.source != "embedding" and not _inside(h.start, d.negated)
                 and (w := d.text[h.start : h.end].lower()) in CRITIQUE_ADJECTIVES]
        groups, softened = self.families.soften_moods(groups, moods, d.domain)  # "a cozy mystery novel"
        crit += softened
        not_genres = list(self.families.exclusions(not_genres))  # "isn't scary": horror too
        crit = with_implied(drop_relative_era(crit, d.year_lo, d.year_hi))  # "older ones, before 1980": the year
        creators = [m for m in d.creators if not _inside(d.tokens[m.start].start, d.negated)]
        not_creators = [m for m in d.creators if _inside(d.tokens[m.start].start, d.negated)]
        intent = d.intent or Intent.UNKNOWN
        items: dict[str, ItemMention] = {}
        asking = intent in (Intent.ABOUT, Intent.WHY)
        retract = bool(RETRACT.search(d.text))
        spans = [(d.tokens[m.start].start, d.tokens[m.end - 1].end) for m in d.titles]
        stances = [Stance.RETRACTED if retract else mention_stance(
            d.text, start, end, s, asking, _inside(start, d.negated),
            (max([e for _, e in spans if e <= start], default=0), min([b for b, _ in spans if b >= end],
                                                                       default=len(d.text))))
            for (start, end), s in zip(spans, d.item_sent, strict=True)]
        stances = list_stances(d.text, spans, stances) if not (retract or asking) else stances
        for m, s, stance in zip(d.titles, d.item_sent, stances, strict=True):
            # The tone follows the stance: an opinion VADER missed ("found it boring") gets its sign,
            # and a question or someone else's opinion carries none of the speaker's.
            if stance == Stance.LIKED and s < 0.05:
                s = 0.5
            elif stance == Stance.DISLIKED and s > -0.05:
                s = -0.5
            elif stance in (Stance.ASKED, Stance.OTHERS, Stance.REFERENCE, Stance.SEEN, Stance.RETRACTED):
                s = 0.0
            # One mention per item: "A New Hope ... Star Wars" are the same film; the first keeps it.
            items.setdefault(m.item_ids[0], ItemMention(m.item_ids[0], m.surface, round(m.score, 1), round(s, 3),
                                                        stance.value))
        if intent == Intent.MORE:
            genres, groups = [], []  # "a couple more" asks for more of the same, not for romance
        if intent in _NO_REQUEST_SLOTS or d.off_topic:
            # "is it scary?", "wipe my history", "Jaws is a classic": tags here describe, they don't ask.
            genres, not_genres, groups = [], [], []
            if intent != Intent.FEEDBACK:
                crit = []
        return Understanding(
            intent=intent,
            confidence=d.confidence if d.intent else 0.0,
            items=tuple(items.values()),
            genres=_uniq(g for g in genres if g not in not_genres),
            not_genres=_uniq(not_genres),
            genre_groups=tuple(dict.fromkeys(g2 for g in groups if (g2 := tuple(x for x in g if x not in not_genres)))),
            creators=_uniq(m.item_ids[0] for m in creators),
            not_creators=_uniq(m.item_ids[0] for m in not_creators),
            year_min=d.year_lo,
            year_max=d.year_hi,
            domain=d.domain,
            refs=d.refs.positions,
            refs_all=d.refs.all,
            reject_refs=d.refs.reject,
            ref_pronoun=d.refs.pronoun,
            ref_stance=(Stance.RETRACTED if retract else ref_stance(d.text, d.sentiment)).value,
            resembles=_uniq(d.resembles),
            critiques=_uniq(crit),
            sentiment=round(d.sentiment, 3),
            frustrated=d.frustrated,
            language=d.language,
            query_text=d.text,
        )

    def _rule_intent(self, d: _Draft) -> tuple[Intent | None, float]:
        t = d.text
        if not _HAS_LETTER.search(t):
            return (Intent.HELP, 0.6) if re.fullmatch(r"\s*\?+\s*", t) else (None, 0.0)
        if d.language != "en":
            ml = rules.multilingual_intent(t)
            if ml is not None:
                return ml, 0.7
            if not d.tokens or not any(tok.low.isascii() for tok in d.tokens):
                return None, 0.0
        has_ctx = bool(d.ctx.last_items)
        r = d.refs
        if RETRACT.search(t) and (d.titles or r.positions or r.pronoun):
            return Intent.FEEDBACK, 0.85  # "forget that I liked Heat" corrects one statement, not everything
        for pat, intent in ((rules.FORGET, Intent.FORGET), (rules.UNSUBSCRIBE, Intent.UNSUBSCRIBE),
                            (rules.SUBSCRIBE, Intent.SUBSCRIBE), (rules.PREFS, Intent.PREFS),
                            (rules.HISTORY, Intent.HISTORY), (rules.RESET, Intent.RESET), (rules.WHY, Intent.WHY)):
            if pat.search(t):
                return intent, 0.9
        if rules.ABOUT.search(t) and (d.titles or r.positions or ((has_ctx or d.ctx.focus) and _PRONOUN.search(t))):
            return Intent.ABOUT, 0.85
        spans = [(d.tokens[m.start].start, d.tokens[m.end - 1].end) for m in d.titles]
        if d.titles and rules.asks_about_title(t, spans):
            return Intent.ABOUT, 0.8  # "is Oppenheimer good for kids?", "have you seen Heat?": a question
        request = bool(rules.REQUEST.search(t)) or rules.sentence_asks(t, [h.start for h in d.genre_hits]) or (
            rules.kind_like_that(t, {h.end for h in d.genre_hits} | {k.end for k in d.tokens if k.low in DOMAIN_WORDS}))
        constraints = bool(d.genre_hits or d.creators or d.year_lo or d.year_hi)
        if (r.positions or r.pronoun) and has_ctx and not d.titles and is_verdict(ref_stance(t, d.sentiment)):
            # "the first one is a favourite of mine": a verdict on that pick, not a question about it;
            # with an ask ("seen the first two, what else?", "seen it, next") also a refinement of the
            # running request. A bare "loved it" is left to the rules below (which one is asked then).
            rest, asked = split_ask(t)
            more = asked or bool(d.critiques or _MORE_LIKE.search(t) or rules.REQUEST.search(rest))
            if more or r.positions:
                return (Intent.REFINE, 0.8) if more else (Intent.FEEDBACK, 0.8)
        if (d.ctx.focus and not (d.titles or r.positions or r.all or constraints or request or d.critiques)
                and len(d.tokens) <= 8 and _FOCUS_VERDICT.search(t) and is_verdict(ref_stance(t, d.sentiment))):
            d.refs = replace(r, pronoun=True)  # the verdict is on the item just described
            return Intent.FEEDBACK, 0.75
        if d.frustrated or r.reject:
            return (Intent.REFINE, 0.8) if has_ctx else (None, 0.0)
        if rules.OFF_TOPIC.search(t) and not (constraints or d.titles or d.domain or request):
            d.off_topic = True
            return None, 0.0  # "ignore your instructions...", "what's the weather": not ours to guess
        opinion = any(abs(s) >= 0.2 for s in d.item_sent)
        if d.titles and opinion and not request:
            return Intent.FEEDBACK, 0.8  # "Se7en was too dark for me" is about Se7en, not a new request
        if d.critiques:
            return (Intent.REFINE, 0.85) if has_ctx else (Intent.RECOMMEND, 0.75)
        if (r.positions or r.all) and _LIKE.search(t):
            return Intent.REFINE, 0.85
        if rules.MORE.search(t):
            return Intent.MORE, 0.9
        if request:
            if has_ctx and _refines(t) and (constraints or d.domain):
                return Intent.REFINE, 0.75
            return Intent.RECOMMEND, 0.85
        feedback = bool(rules.FEEDBACK.search(t))
        # "I don't like horror" after a list is a taste in genres, so it is a refinement (below); "hated
        # it" or "loved the second one" is a verdict on something shown.
        if feedback and (d.titles or r.positions or r.all or r.pronoun or not constraints):
            return Intent.FEEDBACK, 0.8
        if rules.HELP.search(t) and not (constraints or d.titles):  # "non fiction, not business": a request
            return Intent.HELP, 0.85
        if rules.GREET.search(t) and not (constraints or d.titles):
            return Intent.GREET, 0.85
        slot = self._slot_intent(d, genres_found=bool(d.genre_hits))
        if slot[0] is None and (ml := rules.multilingual_intent(t)) is not None:
            return ml, 0.6  # "hola, gracias" reads as English to the language guesser
        return slot

    def _slot_intent(self, d: _Draft, genres_found: bool) -> tuple[Intent | None, float]:
        """No cue word: what the slots alone suggest ("80s horror" is a request; after a list, a refinement)."""
        has_ctx = bool(d.ctx.last_items)
        if has_ctx and _refines(d.text) and (genres_found or d.creators or d.year_lo or d.year_hi
                                                        or d.domain):
            return Intent.REFINE, 0.65  # "but only books", "what about the 90s"
        if genres_found or d.creators or d.year_lo or d.year_hi:
            return (Intent.REFINE, 0.65) if has_ctx and not d.domain else (Intent.RECOMMEND, 0.65)
        if has_ctx and d.domain and not d.titles and len(d.tokens) <= 4:
            return Intent.REFINE, 0.6  # "books only", "films instead?": the same request in another domain
        if d.titles or d.domain:
            return Intent.RECOMMEND, 0.55
        if d.refs.positions and has_ctx:
            return Intent.ABOUT, 0.5  # "the second one?" -- the person wants to hear about it
        return None, 0.0


_NO_REQUEST_SLOTS = frozenset({Intent.ABOUT, Intent.WHY, Intent.FEEDBACK, Intent.FORGET, Intent.PREFS,
                               Intent.HISTORY, Intent.HELP, Intent.GREET})


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= pos < e for s, e in spans)


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    out = text
    for s, e in sorted(spans, reverse=True):
        out = out[:s] + "item" + out[e:]
    return out


def _uniq(xs: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(xs))  # type: ignore[arg-type]


def build_parser(catalog: Catalog, embedder: Embedder | None = None, **kwargs: object) -> RuleParser:
    """The project's parser. kwargs: multilingual (bool, default: guessed from the embedder's name),
    now_year (for "recent"), use_intent_embeddings (exemplar fallback, default True), cache_size
    (phrase vectors kept; 0 disables the cache). Wrapped by the multilingual front (language
    detection and a lexical pivot for zh/ja/es/de/fr; core/nlu/multilingual), which delegates every
    attribute to the English parser."""
    from core.nlu.multilingual.parser import MultilingualParser
    from core.nlu.multilingual.semantic import SemanticTagger, available

    english = RuleParser(catalog, embedder, **kwargs)  # type: ignore[arg-type]
    semantic = SemanticTagger(catalog.tag_vocabulary()) if available() else None
    return MultilingualParser(english, catalog, semantic=semantic)  # type: ignore[return-value]


__all__ = ["RuleParser", "build_parser"]
