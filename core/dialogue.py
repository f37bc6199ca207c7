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
import time
import weakref
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Protocol

from core import localize, texts
from core.events import AnyEvent, ButtonAction, ButtonPress, Command, ItemView, Message, Reaction, Reply
from core.feedback import FeedbackService
from core.generation.base import GenerationError, GenerationRequest, Generator, GroundedItem
from core.i18n import normalize, t, tag
from core.nlu.types import Intent, NluContext, Parser, Understanding
from core.ports import UserSummary
from core.ratelimit import Limiter, RateLimiter
from core.recommend.catalog import Catalog
from core.recommend.types import Recommender, RecRequest
from core.render import clean_input, compose, defuse
from core.state import ConvState, load_conversation, save_conversation
from core.store.store import Store

log = logging.getLogger("recbot.dialogue")

ProseSink = Callable[[str], Awaitable[None]]
# Set for the duration of one handle() call by adapters that can show text as it is written (the
# terminal): the generator's prose is streamed to it piece by piece, the Reply still carries it all.
_prose_sink: ContextVar[ProseSink | None] = ContextVar("recbot_prose_sink", default=None)
# Recommendation ids only need to be unique, not secret (every lookup is tenant-scoped); one urandom
# seed instead of a urandom call per id, which was measurably slow on small VMs.
_ids = random.Random(os.urandom(16))


class DigestCommands(Protocol):
    """Implemented by the digest service; the core only forwards commands to it."""

    async def command(self, event: AnyEvent, args: str) -> str: ...

    async def describe(self, tenant: str, user: str) -> list[str]: ...


@dataclass(frozen=True)
class CoreSettings:
    k: int = 5
    generation_deadline_s: float = 20.0
    messages_per_minute: float = 20.0  # per user; 0 disables the limit
    burst: int = 8
    unlimited_platforms: tuple[str, ...] = ("console",)  # the local terminal has one trusted user


