"""DigestService: the `digest` command, and delivering due digests exactly once.

Time is always passed in (``run_due(now)``) or read from an injected clock, so tests drive days of
schedule without sleeping and the scheduler (bot/scheduler.py) only decides *when to look*; whether
anything is due is decided here, from the store, every time.

Delivery of one (subscription, period):
1. enqueue: INSERT the pending row; UNIQUE(sub_id, period) makes a second run, a second scheduler
   firing or a second instance a no-op.
2. claim: UPDATE ... SET lease_owner WHERE the lease is free; of racing instances exactly one wins.
3. generate once: the recommendation row and the rendered digest are saved with the pending row in
   one transaction, so a crash before the send re-sends the *same* digest after restart.
4. send through the platform's Outbound; on an error, release with a backed-off next_attempt.
5. mark sent + map the message id to the recommendation, in one transaction.
A crash after the platform accepted the post but before step 5 commits is the one window that can
repeat a digest (no chat platform offers idempotent posting); it is milliseconds wide.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from core.digests.commands import USAGE, parse_subscribe
from core.digests.content import DigestContent
from core.digests.repo import Delivery, DeliveryRepo, Subscription, SubscriptionRepo
from core.digests.schedule import ScheduleError, latest_slot, next_due, period_key, quiet_until, zone
from core.digests.settings import DigestSettings
from core.events import AnyEvent, ItemView, Reply
from core.feedback import FeedbackService
from core.ports import Outbound
from core.recommend.catalog import Catalog
from core.recommend.types import Recommender
from core.state import load_conversation, save_conversation
from core.store.store import Store

log = logging.getLogger("recbot.digests")

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunReport:
    sent: list[tuple[str, str]] = field(default_factory=list)  # (sub_id, period)
    retrying: dict[str, datetime] = field(default_factory=dict)  # sub_id -> next attempt
    deferred: dict[str, datetime] = field(default_factory=dict)  # sub_id -> end of quiet hours
    failed: list[tuple[str, str]] = field(default_factory=list)  # gave up after max_attempts
    empty: list[tuple[str, str]] = field(default_factory=list)  # nothing fresh left to send

    def wake(self) -> dict[str, datetime]:
        """When the scheduler should look again for each subscription, besides its regular slots."""
        out = dict(self.deferred)
        for sub_id, when in self.retrying.items():
            out[sub_id] = min(when, out.get(sub_id, when))
        return out


class DigestService:
    def __init__(self, store: Store, catalog: Catalog, recommender: Recommender,
                 settings: DigestSettings | None = None, feedback: FeedbackService | None = None,
                 outbounds: dict[str, Outbound] | Iterable[Outbound] = (), clock: Clock = utcnow,
                 instance_id: str | None = None) -> None:
        self.store = store
        self.settings = settings or DigestSettings()
        self.subs = SubscriptionRepo(store.db)
        self.deliveries = DeliveryRepo(store.db)
        self.content = DigestContent(store, catalog, recommender, feedback or FeedbackService(store, catalog))
        # Platform -> Outbound. A dict is kept as is: the app's registry, filled in as adapters start.
        self.outbounds: dict[str, Outbound] = (
            outbounds if isinstance(outbounds, dict) else {o.platform: o for o in outbounds})
        self.clock = clock
        self.instance_id = instance_id or uuid.uuid4().hex  # lease owner: unique per process/instance
        # Called after a subscription is created or removed (the scheduler re-syncs its job).
        self.on_change: list[Callable[[Subscription], Awaitable[None]]] = []
        # The last period this instance enqueued per subscription: lets a sweep skip a write per
        # subscription per minute (enqueueing again would be a harmless no-op, just not a free one).
        self._enqueued: dict[str, str] = {}

    def add_outbound(self, outbound: Outbound) -> None:
        self.outbounds[outbound.platform] = outbound

    # ---- DigestCommands (called by DialogueCore) ------------------------------------------------
    async def command(self, event: AnyEvent, args: str) -> str:
        word, _, rest = args.strip().partition(" ")
        word = word.lower()
        try:
            if word in ("subscribe", "sub", "add"):
                return await self._subscribe(event, rest)
            if word in ("unsubscribe", "unsub", "stop", "remove"):
                return await self._unsubscribe(event, rest.strip())
            if word in ("list", "ls", ""):
                return await self._list(event)
            if word in ("now", "send"):
                return await self._now(event, rest.strip())
            if word == "help":
                return USAGE
        except ScheduleError as e:
            return f"Sorry — {e}"
        return f"I don't know `digest {word[:30]}`. {USAGE}"

    async def describe(self, tenant: str, user: str) -> list[str]:
        return [s.describe() for s in await self.subs.for_user(tenant, user)]

    async def _subscribe(self, ev: AnyEvent, args: str) -> str:
        spec = parse_subscribe(args, self.settings)
        now = self.clock()
        dm = spec.dm or ev.is_dm
        # A DM digest asked for in a channel goes to the person, not to that channel: the adapter opens
        # the DM from the user id; "dm:<user>" names that conversation in the store.
        channel, thread = (ev.channel, ev.thread) if (ev.is_dm or not dm) else (f"dm:{ev.user}", None)
        for s in await self.subs.for_place(ev.tenant, ev.platform, ev.channel, ev.user):
            if s.channel == channel and s.schedule == spec.schedule and s.size == spec.size:
                return f"Already subscribed: {s.describe()}."
        sub = Subscription(ev.tenant, uuid.uuid4().hex[:8], ev.platform, channel, thread, ev.user,
                           "dm" if dm else "channel", spec.schedule, spec.size, now.timestamp())
        limit = self.settings.limit_for(ev.tenant)
        count = await self.subs.add_if_below(sub, limit)
        if count is not None:
            return (f"This workspace already has {count} digest subscriptions (the limit is {limit}). "
                    "Remove one with `digest unsubscribe <id>` or ask an admin to raise the limit.")
        await self._changed(sub)
        when = next_due(spec.schedule, now)
        nxt = f" Next one: {_local(when, spec.schedule.tz)}." if when else ""
        return f"Subscribed — {sub.describe()}.{nxt} Stop it with `digest unsubscribe {sub.sub_id}`."

    async def _pick(self, ev: AnyEvent, arg: str) -> tuple[list[Subscription], str | None]:
        mine = await self.subs.for_place(ev.tenant, ev.platform, ev.channel, ev.user)
        if arg == "all":
            return mine, None if mine else "There are no digest subscriptions here."
        if arg:
            found = [s for s in mine if s.sub_id == arg.lower()]
            missing = f"There is no digest subscription `{arg[:20]}` here (see `digest list`)."
            return found, None if found else missing
        if len(mine) == 1:
            return mine, None
        if not mine:
            return [], "There are no digest subscriptions here."
        return [], "Which one? " + "; ".join(s.describe() for s in mine)

    async def _unsubscribe(self, ev: AnyEvent, arg: str) -> str:
        subs, error = await self._pick(ev, arg)
        if error:
            return error
        removed = [s for s in subs if await self.subs.deactivate(ev.tenant, s.sub_id)]
        for s in removed:
            await self._changed(replace(s, active=False))
        if not removed:
            return "Nothing to remove."
        return "Unsubscribed: " + ", ".join(s.sub_id for s in removed) + "."

    async def _list(self, ev: AnyEvent) -> str:
        subs = await self.subs.for_place(ev.tenant, ev.platform, ev.channel, ev.user)
        if not subs:
            return "No digest subscriptions here yet. " + USAGE
        now = self.clock()
        lines = []
        for s in subs:
            when = next_due(s.schedule, now)
            lines.append(f"• {s.describe()}" + (f" — next {_local(when, s.schedule.tz)}" if when else ""))
        return "Digest subscriptions:\n" + "\n".join(lines)

    async def _now(self, ev: AnyEvent, arg: str) -> str:
        subs, error = await self._pick(ev, arg)
        if error:
            return error
        status = await self.run_now(ev.tenant, subs[0].sub_id)
        return {"sent": "Here it is.", "empty": "Nothing new to send right now — I've shown you everything "
                "that fits. Try again after some new feedback.", "queued": "Queued — the bot will post it "
                "shortly."}.get(status, "I couldn't post it; I'll retry in a moment.")

    async def _changed(self, sub: Subscription) -> None:
        for callback in self.on_change:
            try:
                await callback(sub)
            except Exception:
                log.exception("digest on_change callback failed for %s", sub.sub_id)

    # ---- delivery ---------------------------------------------------------------------------
    async def run_due(self, now: datetime | None = None, sub_ids: Iterable[str] | None = None,
                      tenant: str | None = None) -> RunReport:
        """Enqueue every due period and deliver every ready delivery (all tenants unless one is named)."""
        now = now or self.clock()
        ids = list(sub_ids) if sub_ids is not None else None
        report = RunReport()
        subs = {s.sub_id: s for s in await self.subs.active(tenant) if ids is None or s.sub_id in ids}
        for sub in subs.values():
            await self._enqueue_due(sub, now, report)
        for d in await self.deliveries.ready(tenant, now.timestamp(), ids):
            sub = subs.get(d.sub_id) or await self.subs.get(d.tenant, d.sub_id)
            if sub is not None:
                await self._deliver(d, sub, now, report)
        return report

    async def run_now(self, tenant: str, sub_id: str, now: datetime | None = None) -> str:
        """An extra digest outside the schedule: "sent", "empty", "queued" (no outbound for its platform
        here: the running bot's sweep posts it) or "retrying"; "missing" for an unknown subscription."""
        now = now or self.clock()
        sub = await self.subs.get(tenant, sub_id)
        if sub is None or not sub.active:
            return "missing"
        period = f"m:{now.strftime('%Y%m%dT%H%M%S.%f')}"  # manual: its own period, ignores quiet hours
        await self.deliveries.enqueue_scheduled(sub, period, now.timestamp())
        if sub.platform not in self.outbounds:
            return "queued"
        d = await self.deliveries.get(tenant, sub_id, period)
        report = RunReport()
        if d is not None:
            await self._deliver(d, sub, now, report)
        if report.sent:
            return "sent"
        return "empty" if report.empty else "retrying"

    async def _enqueue_due(self, sub: Subscription, now: datetime, report: RunReport) -> None:
        slot = latest_slot(sub.schedule, now, not_before=datetime.fromtimestamp(sub.created, UTC))
        if slot is None:
            return
        due_at = quiet_until(sub.schedule, slot) or slot
        grace = self.settings.misfire_grace_hours
        if grace and now - due_at > timedelta(hours=grace):
            return  # too late to be useful; the next slot will come
        period = period_key(sub.schedule, slot)
        quiet_end = quiet_until(sub.schedule, now)
        if quiet_end is not None:
            if await self.deliveries.get(sub.tenant, sub.sub_id, period) is None:
                report.deferred[sub.sub_id] = quiet_end
            return
        if self._enqueued.get(sub.sub_id) != period:
            await self.deliveries.enqueue_scheduled(sub, period, now.timestamp())
            self._enqueued[sub.sub_id] = period

    def backoff(self, attempts: int) -> float:
        st = self.settings
        return min(st.retry_max_seconds, st.retry_base_seconds * 2 ** max(0, attempts - 1))

    async def _deliver(self, d: Delivery, sub: Subscription, now: datetime, report: RunReport) -> None:
        outbound = self.outbounds.get(sub.platform)
        if outbound is None:
            return  # another process (the running bot) has this platform's connection
        if not d.period.startswith("m:") and (quiet_end := quiet_until(sub.schedule, now)):
            report.deferred[sub.sub_id] = quiet_end
            return
        ts, me = now.timestamp(), self.instance_id
        if not await self.deliveries.claim(d, me, ts, self.settings.lease_seconds):
            return  # another instance is on it (or just finished it)
        attempts = d.attempts + 1
        try:
            reply = await self._content_for(d, sub, ts, report)
        except Exception as e:
            log.exception("generating digest %s failed", sub.sub_id)
            await self._retry_or_fail(d, sub, attempts, ts, f"generate: {type(e).__name__}", report)
            return
        if reply is None:
            return  # "empty" recorded, or the lease was lost
        user = sub.user_id if sub.target == "dm" else None
        try:
            message_id = await asyncio.wait_for(outbound.send(sub.delivery_key, reply, user),
                                                self.settings.send_timeout_seconds)
        except Exception as e:
            log.warning("digest %s delivery failed (attempt %d): %s", sub.sub_id, attempts, type(e).__name__)
            await self._retry_or_fail(d, sub, attempts, ts, f"send: {type(e).__name__}", report)
            return
        assert reply.rec_id is not None
        if not await self.deliveries.mark_sent(d, me, sub.platform, reply.rec_id, str(message_id), ts):
            log.error("digest %s/%s: lease lost while sending (send slower than lease_seconds?)",
                      sub.sub_id, d.period)
            return
        report.sent.append((sub.sub_id, d.period))
        await self._remember_shown(sub, reply)

    async def _content_for(self, d: Delivery, sub: Subscription, ts: float,
                           report: RunReport) -> Reply | None:
        if d.rec_id and d.payload:  # generated before a crash or a failed send: send the same digest
            return _reply(d.payload, d.rec_id, sub)
        payload = await self.content.build(sub, ts)
        me = self.instance_id
        if payload is None:
            await self.deliveries.release(d, me, status="empty")
            report.empty.append((sub.sub_id, d.period))
            return None
        rec_id = uuid.uuid4().hex[:16]
        item_ids = [i["item_id"] for i in payload["items"]]
        if not await self.deliveries.attach_content(d, me, rec_id, sub.conv_key, sub.user_id, item_ids,
                                                    payload, ts):
            return None
        return _reply(payload, rec_id, sub)

    async def _retry_or_fail(self, d: Delivery, sub: Subscription, attempts: int, ts: float, error: str,
                             report: RunReport) -> None:
        if attempts >= self.settings.max_attempts:
            await self.deliveries.release(d, self.instance_id, error=error, status="failed")
            report.failed.append((sub.sub_id, d.period))
            return
        retry_at = ts + self.backoff(attempts)
        await self.deliveries.release(d, self.instance_id, next_attempt=retry_at, error=error)
        report.retrying[sub.sub_id] = datetime.fromtimestamp(retry_at, UTC)

    async def _remember_shown(self, sub: Subscription, reply: Reply) -> None:
        """Make the digest the channel's last list, so "why the second one?" and "more" follow it."""
        state = await load_conversation(self.store.conversations, sub.tenant, sub.conv_key)
        assert reply.rec_id is not None
        state.record_shown(reply.rec_id, [v.item_id for v in reply.items],
                           {v.item_id: v.reason for v in reply.items})
        await save_conversation(self.store.conversations, sub.tenant, sub.conv_key, state)


def _reply(payload: dict[str, object], rec_id: str, sub: Subscription) -> Reply:
    items = tuple(ItemView(**i) for i in payload["items"])  # type: ignore[union-attr, arg-type]
    # The reply's key is where it goes: adapters (Slack) post to reply.key.channel when it is set.
    return Reply(str(payload["text"]), items=items, rec_id=rec_id, key=sub.delivery_key, buttons=True)


def _local(when: datetime, tz: str) -> str:
    return when.astimezone(zone(tz)).strftime("%a %Y-%m-%d %H:%M %Z")
