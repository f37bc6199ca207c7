"""Digest delivery with a controllable clock, on real SQLite files: once per period, across restarts,
crashes, failures, races, quiet hours and DST."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.digests.service import DigestService
from core.digests.settings import DigestSettings
from core.state import ConvState
from tests.digest_support import (
    BERLIN,
    Clock,
    Crash,
    Harness,
    RecordingOutbound,
    ask,
    local,
    service_on,
    sub_id_of,
)


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async with Harness() as h:
        yield h


async def _drive(service: DigestService, clock: Clock, until: datetime, step_min: int = 15) -> None:
    """Call run_due every `step_min` minutes of simulated time, as the scheduler's sweep would."""
    while clock.now < until:
        await service.run_due(clock.now)
        clock.advance(minutes=step_min)


async def test_daily_digest_fires_once_per_day_across_a_restart(tmp_path: Path, harness: Harness) -> None:
    db, clock, out = tmp_path / "r.db", Clock(local(2024, 5, 6, 8)), RecordingOutbound()
    store, svc = await harness.open(db, clock, out)
    sub = sub_id_of(await ask(svc, "subscribe daily at 09:00 tz Europe/Berlin size 3"))
    await _drive(svc, clock, local(2024, 5, 6, 12))
    assert len(out.sent) == 1
    key, reply, user, message_id = out.sent[0]
    assert key.channel == "c1" and user is None and reply.rec_id and len(reply.items) == 3
    assert all(v.reason for v in reply.items) and "daily digest" in reply.text
    # The digest is an ordinary recommendation: recorded, and its message maps back for reactions.
    rec = await store.recs.get("t1", reply.rec_id)
    assert rec is not None and rec.kind == "digest" and list(rec.item_ids) == [v.item_id for v in reply.items]
    found = await store.recs.by_message("t1", "test", message_id)
    assert found is not None and found[0].rec_id == reply.rec_id
    await store.close()

    # Restart: a new service on the same file, same day, then the next day.
    store, svc = await harness.open(db, clock, out)
    await _drive(svc, clock, local(2024, 5, 7, 12))
    assert len(out.sent) == 2
    assert {d.period for d in await svc.deliveries.for_sub("t1", sub)} == {"d:2024-05-06", "d:2024-05-07"}
    # Fresh: the second day shows nothing from the first.
    assert not {v.item_id for v in out.sent[0][1].items} & {v.item_id for v in out.sent[1][1].items}
    await store.close()


async def test_bot_down_for_three_days_sends_one_catch_up(tmp_path: Path, harness: Harness) -> None:
    db, clock, out = tmp_path / "r.db", Clock(local(2024, 5, 6, 8)), RecordingOutbound()
    store, svc = await harness.open(db, clock, out)
    await ask(svc, "subscribe daily at 09:00 tz Europe/Berlin")
    await _drive(svc, clock, local(2024, 5, 6, 10))
    await store.close()
    assert len(out.sent) == 1

    clock.now = local(2024, 5, 9, 15, 20)  # down 6 May 10:00 .. 9 May 15:20: three slots missed
    store, svc = await harness.open(db, clock, out)
    report = await svc.run_due()
    assert len(report.sent) == 1 and len(out.sent) == 2  # one catch-up, not three
    assert report.sent[0][1] == "d:2024-05-09"
    await _drive(svc, clock, local(2024, 5, 10, 12))
    assert len(out.sent) == 3  # and back on schedule the next morning
    await store.close()


async def test_misfire_grace_skips_a_stale_catch_up(tmp_path: Path, harness: Harness) -> None:
    clock, out = Clock(local(2024, 5, 6, 8)), RecordingOutbound()
    store, svc = await harness.open(tmp_path / "r.db", clock, out, DigestSettings(misfire_grace_hours=2))
    await ask(svc, "subscribe daily at 09:00 tz Europe/Berlin")
    assert (await svc.run_due(local(2024, 5, 6, 12))).sent == []  # 3 h late: beyond the grace
    assert len((await svc.run_due(local(2024, 5, 7, 10, 30))).sent) == 1  # 1.5 h late: caught up
    await store.close()