class DialogueCore:
    def __init__(self, store: Store, catalog: Catalog, parser: Parser, recommender: Recommender,
                 generator: Generator, settings: CoreSettings | None = None,
                 feedback: FeedbackService | None = None, digests: DigestCommands | None = None,
                 limiter: Limiter | None = None) -> None:
        self.store = store
        self.catalog = catalog
        self.parser = parser
        self.recommender = recommender
        self.generator = generator
        self.settings = settings or CoreSettings()
        self.feedback = feedback or FeedbackService(store, catalog)
        self.digests = digests
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._limiter = limiter or RateLimiter(self.settings.messages_per_minute, self.settings.burst)

    # ---- entry points -------------------------------------------------------------------------
    async def handle(self, event: AnyEvent, prose_sink: ProseSink | None = None) -> list[Reply]:
        """Handle one event. ``prose_sink``, if given, receives the reply's prose as it streams."""
        token = _prose_sink.set(prose_sink)
        try:
            return await self._handle(event)
        finally:
            _prose_sink.reset(token)

    async def _handle(self, event: AnyEvent) -> list[Reply]:
        try:
            if isinstance(event, Reaction):
                # Claimed inside the same transaction that records it (crash safety), no reply.
                await self.feedback.on_reaction(event)
                return []
            if not await self.store.events.claim(event.tenant, event.platform, event.event_id):
                return []  # a retry or a duplicate delivery: already handled
            if (isinstance(event, Message | Command) and event.platform not in self.settings.unlimited_platforms
                    and not await self._limiter.check(event.tenant, event.user)):
                return [Reply(texts.SLOW_DOWN, key=event.key, ephemeral=True)]
            key = event.key.as_str()
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = asyncio.Lock()
            async with lock:
                replies = await self._dispatch(event)
            return [r if r.key else replace(r, key=event.key) for r in replies]
        except Exception:
            # Never the message text in logs: only what kind of event failed where.
            log.exception("handle failed for %s event in %s", type(event).__name__, event.platform)
            return [Reply(texts.INTERNAL_ERROR, key=event.key)]

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
        lang = _lang(state, ev.user)
        it = self.catalog.get(ev.item_id)
        shown = localize.label(it, lang) if it else label
        msgid = texts.NOTED_MORE_LIKE if ev.action == ButtonAction.LIKE else texts.NOTED_FEWER_LIKE
        return [Reply(t(lang, msgid, title=shown), ephemeral=True)]

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
        text = {"recommend": args or "recommend something", "more": "more", "prefs": "show my preferences",
                "why": f"why {args}".strip(), "about": f"tell me about {args}", "reset": "start over",
                "help": "help"}.get(name)
        if text is None:
            return [Reply(t(lang, "I don't know the command `{name}`.", name=defuse(name[:40])) + " "
                          + t(lang, texts.HELP), ephemeral=True)]
        msg = Message(platform=ev.platform, tenant=ev.tenant, channel=ev.channel, user=ev.user,
                      event_id=ev.event_id, thread=ev.thread, ts=ev.ts, user_name=ev.user_name,
                      is_dm=ev.is_dm, text=text)
        return await self._on_message(msg)

    async def _on_message(self, ev: Message) -> list[Reply]:
        text, truncated = clean_input(ev.text)
        if not text:
            return [Reply(texts.EMPTY)]
        key = ev.key.as_str()
        await self.store.users.touch(ev.tenant, ev.user, ev.platform, ev.user_name)
        await self.store.conversations.add_turn(ev.tenant, key, ev.user, "user", text)
        state = await self._load(ev)
        ctx = NluContext(tuple(state.last_items), language=state.languages.get(ev.user, ""))
        u = await asyncio.to_thread(self.parser.parse, text, ctx)
        # Each person's language, per conversation: "more" or a bare title later keeps it. Saved with
        # the turn's state; a turn that saves nothing (a greeting) saves it once when it changes.
        changed, version = state.languages.get(ev.user) != u.language, state.version
        state.languages[ev.user] = u.language
        replies = await self._policy(ev, state, u, text)
        if changed and state.version == version and u.intent != Intent.FORGET:
            await self._save(ev, state)  # (after "forget me" the language is gone with the rest)
        if truncated and replies:
            replies[0] = replace(replies[0], text=replies[0].text + "\n" + t(u.language, texts.TRUNCATED))
        for r in replies:
            await self.store.conversations.add_turn(ev.tenant, key, None, "bot", r.text)
        return replies

    # ---- the policy ---------------------------------------------------------------------------
    async def _policy(self, ev: Message, state: ConvState, u: Understanding, text: str) -> list[Reply]:
        lang = u.language
        await self._record_mentions(ev, u)
        intent = u.intent
        if intent in (Intent.UNKNOWN, Intent.FEEDBACK, Intent.GREET) and (u.has_constraints() or (
                u.items and intent != Intent.FEEDBACK)):
            intent = Intent.RECOMMEND  # "80s comedies?" carries a request even without a verb
        refs = self._resolve_refs(state, u)
        if not ev.addressed and intent in (Intent.UNKNOWN, Intent.GREET, Intent.HELP, Intent.FEEDBACK):
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
            return [await self._feedback_words(ev, state, u, refs)]
        if intent in (Intent.RECOMMEND, Intent.REFINE, Intent.MORE):
            return await self._request(ev, state, u, refs, intent, text)
        return [Reply(t(lang, texts.UNKNOWN))]

    async def _request(self, ev: Message, state: ConvState, u: Understanding, refs: list[str],
                       intent: Intent, text: str) -> list[Reply]:
        if u.frustrated:
            # Change strategy instead of more of the same: drop the soft critiques, diversify, ask.
            for iid in state.last_items:
                await self.store.prefs.add(ev.tenant, ev.user, iid, -0.3, "shown", conv_key=ev.key.as_str())
            state.rejected = (state.rejected + state.last_items)[-200:]
            state.critiques, state.seeds = [], []
            replies = await self._recommend(ev, state, text, kind="diversify")
            return replies + [Reply(t(u.language, texts.CLARIFY))]
        named = [m.item_id for m in u.items if m.item_id not in state.last_items and m.sentiment >= 0]
        if intent == Intent.REFINE and named and not refs:
            intent = Intent.RECOMMEND  # "something like Alien but less gory": a new request anchored on Alien
        if intent == Intent.RECOMMEND and not refs:
            # A fresh request that says what it wants starts a new topic; a bare "recommend something"
            # keeps the constraints gathered so far. Refinements (REFINE/MORE) always accumulate.
            new_topic = bool(u.items or u.genres or u.creators or u.domain or u.year_min or u.year_max)
            state.absorb(u, new_topic=new_topic)
            state.seeds = [m.item_id for m in u.items if m.sentiment >= 0]
        else:
            state.absorb(u, new_topic=False)
            if u.reject_refs:
                for iid in refs:
                    await self.store.prefs.add(ev.tenant, ev.user, iid, -0.5, "mention", conv_key=ev.key.as_str())
                state.rejected = (state.rejected + refs)[-200:]
            elif refs:
                state.seeds = refs
            elif u.items:
                state.seeds = [m.item_id for m in u.items if m.sentiment >= 0]
            if intent == Intent.MORE:
                for iid in state.last_items:  # shown and ignored: weak negative
                    await self.store.prefs.add(ev.tenant, ev.user, iid, -0.1, "shown", conv_key=ev.key.as_str())
        return await self._recommend(ev, state, text, kind=intent.value)

    async def _recommend(self, ev: AnyEvent, state: ConvState, text: str, kind: str) -> list[Reply]:
        key = ev.key.as_str()
        signals = await self.feedback.signals(ev.tenant, ev.user, key)
        req = RecRequest(
            tenant=ev.tenant, user=ev.user, query=" ".join(state.query), seeds=tuple(state.seeds),
            critiques=tuple(state.critiques), constraints=state.constraints(), signals=signals,
            k=self.settings.k, diversify=True, now=time.time(),
        )
        result = await self.recommender.recommend(req)
        lang = _lang(state, ev.user)
        views = [self._view(s.item_id, s.reason, lang) for s in result.items if self.catalog.get(s.item_id)]
        if not views:
            await self._save(ev, state)
            return [Reply(t(lang, texts.NOTHING_LEFT))]
        rec_id = f"{_ids.getrandbits(64):016x}"
        await self.store.recs.add(ev.tenant, rec_id, key, ev.user, [v.item_id for v in views], kind=kind)
        # The English reasons are kept (a later "why?" says them again in the person's language then).
        english = {x.item_id: x.reason for x in result.items}
        state.record_shown(rec_id, [v.item_id for v in views], {v.item_id: english.get(v.item_id) or "" for v in views})
        await self._save(ev, state)
        about = localize.describe(req.constraints, lang)
        if state.seeds and kind != "more-like":
            like = t(lang, "like {titles}", titles=t(lang, " and ").join(self._label(i, lang) for i in state.seeds[:2]))
            about = t(lang, "{like}, {about}", like=like, about=about) if about else like
        intro = texts.intro(about, kind, lang)
        if result.relaxed:
            intro = (defuse(result.relaxed[0].upper() + result.relaxed[1:]) + ":" if normalize(lang) == "en"
                     else localize.relaxed(result.relaxed, localize.describe(req.constraints, lang), lang))
        prose = await self._write("recommend", text, views, intro, key, lang)
        return [Reply(compose(prose, views), items=tuple(views), rec_id=rec_id)]

    async def _explain(self, ev: Message, state: ConvState, u: Understanding, refs: list[str],
                       intent: Intent) -> Reply:
        targets = [m.item_id for m in u.items] or refs or list(state.last_items)
        lang = u.language
        if not targets:
            return Reply(t(lang, texts.WHICH_ONE))
        if intent == Intent.WHY:
            lines = [f"{self._label(i, lang)}: {self._reason(i, state.last_reasons.get(i), lang)}" for i in targets[:5]]
            # Facts only: the evidence the ranker recorded, never model prose that could invent a reason.
            return Reply(compose("\n".join(lines)))
        item = self.catalog.get(targets[0])
        if item is None:
            return Reply(t(lang, texts.NOT_IN_CATALOG))
        facts = localize.label(item, lang) + (t(lang, ", by {person}", person=item.creator) if item.creator else "") + \
            (f" — {t(lang, ', ').join(tag(lang, g) for g in item.genres)}" if item.genres else "")
        # The catalog's own description: a question about an item gets facts, not a guess dressed as fact.
        # Descriptions exist in English only; another language gets the facts line and the English text,
        # labelled as such.
        about = (t(lang, texts.DESCRIPTION_EN, text=item.description) if item.description and normalize(lang) != "en"
                 else item.description or t(lang, texts.NO_DESCRIPTION))
        return Reply(compose(f"{facts}.\n{about}"))

    async def _feedback_words(self, ev: Message, state: ConvState, u: Understanding, refs: list[str]) -> Reply:
        lang = u.language
        if u.items:
            named = t(lang, ", ").join(self._label(m.item_id, lang) for m in u.items[:3])
            return Reply(t(lang, texts.NOTED_ITEMS, items=named))
        if refs:
            value = u.sentiment if abs(u.sentiment) > 0.05 else 0.3  # "already seen it": mild positive
            for iid in refs:
                await self.store.prefs.add(ev.tenant, ev.user, iid, max(-1.0, min(1.0, value)), "mention",
                                           conv_key=ev.key.as_str())
            state.rejected = (state.rejected + refs)[-200:]  # seen: don't show it again
            await self._save(ev, state)
            return Reply(t(lang, texts.NOTED_REFS, items=t(lang, ", ").join(self._label(i, lang) for i in refs[:3])))
        return Reply(t(lang, texts.TELL_ME_A_TITLE))

    async def _forget(self, ev: AnyEvent, lang: str = "en") -> Reply:
        counts = await self.store.forget_user(ev.tenant, ev.user)
        state = await self._load(ev)
        if state.languages.pop(ev.user, None) is not None:
            await self._save(ev, state)  # the language this person wrote in here is theirs too
        total = sum(counts.values())
        detail = ", ".join(f"{n} {self.store.user_tables.get(k, k)}" for k, n in counts.items() if n)
        if detail:
            text = t(lang, "Done — I deleted everything I stored about you ({total} records: {detail}).",
                     total=total, detail=detail)
        else:
            text = t(lang, "Done — I deleted everything I stored about you ({total} records).", total=total)
        return Reply(text, ephemeral=True)

    async def _prefs_text(self, ev: AnyEvent, lang: str = "en") -> str:
        s = await self.user_summary(ev.tenant, ev.user)
        if not (s.likes or s.dislikes or s.subscriptions):
            return t(lang, texts.NO_TASTE_YET)
        parts = []
        if s.likes:
            parts.append(t(lang, texts.YOU_LIKE, items="; ".join(s.likes)))
        if s.dislikes:
            parts.append(t(lang, texts.NOT_FOR_YOU, items="; ".join(s.dislikes)))
        if s.subscriptions:
            parts.append(t(lang, texts.DIGESTS, items="; ".join(s.subscriptions)))
        return "\n".join(parts)

    async def _history_text(self, ev: AnyEvent, lang: str = "en") -> str:
        recs = await self.store.recs.recent(ev.tenant, ev.key.as_str(), limit=3)
        if not recs:
            return t(lang, texts.NO_HISTORY)
        lines = [t(lang, texts.HISTORY)]
        for r in recs:
            lines.append("• " + "; ".join(self._label(i, lang) for i in r.item_ids))
        return "\n".join(lines)

    # ---- helpers ------------------------------------------------------------------------------
    async def _record_mentions(self, ev: Message, u: Understanding) -> None:
        for m in u.items:
            if abs(m.sentiment) >= 0.05:
                await self.store.prefs.add(ev.tenant, ev.user, m.item_id, m.sentiment, "mention",
                                           conv_key=ev.key.as_str())

    def _resolve_refs(self, state: ConvState, u: Understanding) -> list[str]:
        if u.refs_all:
            return list(state.last_items)
        return [state.last_items[i] for i in u.refs if 0 <= i < len(state.last_items)]

    async def _write(self, kind: str, user_text: str, views: list[ItemView], intro: str, key: str,
                     lang: str = "en") -> str:
        if normalize(lang) != "en" or not lang.startswith("en"):
            # SmolLM2-135M writes English only: other languages get the deterministic text.
            sink = _prose_sink.get()
            if sink is not None:
                await sink(intro)
            return intro
        grounded = tuple(
            GroundedItem(v.title, v.year, v.reason, v.creator, (it.description if (it := self.catalog.get(v.item_id))
                                                                else ""), v.domain)
            for v in views
        )
        req = GenerationRequest(kind=kind, user_text=user_text, items=grounded, intro=intro, channel_key=key,
                                deadline_s=self.settings.generation_deadline_s)
        sink = _prose_sink.get()
        try:
            if sink is None:
                return await self.generator.generate(req)
            pieces: list[str] = []
            async for piece in self.generator.stream(req):
                pieces.append(piece)
                await sink(piece)
            return "".join(pieces)
        except GenerationError:
            if sink is not None:
                await sink(intro)
            return intro

    def _view(self, item_id: str, reason: str, lang: str = "en") -> ItemView:
        it = self.catalog.get(item_id)
        assert it is not None
        return ItemView(it.item_id, localize.title(it, lang), it.year, self._reason(item_id, reason, lang),
                        it.creator, it.domain)

    def _reason(self, item_id: str, reason: str | None, lang: str = "en") -> str:
        return localize.item_reason(self.catalog, item_id, reason, lang)

    def _label(self, item_id: str, lang: str = "en") -> str:
        it = self.catalog.get(item_id)
        return localize.label(it, lang) if it else item_id

    async def _load(self, ev: AnyEvent) -> ConvState:
        return await load_conversation(self.store.conversations, ev.tenant, ev.key.as_str())

    async def _save(self, ev: AnyEvent, state: ConvState) -> None:
        await save_conversation(self.store.conversations, ev.tenant, ev.key.as_str(), state)


def _lang(state: ConvState, user: str) -> str:
    """The language this person last wrote in here (English until they write)."""
    return state.languages.get(user) or "en"
