"""Shared pieces for the digest tests: a controllable clock, a recording Outbound, a small catalog."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.digests.service import DigestService
from core.digests.settings import DigestSettings
from core.events import Command, ConversationKey, Reply
from core.recommend.catalog import Catalog, Item
from core.recommend.simple import SimpleRecommender
from core.store.store import Store

BERLIN = ZoneInfo("Europe/Berlin")
GENRES = ("comedy", "drama", "horror", "sci-fi", "romance", "thriller", "animation", "documentary")
_ids = itertools.count(1)


def small_catalog(n: int = 60) -> Catalog:
    return Catalog([
        Item(item_id=f"m{i:02d}", title=f"Film {i}", domain="movie", year=1970 + i,
             creator=f"Director {i % 7}",
             genres=(GENRES[i % 8], GENRES[(i * 3 + 1) % 8]), tags=("classic",) if i % 5 == 0 else (),
             description=f"A {GENRES[i % 8]} story, number {i}.", popularity=float(200 - i))
        for i in range(n)
    ])


def write_catalog_file(path: Path, catalog: Catalog) -> Path:
    path.write_text("\n".join(json.dumps(it.to_json()) for it in catalog) + "\n", encoding="utf-8")
    return path


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz).astimezone(UTC)


class Clock:
    """The controllable clock: tests move it; nothing sleeps."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


class Crash(BaseException):
    """Stands in for the process dying mid-send (not an Exception: nothing catches it)."""


class RecordingOutbound:
    """A real Outbound (the platform edge): records what was posted, can fail or 'crash' on demand."""

    def __init__(self, platform: str = "test", fail: int = 0, crash: bool = False) -> None:
        self.platform = platform
        self.fail = fail
        self.crash = crash
        self.calls = 0
        self.sent: list[tuple[ConversationKey, Reply, str | None, str]] = []

    async def send(self, key: ConversationKey, reply: Reply, user: str | None = None) -> str:
        self.calls += 1
        if self.crash:
            raise Crash()
        if self.fail > 0:
            self.fail -= 1
            raise ConnectionError("platform answered 503")
        message_id = f"msg-{self.platform}-{next(_ids)}"
        self.sent.append((key, reply, user, message_id))
        return message_id


def command(args: str, *, tenant: str = "t1", channel: str = "c1", user: str = "u1", platform: str = "test",
            is_dm: bool = False) -> Command:
    return Command(platform=platform, tenant=tenant, channel=channel, user=user, event_id=f"dg{next(_ids)}",
                   name="digest", args=args, is_dm=is_dm)


async def ask(service: DigestService, args: str, **where: Any) -> str:
    """What DialogueCore does for `/digest <args>`: forward the event and its arguments."""
    return await service.command(command(args, **where), args)


def sub_id_of(reply: str) -> str:
    m = re.search(r"Subscribed — ([0-9a-f]{8}):", reply)
    assert m, reply
    return m.group(1)


def service_on(store: Store, clock: Clock, outbound: RecordingOutbound | None = None,
               settings: DigestSettings | None = None, catalog: Catalog | None = None) -> DigestService:
    catalog = catalog or small_catalog()
    return DigestService(store, catalog, SimpleRecommender(catalog), settings or DigestSettings(),
                         outbounds=[outbound] if outbound else [], clock=clock)


class Harness:
    """Opens services the way separate processes would (own connection, own instance) and closes every
    store at teardown even when a test fails, so no SQLite worker thread outlives the test."""

    def __init__(self) -> None:
        self.stores: list[Store] = []

    async def open(self, db: Path, clock: Clock, outbound: RecordingOutbound | None = None,
                   settings: DigestSettings | None = None,
                   catalog: Catalog | None = None) -> tuple[Store, DigestService]:
        store = await Store.open_sqlite(db)
        self.stores.append(store)
        return store, service_on(store, clock, outbound, settings, catalog)

    async def __aenter__(self) -> Harness:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for store in self.stores:
            await store.close()  # closing twice is a no-op
