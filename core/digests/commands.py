"""Parsing the `digest` command's arguments (pure; errors are messages for the person typing).

    subscribe [daily | weekly <day> | cron '<expr>'] [at HH:MM] [tz Europe/Berlin]
              [quiet 22:00-08:00] [size N] [dm]
    ("at" and "tz" may be left out: "daily 09:00 Europe/Paris", "weekly fri 18:00")
    unsubscribe [id | all]
    list
    now [id]
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import time

from core.digests.schedule import WEEKDAYS, Schedule, ScheduleError, parse_cron, parse_hhmm, zone
from core.digests.settings import DigestSettings

USAGE = (
    "Usage: `digest subscribe [daily | weekly <day> | cron '<min hour day month weekday>'] [at HH:MM] "
    "[tz Europe/Berlin] [quiet 22:00-08:00] [size N] [dm]`, `digest list`, `digest unsubscribe [id|all]`, "
    "`digest now [id]`."
)


@dataclass(frozen=True, slots=True)
class SubscribeSpec:
    schedule: Schedule
    size: int
    dm: bool


def parse_weekday(text: str) -> int:
    t = text.strip().lower()
    for i, name in enumerate(WEEKDAYS):
        if len(t) >= 2 and name.startswith(t):
            return i
    raise ScheduleError(f"{text!r} is not a weekday; use monday ... sunday (or mon, tue, ...)")


def parse_quiet(text: str) -> tuple[time, time]:
    parts = re.split(r"\s*[-–]\s*", text.strip())
    if len(parts) != 2:
        raise ScheduleError(f"quiet hours look like 22:00-08:00, not {text!r}")
    start, end = parse_hhmm(parts[0]), parse_hhmm(parts[1])
    if start == end:
        raise ScheduleError("quiet hours must not start and end at the same time")
    return start, end


def parse_subscribe(args: str, settings: DigestSettings) -> SubscribeSpec:
    try:
        tokens = shlex.split(args)
    except ValueError as e:
        raise ScheduleError(
            f"could not read the arguments ({e}); quote a cron expression like '0 9 * * 1-5'") from e
    kind, at, weekday, cron = "daily", None, None, None
    tz, quiet, size, dm = settings.default_timezone, None, settings.default_size, False
    kinds_seen = 0
    i = 0

    def take(what: str) -> str:
        nonlocal i
        if i >= len(tokens):
            raise ScheduleError(f"`{what}` needs a value. {USAGE}")
        i += 1
        return tokens[i - 1]

    while i < len(tokens):
        word = tokens[i].lower()
        i += 1
        if word in ("daily", "weekly", "cron"):
            kinds_seen += 1
            kind = word
            if word == "weekly":
                day = take("weekly")
                if day.lower() == "on":
                    day = take("weekly on")
                weekday = parse_weekday(day)
            elif word == "cron":
                expr = take("cron")
                if len(expr.split()) == 1:  # unquoted: the next five words are the expression
                    rest = tokens[i:i + 4]
                    if len(rest) < 4:
                        raise ScheduleError("a cron expression has 5 fields; quote it: cron '0 9 * * 1-5'")
                    expr = " ".join([expr, *rest])
                    i += 4
                cron = expr
        elif word == "at":
            at = parse_hhmm(take("at"))
        elif word in ("tz", "timezone"):
            tz = take(word)
            zone(tz)
        elif word == "quiet":
            quiet = parse_quiet(take("quiet"))
        elif word == "size":
            raw = take("size")
            if not raw.isdigit() or not 1 <= int(raw) <= settings.max_size:
                raise ScheduleError(f"size must be a number from 1 to {settings.max_size}, not {raw!r}")
            size = int(raw)
        elif word == "dm":
            dm = True
        elif word in ("here", "channel"):
            dm = False
        elif re.fullmatch(r"\d{1,2}(:\d{2})?\s*(am|pm)|\d{1,2}:\d{2}", word):
            at = parse_hhmm(word)  # "daily 09:00": `at` is optional
        elif "/" in word or word in ("utc", "gmt"):
            tz = tokens[i - 1] if "/" in word else word.upper()  # "daily 09:00 Europe/Paris"
            zone(tz)
        else:
            raise ScheduleError(f"I don't understand {tokens[i - 1]!r}. {USAGE}")
    if kinds_seen > 1:
        raise ScheduleError("choose one of daily, weekly <day> or cron '<expr>'")
    if kind == "cron":
        if at is not None:
            raise ScheduleError("`at` does not go with cron: the expression already says when")
        spec = parse_cron(cron or "")
        if settings.min_cron_interval_minutes and spec.min_gap_minutes() < settings.min_cron_interval_minutes:
            raise ScheduleError(
                f"that cron would post more often than every {settings.min_cron_interval_minutes} minutes")
    else:
        at = at or parse_hhmm(settings.default_time)
    schedule = Schedule(kind=kind, at=at if kind != "cron" else None, weekday=weekday, cron=cron, tz=tz,
                        quiet=quiet)
    return SubscribeSpec(schedule, size, dm)
