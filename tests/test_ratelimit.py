"""Per-person rate limits: the in-memory bucket and the shared one in the database (both backends)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.wiring import build_limiter
from core.ratelimit import RateLimiter, StoreRateLimiter
from tests.conftest import write_config


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_memory_bucket_refills_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [await limiter.check("t1", "u1") for _ in range(4)] == [True, True, True, False]
    assert await limiter.check("t1", "u2")  # another person has their own bucket
    clock.now += 1.0  # one token back per second
    assert [await limiter.check("t1", "u1") for _ in range(2)] == [True, False]


async def test_shared_bucket_spends_refills_and_is_scoped(store_factory) -> None:
    store = await store_factory()
    clock = Clock()
    limiter = StoreRateLimiter(store.db, per_minute=60, burst=3, clock=clock)
    assert [await limiter.check("t1", "u1") for _ in range(4)] == [True, True, True, False]
    assert await limiter.check("t2", "u1")  # the same user id in another tenant is another person
    assert await limiter.check("t1", "u2")
    clock.now += 1.0
    assert [await limiter.check("t1", "u1") for _ in range(2)] == [True, False]
    clock.now += 60.0  # refills up to the burst, not beyond
    assert [await limiter.check("t1", "u1") for _ in range(4)] == [True, True, True, False]
    assert await StoreRateLimiter(store.db, per_minute=0, burst=1).check("t1", "u1")  # 0 disables


async def test_two_instances_spend_from_one_bucket(store_factory) -> None:
    """Behind a load balancer a flood is split across instances; together they allow only the burst."""
    first, second = await store_factory(), await store_factory()
    clock = Clock()
    a = StoreRateLimiter(first.db, per_minute=6, burst=5, clock=clock)
    b = StoreRateLimiter(second.db, per_minute=6, burst=5, clock=clock)
    results = await asyncio.gather(*((a if n % 2 else b).check("t1", "flooder") for n in range(20)))
    assert sum(results) == 5
    assert await RateLimiter(per_minute=6, burst=5).check("t1", "flooder")  # (memory: each its own)


async def test_full_buckets_are_pruned_and_forget_removes_the_bucket(store_factory) -> None:
    store = await store_factory()
    clock = Clock()
    limiter = StoreRateLimiter(store.db, per_minute=60, burst=3, clock=clock)
    for user in ("u1", "u2"):
        await limiter.check("t1", user)
    clock.now += 1.5
    await limiter.check("t1", "u2")
    clock.now += 2.0  # u1's bucket is full again (3 s since its last use); u2's is not
    assert await limiter.prune() == 1
    exported = await store.export_user("t1", "u2")
    assert len(exported["rate_buckets"]) == 1
    await store.forget_user("t1", "u2")
    row = await store.db.fetchone("SELECT COUNT(*) FROM rate_buckets")
    assert row is not None and row[0] == 0


@pytest.mark.parametrize(("shared", "expected"), [
    ("auto", RateLimiter), ("store", StoreRateLimiter), ("memory", RateLimiter),
])
async def test_wiring_picks_the_limiter(tmp_path: Path, store_factory, shared: str, expected: type) -> None:
    store = await store_factory()
    cfg = load_config(write_config(tmp_path, f'[limits]\nshared = "{shared}"\n'))
    limiter = build_limiter(cfg, store)
    if shared == "auto" and store.db.dialect == "postgresql":
        expected = StoreRateLimiter  # auto: shared wherever the store is
    assert isinstance(limiter, expected)


def test_config_refuses_an_unknown_mode(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[limits\] shared: 'redis' is not one of: auto, memory, store"):
        load_config(write_config(tmp_path, '[limits]\nshared = "redis"\n'))
