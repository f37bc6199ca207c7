"""Per-user token buckets: a flood from one person gets a polite reply, not the whole bot's time.

``RateLimiter`` keeps the buckets in memory (one process). ``StoreRateLimiter`` keeps them in the shared
database, so several instances behind a load balancer spend from one bucket per person instead of each
granting the full rate (the default when the store is PostgreSQL: ``[limits] shared = "auto"``).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from core.store.db import Database


class Limiter(Protocol):
    async def check(self, tenant: str, user: str) -> bool:
        """Spend one token of this person's bucket; False when it is empty."""
        ...


class RateLimiter:
    """``allow(key)`` spends one token; tokens refill at ``per_minute / 60`` per second up to ``burst``.

    The table is bounded (least recently used keys are dropped), so a storm of distinct users cannot
    grow memory without limit; a dropped key simply starts again with a full bucket.
    """

    def __init__(self, per_minute: float, burst: int, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        if self.rate <= 0:
            return True
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed

    async def check(self, tenant: str, user: str) -> bool:
        return self.allow(f"{tenant}:{user}")


class StoreRateLimiter:
    """The same token bucket in the ``rate_buckets`` table, shared by every instance on the database.

    One statement per check: an upsert that refills the bucket for the time since its last use, spends a
    token if there is one, and returns whether it did. Two instances checking one person at the same
    moment are serialized by the row, so they cannot both spend the last token. Needs RETURNING (SQLite
    3.35+, PostgreSQL); SQLite deployments run one process and default to the in-memory limiter.
    """

    PRUNE_EVERY_S = 3600.0

    def __init__(self, db: Database, per_minute: float, burst: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        least = "LEAST" if db.dialect == "postgresql" else "MIN"
        fill = f"{least}(?, rate_buckets.tokens + (? - rate_buckets.updated) * ?)"
        self._sql = (
            "INSERT INTO rate_buckets (tenant, user_id, tokens, updated, allowed) VALUES (?, ?, ?, ?, 1) "
            "ON CONFLICT (tenant, user_id) DO UPDATE SET "
            f"allowed = CASE WHEN {fill} >= 1 THEN 1 ELSE 0 END, "
            f"tokens = {fill} - CASE WHEN {fill} >= 1 THEN 1 ELSE 0 END, "
            "updated = excluded.updated RETURNING allowed"
        )
        self._next_prune = clock() + self.PRUNE_EVERY_S

    async def check(self, tenant: str, user: str) -> bool:
        if self.rate <= 0:
            return True
        now = self.clock()
        if now >= self._next_prune:  # keep the table to the people active in the last few minutes
            self._next_prune = now + self.PRUNE_EVERY_S
            await self.prune()
        fill = (self.burst, now, self.rate)
        row = await self.db.fetchone(self._sql, (tenant, user, self.burst - 1.0, now, *fill, *fill, *fill))
        return bool(row and row[0])

    async def prune(self) -> int:
        """Drop buckets that have refilled completely: a missing row is the same as a full bucket."""
        if self.rate <= 0:
            return await self.db.execute("DELETE FROM rate_buckets WHERE 1 = 1")
        return await self.db.execute("DELETE FROM rate_buckets WHERE updated < ?",
                                     (self.clock() - self.burst / self.rate,))
