"""DialogueCore: one entry point, ``handle(event) -> list[Reply]``, for every platform.

Per event: dedupe by platform event id, load the conversation's context from the store, understand
the message, decide (the policy), recommend, write the prose with the generator (falling back to the
template), save the turn and what was shown. A per-conversation lock keeps two messages in one channel
from racing on its context; different channels run concurrently.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import re
import time
import weakref
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Protocol

from core import localize, texts
from core.events import AnyEvent, ButtonAction, ButtonPress, Command, ItemView, Message, Reaction, Reply
from core.feedback import FeedbackService
from core.generation.assist import ModelAssist
from core.generation.base import Generator
from core.generation.understanding_map import CatalogTerms, apply_reading
from core.i18n import DEFAULT_LANGUAGE, normalize, t
from core.item_talk import ItemTalk
from core.nlu.request_rules import TagFamilies
from core.nlu.stance import STORED, Stance
from core.nlu.types import Intent, NluContext, Parser, Understanding
from core.ports import UserSummary
from core.ratelimit import Limiter
from core.recommend.catalog import Catalog
from core.recommend.explain import domain_noun
from core.recommend.types import Recommender, RecRequest
from core.render import clean_input, clean_name, compose, defuse
from core.reply_text import NOTHING_FITS, RequestView, localized_request, seed_for
from core.reply_writer import deterministic_text, rerank, write_prose
from core.state import ConvState, load_conversation, save_conversation
from core.statements import noted, store_stances
from core.store.db import is_storage_error
from core.store.effects import EventEffects, event_scope
from core.store.store import Store

log = logging.getLogger("recbot.dialogue")

ProseSink = Callable[[str], Awaitable[None]]
# Set for the duration of one handle() call by adapters that can show text as it is written (the
# terminal): the generator's prose is streamed to it piece by piece, the Reply still carries it all.
_prose_sink: ContextVar[ProseSink | None] = ContextVar("recbot_prose_sink", default=None)
# Recommendation ids only need to be unique, not secret (every lookup is tenant-scoped); one urandom
# seed instead of a urandom call per id, which was measurably slow on small VMs.
_ids = random.Random(os.urandom(16))
_SIMILAR = re.compile(r"\b(?:similar|like (?:it|that|this)|more like|same (?:vibe|kind|style))\b", re.I)
# The line saying what the current message stored ("Noted: you liked X."), put before the list's intro.
_note: ContextVar[str] = ContextVar("recbot_stored_note", default="")


class DigestCommands(Protocol):
    """Implemented by the digest service; the core only forwards commands to it."""

    async def command(self, event: AnyEvent, args: str) -> str: ...

    async def describe(self, tenant: str, user: str) -> list[str]: ...


@dataclass(frozen=True)
class CoreSettings:
    k: int = 5
    generation_deadline_s: float = 20.0
    model_prose: bool = False  # show gated model sentences above the deterministic intro
    unlimited_platforms: tuple[str, ...] = ("console",)  # the local terminal has one trusted user


def _error_text(exc: Exception, effects: EventEffects | None) -> str:
    """The apology, claiming that nothing was lost only when that is so: the store works and the
    person's words were saved before the failure. A button press's like or a command's effect is
    written with the event's claim (D14), which a failed event never reaches."""
    if is_storage_error(exc):
        return t(None, "Sorry, I could not save that: my storage is failing. Please try again later.")
    if effects is not None and effects.kept_words:
        return texts.INTERNAL_ERROR
    return t(None, "Sorry, something went wrong on my side and I could not record that. Please try again.")