async def test_quiet_hours_defer_to_the_end_of_the_window(tmp_path: Path, harness: Harness) -> None:
    clock, out = Clock(local(2024, 5, 6, 6)), RecordingOutbound()
    store, svc = await harness.open(tmp_path / "r.db", clock, out)
    await ask(svc, "subscribe daily at 07:00 tz Europe/Berlin quiet 22:00-08:00")
    report = await svc.run_due(local(2024, 5, 6, 7))
    assert report.sent == [] and list(report.deferred.values()) == [local(2024, 5, 6, 8)]
    assert (await svc.run_due(local(2024, 5, 6, 7, 59))).sent == []
    assert [p for _, p in (await svc.run_due(local(2024, 5, 6, 8))).sent] == ["d:2024-05-06"]
    # A slot inside a window that wraps midnight goes out the next morning, still once per day.
    clock.now = local(2024, 5, 6, 9)
    late = sub_id_of(await ask(svc, "subscribe daily at 23:30 tz Europe/Berlin quiet 23:00-07:00",
                               channel="c2"))
    sent_at: list[datetime] = []
    while clock.now < local(2024, 5, 9, 9):
        if (await svc.run_due(clock.now, sub_ids=[late])).sent:
            sent_at.append(clock.now)
        clock.advance(minutes=30)
    assert sent_at == [local(2024, 5, 7, 7), local(2024, 5, 8, 7), local(2024, 5, 9, 7)]
    assert [d.period for d in await svc.deliveries.for_sub("t1", late)] == ["d:2024-05-06", "d:2024-05-07",
                                                                           "d:2024-05-08"]
    await store.close()


async def test_unsubscribe_stops_it(tmp_path: Path, harness: Harness) -> None:
    clock, out = Clock(local(2024, 5, 6, 8)), RecordingOutbound(fail=1)
    store, svc = await harness.open(tmp_path / "r.db", clock, out)
    sub = sub_id_of(await ask(svc, "subscribe"))  # default: daily 09:00 UTC
    report = await svc.run_due(datetime(2024, 5, 6, 9, tzinfo=UTC))
    assert sub in report.retrying  # a pending delivery waiting for its retry...
    assert await ask(svc, "unsubscribe") == f"Unsubscribed: {sub}."
    for day in range(6, 10):
        await svc.run_due(datetime(2024, 5, day, 9, 30, tzinfo=UTC))
    assert out.sent == []  # ...is not delivered after unsubscribing, and nothing later either
    assert "No digest subscriptions here" in await ask(svc, "list")
    assert "no digest subscription" in (await ask(svc, f"unsubscribe {sub}")).lower()
    await store.close()


async def test_dst_switches_keep_one_digest_per_local_day_at_nine(tmp_path: Path, harness: Harness) -> None:
    for start, end, hours in [((2024, 3, 29), (2024, 4, 2), [8, 8, 7, 7]),
                              ((2024, 10, 25), (2024, 10, 29), [7, 7, 8, 8])]:
        clock, out = Clock(local(*start)), RecordingOutbound()
        store, svc = await harness.open(tmp_path / f"dst{start[1]}.db", clock, out)
        sub = sub_id_of(await ask(svc, "subscribe daily at 09:00 tz Europe/Berlin size 2"))
        sent_at: list[datetime] = []
        while clock.now < local(*end):
            if (await svc.run_due(clock.now)).sent:
                sent_at.append(clock.now)
            clock.advance(minutes=5)
        assert [t.hour for t in sent_at] == hours  # the UTC instant shifts by an hour ...
        assert {t.astimezone(BERLIN).strftime("%H:%M") for t in sent_at} == {"09:00"}  # ... 09:00 local
        assert len({d.period for d in await svc.deliveries.for_sub("t1", sub)}) == 4
        await store.close()


