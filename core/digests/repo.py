"""Subscriptions and deliveries in the store. Every query names the tenant (or, for the scheduler's
cross-tenant sweeps, takes ``tenant=None`` explicitly, like ``prune_turns``).

The delivery row is the exactly-once ledger: UNIQUE(sub_id, period) means one row per period, and a
row moves pending -> sent (or empty/failed) only under the lease of the instance that claimed it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import time
from typing import Any

from core.digests.schedule import Schedule, hhmm
from core.events import ConversationKey
from core.store.db import Database

_SUB_COLS = ("tenant, sub_id, platform, channel, thread, user_id, target, kind, at_time, weekday, cron, "
             "timezone, quiet_start, quiet_end, size, created, active")


@dataclass(frozen=True, slots=True)
class Subscription:
    tenant: str
    sub_id: str
    platform: str
    channel: str
    thread: str | None
    user_id: str  # who subscribed: the DM recipient, or the creator of a channel digest
    target: str  # "channel" | "dm"
    schedule: Schedule
    size: int
    created: float
    active: bool = True

    @property
    def key(self) -> ConversationKey:
        return ConversationKey(self.platform, self.tenant, self.channel, self.thread)

    @property
    def conv_key(self) -> str:
        """Where this digest's recommendations live (freshness, reactions, follow-up questions)."""
        return self.key.as_str()

    @property
    def delivery_key(self) -> ConversationKey:
        """What Outbound.send gets. A DM asked for in a channel has no DM channel id yet: the channel is
        left empty and the adapter opens the DM from the user id (Discord and Slack both do)."""
        if self.channel.startswith("dm:"):
            return ConversationKey(self.platform, self.tenant, "")
        return self.key

    def describe(self) -> str:
        where = "by DM" if self.target == "dm" else f"to #{self.channel}"
        return f"{self.sub_id}: {self.schedule.describe()}, {self.size} picks {where}"


@dataclass(frozen=True, slots=True)
class Delivery:
    tenant: str
    sub_id: str
    period: str
    status: str  # pending | sent | empty | failed
    rec_id: str | None
    payload: dict[str, Any] | None
    message_id: str | None
    attempts: int
    next_attempt: float
    lease_owner: str | None
    lease_until: float | None
    last_error: str | None
    created: float
    sent_at: float | None


_DEL_COLS = ("tenant, sub_id, period, status, rec_id, payload, message_id, attempts, next_attempt, "
             "lease_owner, lease_until, last_error, created, sent_at")


def _sub(r: tuple[Any, ...]) -> Subscription:
    (tenant, sub_id, platform, channel, thread, user_id, target, kind, at_time, weekday, cron, tz,
     q_start, q_end, size, created, active) = r
    quiet = (time.fromisoformat(q_start), time.fromisoformat(q_end)) if q_start and q_end else None
    schedule = Schedule(kind=kind, at=time.fromisoformat(at_time) if at_time else None, weekday=weekday,
                        cron=cron, tz=tz, quiet=quiet)
    return Subscription(tenant, sub_id, platform, channel, thread, user_id, target, schedule, int(size),
                        float(created), bool(active))


def _delivery(r: tuple[Any, ...]) -> Delivery:
    d = list(r)
    d[5] = json.loads(d[5]) if d[5] else None
    return Delivery(*d)


class SubscriptionRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_if_below(self, sub: Subscription, limit: int) -> int | None:
        """Insert unless the tenant already has `limit` active ones (0 = no limit), atomically.

        Returns None when inserted, else the current count.
        """
        s = sub.schedule
        async with self.db.transaction() as tx:
            row = await tx.fetchone("SELECT COUNT(*) FROM subscriptions WHERE tenant = ? AND active = 1",
                                    (sub.tenant,))
            count = int(row[0]) if row else 0
            if limit and count >= limit:
                return count
            await tx.execute(
                f"INSERT INTO subscriptions ({_SUB_COLS}) VALUES ({', '.join('?' * 17)})",
                (sub.tenant, sub.sub_id, sub.platform, sub.channel, sub.thread, sub.user_id, sub.target,
                 s.kind, hhmm(s.at) if s.at else None, s.weekday, s.cron, s.tz,
                 hhmm(s.quiet[0]) if s.quiet else None, hhmm(s.quiet[1]) if s.quiet else None,
                 sub.size, sub.created, 1),
            )
        return None

    async def get(self, tenant: str, sub_id: str) -> Subscription | None:
        row = await self.db.fetchone(f"SELECT {_SUB_COLS} FROM subscriptions WHERE tenant = ? AND sub_id = ?",
                                     (tenant, sub_id))
        return _sub(row) if row else None

    async def find(self, sub_id: str) -> Subscription | None:
        """Operator lookup by id across tenants (`recbot digest run-now ID`); never used for chat."""
        row = await self.db.fetchone(f"SELECT {_SUB_COLS} FROM subscriptions WHERE sub_id = ?", (sub_id,))
        return _sub(row) if row else None

    async def active(self, tenant: str | None) -> list[Subscription]:
        if tenant is None:
            rows = await self.db.fetchall(
                f"SELECT {_SUB_COLS} FROM subscriptions WHERE active = 1 ORDER BY tenant, created")
        else:
            rows = await self.db.fetchall(
                f"SELECT {_SUB_COLS} FROM subscriptions WHERE tenant = ? AND active = 1 ORDER BY created",
                (tenant,))
        return [_sub(r) for r in rows]

    async def for_place(self, tenant: str, platform: str, channel: str, user_id: str) -> list[Subscription]:
        """Active subscriptions a person may see and manage here: this channel's, and their own DMs."""
        rows = await self.db.fetchall(
            f"SELECT {_SUB_COLS} FROM subscriptions WHERE tenant = ? AND active = 1 AND platform = ? "
            "AND (channel = ? OR (target = 'dm' AND user_id = ?)) ORDER BY created",
            (tenant, platform, channel, user_id))
        return [_sub(r) for r in rows]

    async def for_user(self, tenant: str, user_id: str) -> list[Subscription]:
        rows = await self.db.fetchall(
            f"SELECT {_SUB_COLS} FROM subscriptions WHERE tenant = ? AND user_id = ? AND active = 1 "
            "ORDER BY created", (tenant, user_id))
        return [_sub(r) for r in rows]

    async def deactivate(self, tenant: str, sub_id: str) -> bool:
        return await self.db.execute(
            "UPDATE subscriptions SET active = 0 WHERE tenant = ? AND sub_id = ? AND active = 1",
            (tenant, sub_id)) == 1


class DeliveryRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def enqueue(self, sub: Subscription, period: str, now: float) -> bool:
        """Create the pending row for (subscription, period); False if the period already has one."""
        return await self.db.execute(
            "INSERT INTO digest_deliveries (tenant, sub_id, user_id, period, status, attempts, next_attempt, "
            "created) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT DO NOTHING",
            (sub.tenant, sub.sub_id, sub.user_id, period, now, now)) == 1

    async def enqueue_scheduled(self, sub: Subscription, period: str, now: float) -> bool:
        """Like ``enqueue`` for a scheduled period, unless the subscription already has this period or a
        later one: catch-up supersedes missed periods for good, even if the clock later steps back
        across one of them. Period keys of one schedule sort by time (``period_key``); manual "m:"
        periods are another prefix and never count."""
        prefix = period.split(":", 1)[0] + ":%"
        return await self.db.execute(
            "INSERT INTO digest_deliveries (tenant, sub_id, user_id, period, status, attempts, next_attempt, "
            "created) SELECT ?, ?, ?, ?, 'pending', 0, ?, ? WHERE NOT EXISTS (SELECT 1 FROM digest_deliveries "
            "WHERE tenant = ? AND sub_id = ? AND period LIKE ? AND period >= ?) ON CONFLICT DO NOTHING",
            (sub.tenant, sub.sub_id, sub.user_id, period, now, now, sub.tenant, sub.sub_id, prefix, period)) == 1

    async def get(self, tenant: str, sub_id: str, period: str) -> Delivery | None:
        row = await self.db.fetchone(
            f"SELECT {_DEL_COLS} FROM digest_deliveries WHERE tenant = ? AND sub_id = ? AND period = ?",
            (tenant, sub_id, period))
        return _delivery(row) if row else None

    async def for_sub(self, tenant: str, sub_id: str) -> list[Delivery]:
        rows = await self.db.fetchall(
            f"SELECT {_DEL_COLS} FROM digest_deliveries WHERE tenant = ? AND sub_id = ? ORDER BY created",
            (tenant, sub_id))
        return [_delivery(r) for r in rows]

    async def ready(self, tenant: str | None, now: float, sub_ids: list[str] | None = None) -> list[Delivery]:
        """Pending rows of active subscriptions whose retry time has come and whose lease is free."""
        sql = (f"SELECT {', '.join('d.' + c.strip() for c in _DEL_COLS.split(','))} FROM digest_deliveries d "
               "JOIN subscriptions s ON s.tenant = d.tenant AND s.sub_id = d.sub_id "
               "WHERE d.status = 'pending' AND s.active = 1 AND d.next_attempt <= ? "
               "AND (d.lease_until IS NULL OR d.lease_until < ?)")
        params: list[Any] = [now, now]
        if tenant is not None:
            sql += " AND d.tenant = ?"
            params.append(tenant)
        if sub_ids is not None:
            sql += f" AND d.sub_id IN ({', '.join('?' * len(sub_ids))})"
            params.extend(sub_ids)
        rows = await self.db.fetchall(sql + " ORDER BY d.next_attempt", params)
        return [_delivery(r) for r in rows]

    async def claim(self, d: Delivery, owner: str, now: float, lease_s: float) -> bool:
        """Take the lease on a pending row; exactly one of any number of racing instances wins."""
        return await self.db.execute(
            "UPDATE digest_deliveries SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 "
            "WHERE tenant = ? AND sub_id = ? AND period = ? AND status = 'pending' AND next_attempt <= ? "
            "AND (lease_until IS NULL OR lease_until < ?)",
            (owner, now + lease_s, d.tenant, d.sub_id, d.period, now, now)) == 1

    async def release(self, d: Delivery, owner: str, next_attempt: float | None = None,
                      error: str | None = None, status: str = "pending") -> None:
        await self.db.execute(
            "UPDATE digest_deliveries SET lease_owner = NULL, lease_until = NULL, status = ?, "
            "next_attempt = COALESCE(?, next_attempt), last_error = COALESCE(?, last_error) "
            "WHERE tenant = ? AND sub_id = ? AND period = ? AND lease_owner = ?",
            (status, next_attempt, error, d.tenant, d.sub_id, d.period, owner))

    async def attach_content(self, d: Delivery, owner: str, rec_id: str, conv_key: str, user_id: str,
                             item_ids: list[str], payload: dict[str, Any], now: float) -> bool:
        """Save the generated digest with its recommendation row, atomically, while we hold the lease.

        After this, a crash before the send re-sends exactly this content (same rec_id, same buttons).
        """
        async with self.db.transaction() as tx:
            n = await tx.execute(
                "UPDATE digest_deliveries SET rec_id = ?, payload = ? WHERE tenant = ? AND sub_id = ? "
                "AND period = ? AND lease_owner = ? AND status = 'pending' AND rec_id IS NULL",
                (rec_id, json.dumps(payload), d.tenant, d.sub_id, d.period, owner))
            if n != 1:
                return False
            await tx.execute(
                "INSERT INTO recommendations (rec_id, tenant, conv_key, user_id, item_ids, kind, created) "
                "VALUES (?, ?, ?, ?, ?, 'digest', ?)",
                (rec_id, d.tenant, conv_key, user_id, json.dumps(item_ids), now))
        return True

    async def mark_sent(self, d: Delivery, owner: str, platform: str, rec_id: str, message_id: str,
                        now: float) -> bool:
        """The "sent" mark and the message -> recommendation mapping, in one transaction."""
        async with self.db.transaction() as tx:
            n = await tx.execute(
                "UPDATE digest_deliveries SET status = 'sent', message_id = ?, sent_at = ?, payload = NULL, "
                "lease_owner = NULL, lease_until = NULL WHERE tenant = ? AND sub_id = ? AND period = ? "
                "AND lease_owner = ? AND status = 'pending'",
                (message_id, now, d.tenant, d.sub_id, d.period, owner))
            if n != 1:
                return False
            await tx.execute(
                "INSERT INTO posted_messages (tenant, platform, message_id, rec_id, item_id) "
                "VALUES (?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING",
                (d.tenant, platform, message_id, rec_id))
        return True

    async def last_sent(self, tenant: str, sub_id: str) -> Delivery | None:
        row = await self.db.fetchone(
            f"SELECT {_DEL_COLS} FROM digest_deliveries WHERE tenant = ? AND sub_id = ? AND status = 'sent' "
            "ORDER BY sent_at DESC LIMIT 1", (tenant, sub_id))
        return _delivery(row) if row else None
