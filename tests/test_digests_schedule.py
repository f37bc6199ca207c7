"""Schedules as pure functions of (schedule, now): slots, period keys, DST, quiet hours, parsing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from core.digests.commands import parse_subscribe
from core.digests.schedule import (
    Schedule,
    ScheduleError,
    latest_slot,
    next_due,
    next_slot,
    parse_cron,
    period_key,
    quiet_until,
)
from core.digests.settings import DigestConfigError, DigestSettings
from tests.digest_support import BERLIN, local

DAILY9 = Schedule("daily", at=time(9, 0), tz="Europe/Berlin")


def _slots(s: Schedule, start: datetime, end: datetime) -> list[datetime]:
    out, t = [], start
    while (n := next_slot(s, t)) is not None and n < end:
        out.append(n)
        t = n
    return out


def test_daily_berlin_keeps_local_time_across_both_dst_switches() -> None:
    spring = _slots(DAILY9, local(2024, 3, 29), local(2024, 4, 2))
    assert [s.astimezone(BERLIN).strftime("%d %H:%M") for s in spring] == ["29 09:00", "30 09:00", "31 09:00",
                                                                           "01 09:00"]
    assert [s.hour for s in spring] == [8, 8, 7, 7]  # the UTC instant moves an hour earlier
    autumn = _slots(DAILY9, local(2024, 10, 25), local(2024, 10, 29))
    assert [s.hour for s in autumn] == [7, 7, 8, 8]
    assert len({period_key(DAILY9, s) for s in spring + autumn}) == 8  # one period per local day


def test_skipped_and_repeated_wall_times_fire_once() -> None:
    s = Schedule("daily", at=time(2, 30), tz="Europe/Berlin")
    spring = _slots(s, local(2024, 3, 30, 12), local(2024, 4, 1, 12))
    # 02:30 does not exist on 31 March: it fires at 03:30 CEST (01:30 UTC), once.
    assert [x.strftime("%d %H:%M") for x in spring] == ["31 01:30", "01 00:30"]
    autumn = _slots(s, local(2024, 10, 26, 12), local(2024, 10, 28, 12))
    # 02:30 happens twice on 27 October: only the first (CEST, 00:30 UTC) is a slot.
    assert [x.strftime("%d %H:%M") for x in autumn] == ["27 00:30", "28 01:30"]


def test_latest_slot_respects_created_and_now() -> None:
    created = local(2024, 5, 6, 10)  # Monday 10:00, after that day's 09:00
    assert latest_slot(DAILY9, local(2024, 5, 6, 23), not_before=created) is None
    assert latest_slot(DAILY9, local(2024, 5, 7, 8, 59), not_before=created) is None
    assert latest_slot(DAILY9, local(2024, 5, 7, 9), not_before=created) == local(2024, 5, 7, 9)
    # Three days later the latest slot is today's only: earlier ones are superseded.
    assert latest_slot(DAILY9, local(2024, 5, 10, 15), not_before=created) == local(2024, 5, 10, 9)


def test_weekly_and_its_period_key() -> None:
    s = Schedule("weekly", at=time(18, 0), weekday=4, tz="America/New_York")  # Friday 18:00
    now = datetime(2024, 11, 6, 12, tzinfo=UTC)  # a Wednesday, just after the US switch
    last = latest_slot(s, now)
    assert last == datetime(2024, 11, 1, 22, tzinfo=UTC)  # 18:00 EDT, before the switch
    nxt = next_slot(s, now)
    assert nxt == datetime(2024, 11, 8, 23, tzinfo=UTC)  # 18:00 EST
    assert period_key(s, nxt) == "w:2024-W45"
    assert period_key(s, last) == "w:2024-W44"


def test_cron_slots_and_or_semantics() -> None:
    weekdays = Schedule("cron", cron="0 9 * * 1-5", tz="Europe/Berlin")
    fri = local(2024, 5, 10, 9)
    assert next_slot(weekdays, fri) == local(2024, 5, 13, 9)  # skips the weekend
    assert latest_slot(weekdays, local(2024, 5, 12, 12)) == fri
    assert period_key(weekdays, fri) == "c:2024-05-10T09:00"
    # Day-of-month and day-of-week both restricted: either matches (classic cron).
    either = Schedule("cron", cron="0 8 1 * mon", tz="UTC")
    hits = _slots(either, datetime(2024, 6, 27, tzinfo=UTC), datetime(2024, 7, 9, tzinfo=UTC))
    assert [h.day for h in hits] == [1, 8]  # 1 July is a Monday too; 8 July Monday
    monthly = Schedule("cron", cron="30 7 1 * *", tz="UTC")
    assert latest_slot(monthly, datetime(2024, 3, 20, tzinfo=UTC)) == datetime(2024, 3, 1, 7, 30, tzinfo=UTC)


def test_quiet_hours_wrap_midnight_and_defer_to_their_end() -> None:
    s = Schedule("daily", at=time(7, 0), tz="Europe/Berlin", quiet=(time(22, 0), time(8, 0)))
    assert quiet_until(s, local(2024, 5, 6, 7)) == local(2024, 5, 6, 8)
    assert quiet_until(s, local(2024, 5, 6, 23)) == local(2024, 5, 7, 8)
    assert quiet_until(s, local(2024, 5, 6, 8)) is None
    assert quiet_until(s, local(2024, 5, 6, 21, 59)) is None
    assert next_due(s, local(2024, 5, 6, 12)) == local(2024, 5, 7, 8)
    day = Schedule("daily", at=time(13, 0), tz="UTC", quiet=(time(12, 0), time(14, 30)))
    assert next_due(day, datetime(2024, 1, 1, tzinfo=UTC)) == datetime(2024, 1, 1, 14, 30, tzinfo=UTC)


def test_subscribe_grammar() -> None:
    st = DigestSettings()
    spec = parse_subscribe("weekly mon at 18:30 tz Europe/Berlin quiet 22:00-08:00 size 3 dm", st)
    assert spec.schedule == Schedule("weekly", at=time(18, 30), weekday=0, tz="Europe/Berlin",
                                     quiet=(time(22), time(8)))
    assert spec.size == 3 and spec.dm
    assert parse_subscribe("", st).schedule == Schedule("daily", at=time(9), tz="UTC")
    assert parse_subscribe("cron '0 9 * * 1-5'", st).schedule.cron == "0 9 * * 1-5"
    assert parse_subscribe("cron 0 9 * * 1-5 size 2", st).size == 2  # unquoted works too
    assert parse_subscribe("daily at 7pm", st).schedule.at == time(19)
    # The short form the Discord command suggests: no "at", no "tz".
    assert parse_subscribe("daily 09:00 Europe/Paris", st).schedule == Schedule("daily", at=time(9),
                                                                                tz="Europe/Paris")
    assert parse_subscribe("weekly fri 18:00 utc", st).schedule == Schedule("weekly", at=time(18), weekday=4)


@pytest.mark.parametrize("args, fragment", [
    ("daily at 25:00", "not a time of day"),
    ("daily at noonish", "not a time"),
    ("tz Mars/Olympus", "unknown time zone"),
    ("daily 09:00 Mars/Olympus", "unknown time zone"),
    ("weekly funday", "not a weekday"),
    ("weekly", "needs a value"),
    ("cron '0 9 * *'", "5 fields"),
    ("cron '61 9 * * *'", "outside 0-59"),
    ("cron '*/5 * * * *'", "more often than every 60 minutes"),
    ("cron '0 9 * * *' at 10:00", "does not go with cron"),
    ("size 0", "size must be"),
    ("size 99", "size must be"),
    ("daily weekly mon", "choose one"),
    ("quiet 22:00", "quiet hours look like"),
    ("quiet 08:00-08:00", "must not start and end"),
    ("sometimes", "I don't understand"),
    ("cron '0 9 * * 1", "quote a cron"),
])
def test_subscribe_errors_are_clear(args: str, fragment: str) -> None:
    with pytest.raises(ScheduleError, match=fragment):
        parse_subscribe(args, DigestSettings())


def test_cron_field_errors() -> None:
    for expr in ("0 9 * * 8", "0 25 * * *", "0 9 31-1 * *", "x 9 * * *"):
        with pytest.raises(ScheduleError):
            parse_cron(expr)
    assert parse_cron("0 9 * * 7").weekdays == frozenset({6})  # 7 and 0 are Sunday
    assert parse_cron("0 9,21 * * *").min_gap_minutes() == 720


def test_settings_errors_name_the_key() -> None:
    berlin = DigestSettings.from_mapping({"max_per_tenant": 3, "default_timezone": "Europe/Berlin"})
    assert berlin.limit_for("x") == 3 and berlin.default_timezone == "Europe/Berlin"
    for raw, fragment in [({"max_per_tenant": "3"}, "max_per_tenant"), ({"colour": 1}, "unknown setting"),
                          ({"default_timezone": "Nowhere/Town"}, "default_timezone"),
                          ({"default_time": "9h"}, "default_time"),
                          ({"send_timeout_seconds": 400}, "below lease_seconds"),
                          ({"tenant_limits": {"T1": -1}}, "tenant_limits"),
                          ({"default_size": 50}, "default_size")]:
        with pytest.raises(DigestConfigError, match=fragment):
            DigestSettings.from_mapping(raw)
    assert DigestSettings.from_mapping({"tenant_limits": {"T1": 1}}).limit_for("T1") == 1
    assert DigestSettings.from_mapping({"misfire_grace_hours": 2}).misfire_grace_hours == 2.0
    assert timedelta(hours=DigestSettings().misfire_grace_hours) == timedelta(0)