async def test_delivery_failure_retries_with_backoff_and_is_sent_once(tmp_path: Path,
                                                                      harness: Harness) -> None:
    nine = datetime(2024, 5, 6, 9, tzinfo=UTC)
    clock, out = Clock(nine - timedelta(hours=1)), RecordingOutbound(fail=2)
    store, svc = await harness.open(tmp_path / "r.db", clock, out)
    sub = sub_id_of(await ask(svc, "subscribe daily at 09:00"))
    r1 = await svc.run_due(nine)
    assert out.calls == 1 and r1.retrying[sub] == nine + timedelta(seconds=30)
    await svc.run_due(nine + timedelta(seconds=20))
    assert out.calls == 1  # backing off: no attempt before the retry time
    r2 = await svc.run_due(nine + timedelta(seconds=30))
    assert out.calls == 2 and r2.retrying[sub] == nine + timedelta(seconds=90)  # doubled
    r3 = await svc.run_due(nine + timedelta(seconds=90))
    assert out.calls == 3 and len(r3.sent) == 1
    for s in range(100, 400, 30):
        await svc.run_due(nine + timedelta(seconds=s))
    assert len(out.sent) == 1 and out.calls == 3
    (d,) = await svc.deliveries.for_sub("t1", sub)
    assert d.status == "sent" and d.attempts == 3 and d.last_error == "send: ConnectionError"
    recs = await store.recs.recent("t1", "test:t1:c1:", limit=10)
    assert len(recs) == 1  # generated once; every retry sent the same digest
    await store.close()


async def test_gives_up_after_max_attempts(tmp_path: Path, harness: Harness) -> None:
    nine = datetime(2024, 5, 6, 9, tzinfo=UTC)
    clock, out = Clock(nine - timedelta(hours=1)), RecordingOutbound(fail=100)
    store, svc = await harness.open(tmp_path / "r.db", clock, out, DigestSettings(max_attempts=3))
    sub = sub_id_of(await ask(svc, "subscribe daily at 09:00"))
    for minute in range(0, 60):
        await svc.run_due(nine + timedelta(minutes=minute))
    (d,) = await svc.deliveries.for_sub("t1", sub)
    assert out.calls == 3 and d.status == "failed"
    await store.close()


async def test_crash_between_generate_and_send_sends_once_after_restart(tmp_path: Path,
                                                                         harness: Harness) -> None:
    db, nine = tmp_path / "r.db", datetime(2024, 5, 6, 9, tzinfo=UTC)
    clock = Clock(nine - timedelta(hours=1))
    store, svc = await harness.open(db, clock, RecordingOutbound(crash=True))
    sub = sub_id_of(await ask(svc, "subscribe daily at 09:00"))
    try:
        await svc.run_due(nine)
        raise AssertionError("the crash should have propagated")
    except Crash:
        pass
    (d,) = await svc.deliveries.for_sub("t1", sub)
    assert d.status == "pending" and d.rec_id  # generated and saved, never sent
    await store.close()  # the process is gone

    out = RecordingOutbound()
    store, svc = await harness.open(db, clock, out)
    await svc.run_due(nine + timedelta(minutes=1))
    assert out.sent == []  # the dead instance's lease still holds for lease_seconds
    for minute in range(5, 30):
        await svc.run_due(nine + timedelta(minutes=minute))
    assert len(out.sent) == 1 and out.sent[0][1].rec_id == d.rec_id  # once, the same digest
    (d2,) = await svc.deliveries.for_sub("t1", sub)
    assert d2.status == "sent" and d2.payload is None
    await store.close()


class SlowOutbound(RecordingOutbound):
    """A platform that takes a moment to answer: the racing instance runs while this one is mid-send
    (an instantly answering fake never lets the two interleave, so the lease would go untested)."""

    async def send(self, key: Any, reply: Any, user: str | None = None) -> str:
        await asyncio.sleep(0.02)
        return await super().send(key, reply, user)


