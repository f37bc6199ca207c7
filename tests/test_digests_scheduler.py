"""bot/scheduler.py: APScheduler jobs per subscription in a persistent SQLite job store, the coalesced
catch-up after downtime, quiet-hours wake-ups, retention, and the [digests]/[privacy] settings."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.scheduler import DigestScheduler, PrivacySettings, build_digest_service, digest_settings, job_id
from bot.wiring import build_app
from core.digests.schedule import quiet_until
from tests.conftest import write_config
from tests.digest_support import Clock, Harness, RecordingOutbound, ask, sub_id_of


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async with Harness() as h:
        yield h


def _now() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


async def test_one_persistent_job_per_subscription_follows_subscribe_and_unsubscribe(
        tmp_path: Path, harness: Harness) -> None:
    store, svc = await harness.open(tmp_path / "r.db", Clock(_now()), RecordingOutbound())
    first = sub_id_of(await ask(svc, "subscribe daily at 09:00 tz Europe/Berlin"))
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    sched = DigestScheduler(svc, store, url)
    await sched.start()
    try:
        job = sched.scheduler.get_job(job_id(first))
        assert job.coalesce is True and job.misfire_grace_time is None  # 0 h = no limit: catch up once
        assert str(job.trigger.timezone) == "Europe/Berlin" and job.next_run_time.hour == 9
        second = sub_id_of(await ask(svc, "subscribe cron '0 8 * * 1-5' tz Asia/Tokyo", channel="c2"))
        assert sched.scheduler.get_job(job_id(second)) is not None  # added by the command, at once
        await ask(svc, f"unsubscribe {first}")
        assert sched.scheduler.get_job(job_id(first)) is None
    finally:
        await sched.shutdown()
    con = sqlite3.connect(tmp_path / "jobs.db")
    assert {r[0] for r in con.execute("SELECT id FROM apscheduler_jobs")} == {job_id(second)}
    con.close()


async def test_restart_after_three_days_runs_the_missed_job_once(tmp_path: Path, harness: Harness) -> None:
    now = _now()
    at = (now - timedelta(hours=1)).strftime("%H:%M")  # a daily slot one hour ago, in UTC
    url, db = f"sqlite:///{tmp_path / 'jobs.db'}", tmp_path / "r.db"
    # The bot as it ran three days ago: it subscribed, the job was persisted, then the bot went down.
    old_clock = Clock(now - timedelta(days=3, hours=2))
    store, svc = await harness.open(db, old_clock)
    sub = sub_id_of(await ask(svc, f"subscribe daily at {at}"))
    old = DigestScheduler(svc, store, url, clock=old_clock)
    await old.start()
    old.scheduler.pause()
    old.scheduler.modify_job(job_id(sub), next_run_time=now - timedelta(days=3, hours=1))
    await old.shutdown()
    await store.close()

    out = RecordingOutbound()
    store, svc = await harness.open(db, Clock(now), out)
    sched = DigestScheduler(svc, store, url, clock=Clock(now))
    fired: list[str | None] = []
    job_ran = asyncio.Event()
    on_fire = sched.on_fire

    async def counting(sub_id: str | None) -> None:
        fired.append(sub_id)
        await on_fire(sub_id)
        if sub_id == sub:
            job_ran.set()

    sched.on_fire = counting  # type: ignore[method-assign]
    await sched.start()
    try:
        # APScheduler sees four missed runs of the persisted job; coalesce makes them one.
        await asyncio.wait_for(job_ran.wait(), 30)
        await asyncio.sleep(0.3)  # room for a (wrong) second run to show up
        assert sched.scheduler.get_job(job_id(sub)).next_run_time > datetime.now(UTC)  # rescheduled ahead
        assert fired.count(sub) == 1 and fired.count(None) == 1  # the job once, plus the startup look
        assert len(out.sent) == 1  # and one catch-up digest, not four
    finally:
        await sched.shutdown()


async def test_quiet_hours_schedule_a_wake_up_at_their_end(tmp_path: Path, harness: Harness) -> None:
    now = _now()
    clock = Clock(now - timedelta(hours=1))
    store, svc = await harness.open(tmp_path / "r.db", clock, RecordingOutbound())
    def hm(minutes: int) -> str:
        return (now + timedelta(minutes=minutes)).strftime("%H:%M")

    sub = sub_id_of(await ask(svc, f"subscribe daily at {hm(-5)} quiet {hm(-10)}-{hm(50)}"))
    clock.now = now
    sched = DigestScheduler(svc, store, f"sqlite:///{tmp_path / 'jobs.db'}", clock=clock)
    await sched.start()
    try:
        later = sched.scheduler.get_job(f"digest-later:{sub}")
        s = (await svc.subs.get("t1", sub)).schedule  # type: ignore[union-attr]
        assert later is not None and later.next_run_time == quiet_until(s, now)
        assert svc.outbounds["test"].sent == []  # type: ignore[attr-defined]
    finally:
        await sched.shutdown()


async def test_retention_prunes_old_turns(tmp_path: Path, harness: Harness) -> None:
    store, svc = await harness.open(tmp_path / "r.db", Clock(_now()))
    await store.conversations.add_turn("t1", "k", "u1", "user", "old words")
    await store.db.execute("UPDATE turns SET ts = ts - ?", (40 * 86400,))
    await store.conversations.add_turn("t1", "k", "u1", "user", "new words")
    sched = DigestScheduler(svc, store, f"sqlite:///{tmp_path / 'jobs.db'}",
                            PrivacySettings(turn_retention_days=30), clock=Clock(_now()))
    assert await sched.retention() == 1
    assert [t.text for t in await store.conversations.recent_turns("t1", "k")] == ["new words"]
    assert await DigestScheduler(svc, store, "sqlite://").retention() == 0  # 0 days: keep everything


def test_settings_sections_are_checked() -> None:
    assert PrivacySettings.from_mapping({"turn_retention_days": 14}).turn_retention_days == 14
    # A typo used to be accepted silently (and retention never ran): it is an error naming the key.
    with pytest.raises(ConfigError, match=r"\[privacy\] turn_retention_day: unknown setting.*turn_retention_days"):
        PrivacySettings.from_mapping({"turn_retention_day": 30})
    for raw in ({"turn_retention_days": "14"}, {"turn_retention_days": -1}, {"retention_check_hours": 0}):
        with pytest.raises(ConfigError, match=r"\[privacy\]"):
            PrivacySettings.from_mapping(raw)


async def test_wiring_builds_the_service_from_the_config(tmp_path: Path) -> None:
    body = '[catalog]\nbundled = false\n[digests]\nenabled = false\n'
    app = await build_app(load_config(write_config(tmp_path, body)))
    try:
        assert app.digests is None and app.core.digests is None
    finally:
        await app.aclose()
    bad = '[catalog]\nbundled = false\n[digests]\nmax_per_tenant = "lots"\n'
    (fresh := tmp_path / "bad").mkdir()
    with pytest.raises(ConfigError, match=r"\[digests\] max_per_tenant"):
        load_config(write_config(fresh, bad))  # refused with the file, before anything is opened
    assert not (fresh / "data" / "recbot.db").exists()
    assert build_digest_service(digest_settings(load_config(write_config(tmp_path, body))),
                                None, None, None, None) is None  # type: ignore[arg-type]