class DialogueCore(ItemTalk):
    def __init__(self, store: Store, catalog: Catalog, parser: Parser, recommender: Recommender,
                 generator: Generator, settings: CoreSettings | None = None,
                 feedback: FeedbackService | None = None, digests: DigestCommands | None = None,
                 limiter: Limiter | None = None, assist: ModelAssist | None = None) -> None:
        self.store = store
        self.catalog = catalog
        self.parser = parser
        self.recommender = recommender
        self.generator = generator
        self.settings = settings or CoreSettings()
        self.feedback = feedback or FeedbackService(store, catalog)
        self.digests = digests
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._limiter = limiter  # the app passes the configured one ([limits]); None: no per-person limit
        self.assist = assist  # a capable model reading requests / reranking ([generation] understand, rerank)
        self._terms = CatalogTerms(catalog) if assist is not None and assist.understand else None
        self._families = TagFamilies(catalog)  # a request's genres in the words of its domain

    # ---- entry points -------------------------------------------------------------------------
    async def handle(self, event: AnyEvent, prose_sink: ProseSink | None = None) -> list[Reply]:
        """Handle one event. ``prose_sink``, if given, receives the reply's prose as it streams."""
        token = _prose_sink.set(prose_sink)
        try:
            return await self._handle(event)
        finally:
            _prose_sink.reset(token)

    async def _handle(self, event: AnyEvent) -> list[Reply]:
        effects: EventEffects | None = None
        try:
            if isinstance(event, Reaction):
                # Claimed inside the same transaction that records it (crash safety), no reply.
                await self.feedback.on_reaction(event)
                return []
            ids = (event.tenant, event.platform, event.event_id)
            if await self.store.events.seen(*ids):
                return []  # a retry or a duplicate delivery: already handled
            if (isinstance(event, Message | Command) and event.platform not in self.settings.unlimited_platforms
                    and self._limiter is not None and not await self._limiter.check(event.tenant, event.user)):
                return [Reply(texts.SLOW_DOWN, key=event.key, ephemeral=True)]
            key = event.key.as_str()
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = asyncio.Lock()
            async with lock:
                if await self.store.events.seen(*ids):
                    return []  # a duplicate that waited for the first delivery to finish
                # Claimed at the end, with the effects (core/store/effects.py, ADR D14): a crash before
                # that leaves the event unclaimed, so the platform's retry is handled, not skipped.
                async with event_scope(*ids) as effects:
                    replies = await self._dispatch(event)
                if not await effects.commit(self.store.db):
                    return []  # another instance handled the same delivery first and answered it
            return [r if r.key else replace(r, key=event.key) for r in replies]
        except Exception as exc:
            # Never the message text in logs: only what kind of event failed where.
            log.exception("handle failed for %s event in %s", type(event).__name__, event.platform)
            return [Reply(_error_text(exc, effects), key=event.key)]

    async def message_posted(self, reply: Reply, message_id: str) -> None:
        if reply.rec_id and reply.key:
            await self.store.recs.map_message(reply.key.tenant, reply.key.platform, message_id, reply.rec_id)

    async def user_summary(self, tenant: str, user: str) -> UserSummary:
        likes, dislikes = await self.feedback.taste(tenant, user)
        subs = await self.digests.describe(tenant, user) if self.digests else []
        return UserSummary(likes=likes, dislikes=dislikes, subscriptions=subs)

    # ---- dispatch -----------------------------------------------------------------------------
    async def _dispatch(self, event: AnyEvent) -> list[Reply]:
        if isinstance(event, ButtonPress):
            return await self._on_button(event)
        if isinstance(event, Command):
            return await self._on_command(event)
        return await self._on_message(event)

    async def _on_button(self, ev: ButtonPress) -> list[Reply]:
        error, label = await self.feedback.on_button(ev)
        if error:
            return [Reply(error, ephemeral=True)]
        state = await self._load(ev)
        if ev.action == ButtonAction.MORE_LIKE:
            state.seeds = [ev.item_id]
            return await self._recommend(ev, state, f"more like {label}", kind="more-like")
        state = await self._load(ev)
        lang = _lang(state, ev.user)
        it = self.catalog.get(ev.item_id)
        shown = localize.label(it, lang) if it else label
        msgid = texts.NOTED_MORE_LIKE if ev.action == ButtonAction.LIKE else texts.NOTED_FEWER_LIKE
        return [Reply(t(lang, msgid, title=shown), ephemeral=True, feedback_recorded=True)]

    async def _on_command(self, ev: Command) -> list[Reply]:
        name, args = ev.name.lower().strip(), ev.args.strip()
        lang = _lang(await self._load(ev), ev.user)
        if name == "digest":
            if not self.digests:
                return [Reply(t(lang, texts.DIGESTS_OFF), ephemeral=True)]
            return [Reply(defuse(await self.digests.command(ev, args)), ephemeral=True)]
        if name == "forget":
            return [await self._forget(ev, lang)]
        if name == "prefs" and args.startswith("export"):
            data = await self.store.export_user(ev.tenant, ev.user)
            return [Reply(t(lang, texts.EXPORT), ephemeral=True,
                          file=("recbot-export.json", json.dumps(data, indent=2, ensure_ascii=False)))]
        intent = COMMAND_INTENTS.get(name)
        if intent is None:
            return [Reply(t(lang, "I don't know the command `{name}`.", name=defuse(name[:40])) + " "
                          + t(lang, texts.HELP), ephemeral=True)]
        # The command names the intent; the parser reads only its arguments ("/why 2": which item).
        arg = f"#{args}" if args.isdigit() and intent in (Intent.WHY, Intent.ABOUT) else args
        msg = Message(platform=ev.platform, tenant=ev.tenant, channel=ev.channel, user=ev.user,
                      event_id=ev.event_id, thread=ev.thread, ts=ev.ts, user_name=ev.user_name,
                      is_dm=ev.is_dm, text=arg or f"/{name}")
        return await self._on_message(msg, intent)

    async def _on_message(self, ev: Message, intent: Intent | None = None) -> list[Reply]:
        """A message; ``intent`` is given by a typed command, otherwise understood from the text."""
        text, truncated = clean_input(ev.text)
        if not text:
            return [Reply(texts.EMPTY)]
        key = ev.key.as_str()
        await self.store.users.touch(ev.tenant, ev.user, ev.platform, clean_name(ev.user_name))
        await self.store.conversations.add_turn(ev.tenant, key, ev.user, "user", text)
        state = await self._load(ev)
        ctx = NluContext(tuple(state.last_items), language=state.languages.get(ev.user, ""), focus=state.focus or "")
        u = await asyncio.to_thread(self.parser.parse, text, ctx)
        # Each person's language, per conversation: "more" or a bare title later keeps it. Saved with
        # the turn's state; a turn that saves nothing (a greeting) saves it once when it changes.
        changed, version = state.languages.get(ev.user) != u.language, state.version
        state.languages[ev.user] = u.language
        if self.assist is not None and self._terms is not None:
            reading = await self.assist.read_request(text)  # None: invalid, late or failed; rules stand
            u = apply_reading(u, reading, self._terms) if reading is not None else u
        if intent is not None:
            u = replace(u, intent=intent)
        replies = await self._policy(ev, state, u, text)
        if changed and state.version == version and u.intent != Intent.FORGET:
            await self._save(ev, state)  # (after "forget me" the language is gone with the rest)
        if truncated and replies:
            replies[0] = replace(replies[0], text=replies[0].text + "\n" + t(u.language, texts.TRUNCATED))
        for r in replies:
            if not r.ephemeral:  # only for that person at that moment (e.g. the forget receipt): not kept
                await self.store.conversations.add_turn(ev.tenant, key, None, "bot", r.text, addressed_to=ev.user)
        return replies

    # ---- the policy ---------------------------------------------------------------------------
    async def _policy(self, ev: Message, state: ConvState, u: Understanding, text: str) -> list[Reply]:
        lang = u.language
        intent = u.intent
        # Critiques in feedback describe the item ("Joker was too bleak for me"); they ask for nothing.
        asks = bool(u.genres or u.not_genres or u.creators or u.not_creators or u.year_min or u.year_max)
        if intent in (Intent.UNKNOWN, Intent.GREET) and (u.has_constraints() or u.items):
            intent = Intent.RECOMMEND  # "80s comedies?" carries a request even without a verb
        elif intent == Intent.FEEDBACK and asks:
            intent = Intent.RECOMMEND  # "loved Heat, something like it from the 90s"
        refs = self._resolve_refs(state, u, intent)
        stated = await self._record_mentions(ev, state, u, text)
        if not ev.addressed and intent in (Intent.UNKNOWN, Intent.GREET, Intent.HELP, Intent.FEEDBACK):
            await self._save(ev, state)
            return []  # channel chatter the bot only follows: learn from it, answer only real requests
        if intent == Intent.GREET:
            return [Reply(t(lang, texts.GREETING))]
        if intent == Intent.HELP:
            return [Reply(t(lang, texts.HELP))]
        if intent == Intent.RESET:
            state.reset_request()
            state.shown, state.rejected, state.last_items = [], [], []
            await self._save(ev, state)
            return [Reply(t(lang, texts.STARTING_OVER))]
        if intent == Intent.FORGET:
            return [await self._forget(ev, lang)]
        if intent == Intent.PREFS:
            return [Reply(await self._prefs_text(ev, lang))]
        if intent in (Intent.SUBSCRIBE, Intent.UNSUBSCRIBE):
            if not self.digests:
                return [Reply(t(lang, texts.DIGESTS_OFF))]
            verb = "subscribe" if intent == Intent.SUBSCRIBE else "unsubscribe"
            return [Reply(defuse(await self.digests.command(ev, verb)))]
        if intent == Intent.HISTORY:
            return [Reply(await self._history_text(ev, lang))]
        if intent in (Intent.WHY, Intent.ABOUT):
            return [await self._explain(ev, state, u, refs, intent)]
        if intent == Intent.FEEDBACK:
            reply = await self._feedback_words(ev, state, u, refs, stated, text)
            await self._save(ev, state)  # the item now in focus, the ones now excluded
            return [reply]
        if intent in (Intent.RECOMMEND, Intent.REFINE, Intent.MORE):
            # What this message stored leads the reply (and, in the terminal, the streamed intro).
            token = _note.set(noted(u, stated, lambda i: self._label(i, lang), lang))
            try:
                return await self._request(ev, state, u, refs, intent, text)
            finally:
                _note.reset(token)
        await self._save(ev, state)
        return [Reply(t(lang, texts.UNKNOWN))]

    async def _request(self, ev: Message, state: ConvState, u: Understanding, refs: list[str],
                       intent: Intent, text: str) -> list[Reply]:
        if u.frustrated:
            # Change direction instead of more of the same, and ask. An outburst is no verdict on each
            # item, so nothing is stored as disliked: the list is only kept out of this conversation.
            if not state.last_items:
                return [Reply(t(u.language, texts.CLARIFY))]
            state.rejected = (state.rejected + state.last_items)[-200:]
            state.critiques, state.seeds, state.genres, state.genre_groups, state.query = [], [], [], [], []
            state.absorb(u, new_topic=False)  # "none of these, something funnier": the new wish stays
            # One reply: the question leads, the new direction follows (one `recbot>` block per message).
            token = _note.set(t(u.language, texts.CLARIFY))
            try:
                return await self._recommend(ev, state, text, kind="diversify", lang=u.language)
            finally:
                _note.reset(token)
        anchors = {Stance.REFERENCE.value, Stance.OTHERS.value, Stance.LIKED.value, Stance.NEUTRAL.value}
        named = [m.item_id for m in u.items if m.stance in anchors and m.item_id not in state.last_items]
        if not named and not refs and state.focus and _SIMILAR.search(text):
            named = [state.focus]  # "tell me about Heat" ... "recommend something similar"
        unwanted = [m.item_id for m in u.items if m.stance not in anchors] + self._other_versions(u)  # not a pick
        state.rejected = (state.rejected + [i for i in unwanted if i not in state.rejected])[-200:]
        if refs and not u.refs_all and (not u.ref_pronoun or refs == [state.focus]) and u.ref_stance in STORED and not (
                u.reject_refs and u.ref_stance == Stance.LIKED.value):
            # "I didn't like the first one, something else", "not the first one, I've seen it": the
            # verdict on a numbered pick is stated.
            await store_stances(self.store, ev.tenant, ev.user, ev.key.as_str(), text,
                                [(i, Stance(u.ref_stance), u.sentiment) for i in refs])
            if u.ref_stance != Stance.LIKED.value:
                state.rejected = (state.rejected + refs)[-200:]
                refs = []
        if intent == Intent.REFINE and named and not refs:
            intent = Intent.RECOMMEND  # "something like Alien but less gory": a new request anchored on Alien
        if intent == Intent.RECOMMEND and not refs:
            # A fresh request that says what it wants starts a new topic; a bare "recommend something"
            # keeps the constraints gathered so far. Refinements (REFINE/MORE) always accumulate.
            # An era alone after a list ("something more modern", "from the 90s?") narrows that request.
            new_topic = bool(named or u.genres or u.creators or u.domain or (
                (u.year_min or u.year_max) and not state.last_items))
            # A new wish that names no domain stays in the one being talked about ("something romantic"
            # after films); a named anchor or creator brings its own ("something by Stephen King").
            carried = state.domain if new_topic and not (u.domain or named or u.creators) and \
                self._families.fits_domain(u.genre_groups, state.domain) else None  # "a memoir" after films: books
            state.absorb(u, new_topic=new_topic)
            state.domain = state.domain or carried
            state.seeds = named
        else:
            state.absorb(u, new_topic=False)
            if not (state.domain or u.creators):  # "what else?" after five films: films
                state.domain = self._shown_domain(state)
            if u.genre_groups and not u.domain and not self._families.fits_domain(u.genre_groups, state.domain):
                state.domain = None  # "memoirs instead" after films: a wish only books carry
            if u.reject_refs:
                state.rejected = (state.rejected + refs)[-200:]  # "not that one": out of this conversation
            elif refs:
                state.seeds = refs
            elif named:
                state.seeds = named
            if intent == Intent.MORE:
                for iid in state.last_items:  # shown and ignored: weak negative
                    await self.store.prefs.add(ev.tenant, ev.user, iid, -0.1, "shown", conv_key=ev.key.as_str())
        state.genres, state.genre_groups = self._families.widen_request(state.genres, state.genre_groups, state.domain)
        state.era_critiques([y for i in state.last_items if (it := self.catalog.get(i)) and (y := it.year)])
        return await self._recommend(ev, state, text, kind=intent.value, lang=u.language)

    async def _recommend(self, ev: AnyEvent, state: ConvState, text: str, kind: str,
                         lang: str = DEFAULT_LANGUAGE) -> list[Reply]:
        key = ev.key.as_str()
        signals = await self.feedback.signals(ev.tenant, ev.user, key)
        req = RecRequest(
            tenant=ev.tenant, user=ev.user, query=" ".join(state.query), seeds=tuple(state.seeds),
            critiques=tuple(state.critiques), constraints=state.constraints(), signals=signals,
            k=self.settings.k, diversify=True, now=time.time(),
        )
        assist = self.assist if self.assist is not None and self.assist.rerank else None
        result = await self.recommender.recommend(replace(req, k=max(req.k, assist.rerank_top)) if assist else req)
        if assist is not None:
            result = await rerank(assist, self.catalog, text, result, req.k)
        views = [self._view(s.item_id, s.reason, lang) for s in result.items if self.catalog.get(s.item_id)]
        if not views:
            await self._save(ev, state)
            lead = _note.get() + " " if _note.get() else ""
            if result.relaxed:  # e.g. nothing "less gory" fits: say so rather than show what doesn't
                if normalize(lang) != "en":
                    asked = localized_request(lang, req.constraints, tuple(state.critiques)) or "—"
                    return [Reply(lead + defuse(t(lang, NOTHING_FITS, constraints=asked)))]
                return [Reply(lead + defuse(result.relaxed[0].upper() + result.relaxed[1:]) + ".")]
            return [Reply(lead + t(lang, texts.NOTHING_LEFT))]
        rec_id = f"{_ids.getrandbits(64):016x}"
        await self.store.recs.add(ev.tenant, rec_id, key, ev.user, [v.item_id for v in views], kind=kind)
        # The English reasons are kept (a later "why?" says them again in the person's language then).
        english = {x.item_id: x.reason for x in result.items}
        state.record_shown(rec_id, [v.item_id for v in views], {v.item_id: english.get(v.item_id) or "" for v in views})
        await self._save(ev, state)
        items = [it for v in views if (it := self.catalog.get(v.item_id)) is not None]
        view = RequestView(req.constraints, tuple(self._label(i, lang) for i in state.seeds[:2]), tuple(state.critiques),
                           kind)
        intro, views = deterministic_text(lang, view, items, views, result.relaxed, seed_for(key, len(state.shown), text),
                                          " ".join(state.query))
        if _note.get():  # English leads with the note; elsewhere the translated intro comes first
            intro = _note.get() + " " + intro if normalize(lang) == "en" else intro + " " + _note.get()
        prose = await write_prose(self.generator, self.settings.model_prose and normalize(lang) == "en", self.settings.generation_deadline_s,
                                  _prose_sink.get(), "recommend", text, list(zip(views, items, strict=True)), intro, key)
        return [Reply(compose(prose, views), items=tuple(views), rec_id=rec_id)]

    async def _forget(self, ev: AnyEvent, lang: str = "en") -> Reply:
        counts = await self.store.forget_user(ev.tenant, ev.user)
        state = await self._load(ev)
        if state.languages.pop(ev.user, None) is not None:
            await self._save(ev, state)  # the language this person wrote in here is theirs too
        total = sum(n for k, n in counts.items() if k in self.store.user_tables)  # rows, not clean-up steps
        detail = ", ".join(f"{n} {self.store.label(k)}" for k, n in counts.items() if n)
        if detail:
            text = t(lang, "Done — I deleted everything I stored about you ({total} records: {detail}).",
                     total=total, detail=detail)
        else:
            text = t(lang, "Done — I deleted everything I stored about you ({total} records).", total=total)
        return Reply(text, ephemeral=True)

    # ---- helpers ------------------------------------------------------------------------------

    def _view(self, item_id: str, reason: str, lang: str = "en") -> ItemView:
        it = self.catalog.get(item_id)
        assert it is not None
        return ItemView(it.item_id, localize.title(it, lang), it.year, self._reason(item_id, reason, lang),
                        it.creator, it.domain)

    def _known_reason(self, item_id: str) -> str:
        it = self.catalog.get(item_id)
        if it is None:
            return "a pick from the catalog"
        return f"a {', '.join(it.genres[:2]) + ' ' if it.genres else ''}{domain_noun(it)}"  # facts only, domain said

    def _reason(self, item_id: str, reason: str | None, lang: str = "en") -> str:
        return localize.item_reason(self.catalog, item_id, reason, lang)

    def _label(self, item_id: str, lang: str = "en") -> str:
        it = self.catalog.get(item_id)
        return localize.label(it, lang) if it else item_id

    async def _load(self, ev: AnyEvent) -> ConvState:
        # The speaker is recorded with their request words, and a DM is saved as theirs: forget finds both.
        return await load_conversation(self.store.conversations, ev.tenant, ev.key.as_str(), speaker=ev.user,
                                       private=ev.is_dm)

    async def _save(self, ev: AnyEvent, state: ConvState) -> None:
        await save_conversation(self.store.conversations, ev.tenant, ev.key.as_str(), state)


# Slash and terminal commands that map straight onto an intent (digest, forget and prefs export are
# handled before: they need no understanding at all).
COMMAND_INTENTS = {"recommend": Intent.RECOMMEND, "more": Intent.MORE, "prefs": Intent.PREFS, "why": Intent.WHY,
                   "about": Intent.ABOUT, "reset": Intent.RESET, "help": Intent.HELP}


def _lang(state: ConvState, user: str) -> str:
    """The language this person last wrote in here (English until they write)."""
    return state.languages.get(user) or "en"