async def test_two_instances_racing_the_same_period_send_once(tmp_path: Path, harness: Harness) -> None:
    db, clock = tmp_path / "r.db", Clock(datetime(2024, 5, 6, 8, tzinfo=UTC))
    out_a, out_b = SlowOutbound(), SlowOutbound()
    store_a, a = await harness.open(db, clock, out_a)
    store_b, b = await harness.open(db, clock, out_b)
    for ch in ("c1", "c2", "c3"):
        await ask(a, "subscribe daily at 09:00 size 2", channel=ch)
    for day in range(6, 11):
        now = datetime(2024, 5, day, 9, tzinfo=UTC)
        await asyncio.gather(a.run_due(now), b.run_due(now), a.run_due(now), b.run_due(now))
    # Long after every lease has expired: nothing is left half-claimed to be sent a second time.
    later = datetime(2024, 5, 10, 20, tzinfo=UTC)
    await asyncio.gather(a.run_due(later), b.run_due(later))
    sent = out_a.sent + out_b.sent
    assert len(sent) == 3 * 5  # every (subscription, day) exactly once
    assert len({(k.channel, r.rec_id) for k, r, _, _ in sent}) == 15
    rows = [d for s in await a.subs.active("t1") for d in await a.deliveries.for_sub("t1", s.sub_id)]
    assert len(rows) == 15 and {d.status for d in rows} == {"sent"}
    await store_a.close()
    await store_b.close()


async def test_limit_per_tenant(tmp_path: Path, harness: Harness) -> None:
    settings = DigestSettings(max_per_tenant=2, tenant_limits={"big": 5})
    clock = Clock(datetime(2024, 5, 6, tzinfo=UTC))
    store, svc = await harness.open(tmp_path / "r.db", clock, None, settings)
    for ch in ("a", "b"):
        assert "Subscribed" in await ask(svc, "subscribe", channel=ch)
    refused = await ask(svc, "subscribe", channel="c")
    assert "already has 2 digest subscriptions (the limit is 2)" in refused
    assert "Subscribed" in await ask(svc, "subscribe", tenant="t2")  # per tenant
    for ch in "abc":
        assert "Subscribed" in await ask(svc, "subscribe", tenant="big", channel=ch)
    assert "Already subscribed" in await ask(svc, "subscribe", channel="a")
    await ask(svc, "unsubscribe", channel="a")
    assert "Subscribed" in await ask(svc, "subscribe", channel="c")  # room again
    await store.close()


async def test_commands_list_unsubscribe_and_errors(tmp_path: Path, harness: Harness) -> None:
    store, svc = await harness.open(tmp_path / "r.db", Clock(local(2024, 5, 6, 10)), RecordingOutbound())
    first = sub_id_of(await ask(svc, "subscribe weekly fri at 18:00 tz Europe/Berlin"))
    second = sub_id_of(await ask(svc, "subscribe cron '0 8 * * 1-5' tz Europe/Berlin dm"))
    listing = await ask(svc, "list")
    assert first in listing and second in listing and "weekly on Friday at 18:00" in listing
    assert "next Fri 2024-05-10 18:00 CEST" in listing
    assert (await ask(svc, "unsubscribe")).startswith("Which one?")
    assert first not in await ask(svc, "list", channel="elsewhere", user="u2")
    assert "Sorry — " in await ask(svc, "subscribe daily at 27:00")
    assert "I don't know `digest frobnicate`" in await ask(svc, "frobnicate")
    assert await svc.describe("t1", "u1") == [s.describe() for s in await svc.subs.for_user("t1", "u1")]
    dm = (await svc.subs.get("t1", second))
    assert dm is not None and dm.target == "dm" and dm.channel == "dm:u1"
    assert await ask(svc, "unsubscribe all") == f"Unsubscribed: {first}, {second}."
    await store.close()


