"""Digest schedules as pure functions of (schedule, now): no clock, no scheduler, no I/O.

Every kind (daily, weekly, cron) compiles to one cron-style spec evaluated in the subscription's
time zone on *local wall-clock* dates, so "09:00 Europe/Berlin" stays 09:00 local across DST (the UTC
instant moves by an hour). DST rules, the same for every kind:
- a wall time skipped by spring-forward (02:30 on the switch day) fires at the same offset before the
  switch, i.e. one hour later on the wall clock (03:30), once;
- a wall time that occurs twice at fall-back fires at its first occurrence, once.
The period key names the slot (local date, ISO week, or local wall time), so whatever wakes the bot and
however often, one slot is one digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_LOOKBACK_DAYS = 400  # a yearly cron ("0 9 1 1 *") still finds its last slot


class ScheduleError(ValueError):
    """A schedule that cannot be used; the message is shown to the person who typed it."""


@dataclass(frozen=True, slots=True)
class CronSpec:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]  # day of month 1-31
    months: frozenset[int]
    weekdays: frozenset[int]  # Python numbering: Monday 0 ... Sunday 6
    days_star: bool
    weekdays_star: bool

    def matches(self, d: date) -> bool:
        if d.month not in self.months:
            return False
        dom, dow = d.day in self.days, d.weekday() in self.weekdays
        if self.days_star or self.weekdays_star:
            return dom and dow
        return dom or dow  # classic cron: both restricted means either may match

    def times(self) -> list[time]:
        return [time(h, m) for h in sorted(self.hours) for m in sorted(self.minutes)]

    def min_gap_minutes(self) -> int:
        """Smallest distance between two firings (wall clock), assuming consecutive days can match."""
        marks = [h * 60 + m for h in sorted(self.hours) for m in sorted(self.minutes)]
        gaps = [b - a for a, b in zip(marks, marks[1:], strict=False)]
        gaps.append(1440 - marks[-1] + marks[0])
        return min(gaps)


def _field(text: str, lo: int, hi: int, names: tuple[str, ...] = (), name_base: int = 0) -> frozenset[int]:
    out: set[int] = set()
    for part in text.lower().split(","):
        m = re.fullmatch(r"(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(\d+))?", part)
        if not m:
            raise ScheduleError(f"bad cron field {text!r}")
        rng, step = m.group(1), int(m.group(2) or 1)
        if step < 1:
            raise ScheduleError(f"bad cron step in {text!r}")

        def val(tok: str) -> int:
            if tok in names:
                return names.index(tok) + name_base
            if not tok.isdigit():
                raise ScheduleError(f"bad cron value {tok!r}")
            v = int(tok)
            if not lo <= v <= hi:
                raise ScheduleError(f"cron value {v} is outside {lo}-{hi}")
            return v

        if rng == "*":
            a, b = lo, hi
        elif "-" in rng:
            a, b = (val(t) for t in rng.split("-", 1))
            if a > b:
                raise ScheduleError(f"cron range {rng!r} runs backwards")
        else:
            a = val(rng)
            b = hi if m.group(2) else a
        out.update(range(a, b + 1, step))
    return frozenset(out)


def parse_cron(expr: str) -> CronSpec:
    """Five fields: minute hour day-of-month month day-of-week (0 or 7 = Sunday, names allowed)."""
    parts = expr.split()
    if len(parts) != 5:
        raise ScheduleError(
            f"a cron expression has 5 fields (minute hour day month weekday), got {len(parts)}")
    minute, hour, dom, month, dow = parts
    cron_days = _field(dow, 0, 7, _CRON_DAYS)
    return CronSpec(
        minutes=_field(minute, 0, 59), hours=_field(hour, 0, 23), days=_field(dom, 1, 31),
        months=_field(month, 1, 12, _MONTHS, 1),
        weekdays=frozenset((d - 1) % 7 for d in cron_days),  # cron 0/7 = Sunday -> Python 6
        days_star=dom == "*", weekdays_star=dow == "*",
    )


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ScheduleError(f"unknown time zone {name!r} (use a name like Europe/Berlin or UTC)") from e


@dataclass(frozen=True, slots=True)
class Schedule:
    kind: str  # "daily" | "weekly" | "cron"
    at: time | None = None  # daily/weekly: local wall time
    weekday: int | None = None  # weekly: 0 = Monday
    cron: str | None = None  # cron: the expression as typed
    tz: str = "UTC"
    quiet: tuple[time, time] | None = None  # local [start, end), may wrap midnight

    def spec(self) -> CronSpec:
        if self.kind == "cron":
            return parse_cron(self.cron or "")
        assert self.at is not None
        every = frozenset(range(7))
        days = every if self.kind == "daily" else frozenset({self.weekday or 0})
        return CronSpec(frozenset({self.at.minute}), frozenset({self.at.hour}), frozenset(range(1, 32)),
                        frozenset(range(1, 13)), days, True, self.kind == "daily")

    def describe(self) -> str:
        if self.kind == "cron":
            text = f"cron '{self.cron}'"
        elif self.kind == "weekly":
            text = f"weekly on {WEEKDAYS[self.weekday or 0].capitalize()} at {hhmm(self.at)}"
        else:
            text = f"daily at {hhmm(self.at)}"
        text += f" ({self.tz})"
        if self.quiet:
            text += f", quiet {hhmm(self.quiet[0])}-{hhmm(self.quiet[1])}"
        return text


def hhmm(t: time | None) -> str:
    return t.strftime("%H:%M") if t else "?"


def _instant(d: date, t: time, tz: ZoneInfo) -> datetime:
    # fold=0: a skipped wall time takes the pre-switch offset (fires an hour later on the wall clock);
    # a repeated one is its first occurrence. See the module docstring.
    return datetime.combine(d, t, tzinfo=tz).astimezone(UTC)


def latest_slot(s: Schedule, now: datetime, not_before: datetime | None = None) -> datetime | None:
    """The most recent scheduled instant <= now (UTC), or None if there is none since not_before."""
    spec, tz = s.spec(), zone(s.tz)
    today = now.astimezone(tz).date()
    floor = not_before or now - timedelta(days=_LOOKBACK_DAYS)
    times = list(reversed(spec.times()))
    # Start one local day ahead: cheap, and safe for zones whose DST switch happens at midnight.
    for back in range(-1, _LOOKBACK_DAYS + 2):
        day = today - timedelta(days=back)
        if not spec.matches(day):
            continue
        for t in times:
            slot = _instant(day, t, tz)
            if slot <= now:
                return slot if slot >= floor else None
        if _instant(day, time(0), tz) < floor:
            return None
    return None


def next_slot(s: Schedule, after: datetime) -> datetime | None:
    """The first scheduled instant strictly after `after` (UTC); None if none within the lookback."""
    spec, tz = s.spec(), zone(s.tz)
    start = after.astimezone(tz).date() - timedelta(days=1)
    times = spec.times()
    for fwd in range(_LOOKBACK_DAYS + 2):
        day = start + timedelta(days=fwd)
        if not spec.matches(day):
            continue
        for t in times:
            slot = _instant(day, t, tz)
            if slot > after:
                return slot
    return None


def period_key(s: Schedule, slot: datetime) -> str:
    """Deterministic name of the period a slot belongs to: one digest per key, ever."""
    local = slot.astimezone(zone(s.tz))
    if s.kind == "daily":
        return "d:" + local.date().isoformat()
    if s.kind == "weekly":
        year, week, _ = local.isocalendar()
        return f"w:{year}-W{week:02d}"
    return "c:" + local.strftime("%Y-%m-%dT%H:%M")


def quiet_until(s: Schedule, now: datetime) -> datetime | None:
    """If `now` is inside the quiet window, the instant it ends; else None."""
    if not s.quiet:
        return None
    tz = zone(s.tz)
    start, end = s.quiet
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None, fold=0)
    if start < end:
        inside, end_day = start <= t < end, local.date()
    else:  # wraps midnight, e.g. 22:00-08:00
        inside = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    return _instant(end_day, end, tz) if inside else None


def next_due(s: Schedule, after: datetime) -> datetime | None:
    """When the next digest after `after` will actually go out: the next slot, deferred past quiet hours."""
    slot = next_slot(s, after)
    if slot is None:
        return None
    return quiet_until(s, slot) or slot


def parse_hhmm(text: str) -> time:
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", text.strip().lower())
    if not m:
        raise ScheduleError(f"{text!r} is not a time; use HH:MM, e.g. 09:00 or 18:30")
    hour, minute, ampm = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if ampm:
        if not 1 <= hour <= 12:
            raise ScheduleError(f"{text!r} is not a time")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError(f"{text!r} is not a time of day (00:00-23:59)")
    return time(hour, minute)
