"""The effects of one event, written so that a crash at any point loses nothing and counts nothing twice.

A button press or a message is claimed (its platform event id marked processed) in the same transaction
that writes the effects nothing else reads while the event is being handled: the button's preference,
the bot's reply turns. The writes the rest of the handling must already see (a message's stated
likes feed the recommendation it asks for; its user turn) happen as they go, keyed by the event, so a
redelivery after a crash replaces them instead of adding them again. Claiming last means a crash
before the claim leaves the event unclaimed: the platform's retry is handled in full, not skipped.

The scope travels in a ContextVar, so the repositories find it without every call site passing it
(docs/architecture.md, D14).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from core.store.db import Database

Write = Callable[[Any], Awaitable[object]]  # gets the claim's transaction

_current: ContextVar[EventEffects | None] = ContextVar("recbot_event_effects", default=None)


def event_key(event_id: str) -> str:
    """What processed_events stores for an event id: a digest. Platform event ids can embed a user id
    (Discord reaction events are "<message>:<user>:<emoji>:..."), and dedupe only needs equality."""
    return hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def current_effects() -> EventEffects | None:
    """The event being handled in this task, if any."""
    return _current.get()


@dataclass
class EventEffects:
    tenant: str
    platform: str
    event_id: str
    kept_words: bool = False  # the person's turn is stored (an error reply may say nothing was lost)
    _deferred: list[Write] = field(default_factory=list)

    def source(self, kind: str) -> str:
        """The evidence source for a preference this event writes: stable across redeliveries."""
        return f"event:{self.platform}:{self.event_id}:{kind}"

    def defer(self, write: Write) -> None:
        """Run ``write(tx)`` inside the claim's transaction (all or nothing with the claim)."""
        self._deferred.append(write)

    async def commit(self, db: Database) -> bool:
        """Claim the event and write the deferred effects, in one transaction. False: another delivery
        of the same event claimed it first (its effects stand; this one's deferred writes are dropped,
        and its immediate ones were idempotent)."""
        async with db.transaction() as tx:
            n = await tx.execute(
                "INSERT INTO processed_events (tenant, platform, event_id, ts) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING", (self.tenant, self.platform, event_key(self.event_id), time.time()))
            if n != 1:
                return False
            for write in self._deferred:
                await write(tx)
        return True


@asynccontextmanager
async def event_scope(tenant: str, platform: str, event_id: str) -> AsyncIterator[EventEffects]:
    """``async with event_scope(...) as fx: handle...``; then ``await fx.commit(db)``."""
    fx = EventEffects(tenant, platform, event_id)
    token = _current.set(fx)
    try:
        yield fx
    finally:
        _current.reset(token)