async def test_digest_now_sends_an_extra_one(tmp_path: Path, harness: Harness) -> None:
    clock, out = Clock(local(2024, 5, 6, 23, 30)), RecordingOutbound()
    store, svc = await harness.open(tmp_path / "r.db", clock, out)
    await ask(svc, "subscribe daily at 09:00 tz Europe/Berlin quiet 22:00-08:00")
    assert await ask(svc, "now") == "Here it is."  # asked for: quiet hours don't apply
    assert len(out.sent) == 1
    await _drive(svc, clock, local(2024, 5, 7, 10))
    assert len(out.sent) == 2  # the scheduled one still comes, with different picks
    assert not {v.item_id for v in out.sent[0][1].items} & {v.item_id for v in out.sent[1][1].items}
    await store.close()


async def test_channel_digest_is_personalized_fresh_and_remembered(tmp_path: Path, harness: Harness) -> None:
    clock, out = Clock(datetime(2024, 5, 6, 8, tzinfo=UTC)), RecordingOutbound()
    store, svc = await harness.open(tmp_path / "r.db", clock, out)
    conv = "test:t1:c1:"
    # Two members of the channel liked horror films (m02, m10 are horror); a third item was shown here.
    await store.prefs.add("t1", "ann", "m02", 1.0, "reaction", conv_key=conv)
    await store.prefs.add("t1", "bob", "m10", 1.0, "button", conv_key=conv)
    state = ConvState(shown=["m18"])
    await store.conversations.save_state("t1", conv, state.to_json())
    await ask(svc, "subscribe daily at 09:00 size 4")
    await svc.run_due(datetime(2024, 5, 6, 9, tzinfo=UTC))
    (_, reply, _, _), = out.sent
    ids = [v.item_id for v in reply.items]
    assert not {"m02", "m10", "m18"} & set(ids)  # nothing already seen or rated here
    assert sum("horror" in svc.content.catalog.get(i).genres for i in ids) >= 2  # type: ignore[union-attr]
    assert all("horror" in v.reason or v.reason for v in reply.items)
    after = ConvState.from_json(await store.conversations.load_state("t1", conv))
    assert after.last_rec_id == reply.rec_id and set(ids) <= set(after.shown)  # "why the 2nd one?" works
    await store.close()


async def test_subscriptions_are_in_export_and_forget(tmp_path: Path, harness: Harness) -> None:
    store, svc = await harness.open(tmp_path / "r.db", Clock(datetime(2024, 5, 6, 8, tzinfo=UTC)),
                                    RecordingOutbound())
    out = svc.outbounds["test"]
    await ask(svc, "subscribe daily at 09:00 dm")
    await svc.run_due(datetime(2024, 5, 6, 9, tzinfo=UTC))
    (key, _, user, _), = out.sent  # type: ignore[attr-defined]
    assert key.channel == "" and user == "u1"  # asked for in a channel: the adapter opens the DM
    exported = await store.export_user("t1", "u1")
    assert exported["subscriptions"][0]["target"] == "dm"
    assert exported["digest_deliveries"][0]["status"] == "sent"
    counts = await store.forget_user("t1", "u1")
    assert counts["subscriptions"] == 1 and counts["digest_deliveries"] == 1
    assert await svc.subs.active("t1") == []
    assert store.user_tables["subscriptions"] == "digest subscriptions"
    await store.close()


async def test_exactly_once_on_each_store_backend(store_factory: Any) -> None:
    """Two instances, each with its own connection(s) to one database (SQLite file or PostgreSQL):
    racing runs, one failing platform, one crash mid-send -- every period is posted exactly once."""
    clock = Clock(datetime(2024, 5, 6, 8, tzinfo=UTC))
    out_a, out_b = RecordingOutbound(fail=3), RecordingOutbound()
    a = service_on(await store_factory(), clock, out_a)
    b = service_on(await store_factory(), clock, out_b)
    subs = [sub_id_of(await ask(a, "subscribe daily at 09:00 size 2", channel=ch)) for ch in ("c1", "c2")]
    for day in range(6, 10):
        nine = datetime(2024, 5, day, 9, tzinfo=UTC)
        for seconds in (0, 0, 30, 90, 210):
            now = nine + timedelta(seconds=seconds)
            await asyncio.gather(a.run_due(now), b.run_due(now), a.run_due(now))
    crashing = service_on(await store_factory(), clock, RecordingOutbound(crash=True))
    with pytest.raises(Crash):
        await crashing.run_due(datetime(2024, 5, 10, 9, tzinfo=UTC))
    await b.run_due(datetime(2024, 5, 10, 9, 10, tzinfo=UTC))  # after lease_seconds
    sent = [(k.channel, r.rec_id) for k, r, _, _ in out_a.sent + out_b.sent]
    assert len(sent) == 2 * 5 and len(set(sent)) == 10
    for sub in subs:
        rows = await a.deliveries.for_sub("t1", sub)
        assert [d.status for d in rows] == ["sent"] * 5


@pytest.mark.parametrize("schedule", ["daily at 09:00", "weekly mon at 09:00", "cron '0 9,18 * * *'"])
async def test_a_clock_stepping_back_never_sends_a_superseded_period(tmp_path: Path, harness: Harness,
                                                                    schedule: str) -> None:
    """After downtime the catch-up sends only the latest missed period; the earlier ones are superseded.
    An NTP correction or a VM restored from a snapshot that steps the clock back across an earlier slot
    must not send one of those now (it did: two digests seconds apart)."""
    db, clock, out = tmp_path / "r.db", Clock(local(2024, 5, 1, 8)), RecordingOutbound()
    store, svc = await harness.open(db, clock, out)
    sub = sub_id_of(await ask(svc, f"subscribe {schedule} tz Europe/Berlin"))
    clock.now = local(2024, 5, 20, 15, 20)  # down for weeks: one catch-up
    await svc.run_due()
    assert len(out.sent) == 1
    for back in (timedelta(hours=7), timedelta(days=1), timedelta(days=8)):  # across 1, 2, several slots
        clock.now = local(2024, 5, 20, 15, 20) - back
        await svc.run_due()
        await _drive(svc, clock, clock.now + timedelta(hours=2))
    assert len(out.sent) == 1, [d.period for d in await svc.deliveries.for_sub("t1", sub)]
    # Time moving forward again: the next regular slot is sent as usual.
    clock.now = local(2024, 5, 27, 9, 30)
    await svc.run_due()
    assert len(out.sent) == 2
    await store.close()


async def test_the_scheduler_wakeup_after_a_clock_step_sends_nothing_superseded(tmp_path: Path,
                                                                                harness: Harness) -> None:
    """The same through bot/scheduler.py: its wake-ups read the injected clock."""
    from bot.scheduler import DigestScheduler

    db, clock, out = tmp_path / "r.db", Clock(local(2024, 5, 6, 8)), RecordingOutbound()
    store, svc = await harness.open(db, clock, out)
    await ask(svc, "subscribe daily at 09:00 tz Europe/Berlin")
    sched = DigestScheduler(svc, store, "sqlite://", clock=clock)  # in-memory job store
    clock.now = local(2024, 5, 9, 15, 20)
    await sched.start()  # the start-up catch-up
    try:
        assert len(out.sent) == 1
        clock.now = local(2024, 5, 9, 8, 59)  # stepped back across today's 09:00 and into yesterday's period
        await sched.on_fire(None)
        clock.now = local(2024, 5, 9, 9, 0)  # the wall clock reaches 09:00 again: the job fires
        await sched.on_fire(None)
        assert len(out.sent) == 1
    finally:
        await sched.shutdown()
