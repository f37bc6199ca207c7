"""The [digests] config section, parsed from the raw dict bot/config.py keeps for it.

Errors name the section and key (``[digests] max_per_tenant: expected an integer >= 0, got 'x'``) and
unknown keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from core.digests.schedule import ScheduleError, zone


class DigestConfigError(ValueError):
    pass


@dataclass(frozen=True)
class DigestSettings:
    enabled: bool = True
    max_per_tenant: int = 50  # active subscriptions per workspace/guild; 0 = no limit
    tenant_limits: dict[str, int] = field(default_factory=dict)  # per-tenant overrides of max_per_tenant
    default_time: str = "09:00"
    default_timezone: str = "UTC"
    default_size: int = 5
    max_size: int = 10
    min_cron_interval_minutes: int = 60  # refuse crons that would post more often than this
    # A missed digest is caught up (once) if its slot is at most this old; 0 = always catch up the
    # latest missed one. Also APScheduler's misfire_grace_time for the subscription jobs.
    misfire_grace_hours: float = 0.0
    sweep_seconds: float = 60.0  # how often the scheduler looks for due, deferred or retrying digests
    retry_base_seconds: float = 30.0  # first retry after a failed delivery; doubles each time
    retry_max_seconds: float = 3600.0
    max_attempts: int = 8  # then the delivery is marked failed
    lease_seconds: float = 300.0  # how long a claimed delivery is reserved for the instance sending it
    send_timeout_seconds: float = 60.0  # must stay below lease_seconds
    jobstore: str = ""  # SQLAlchemy url of the APScheduler job store; empty: <data dir>/scheduler.db

    def limit_for(self, tenant: str) -> int:
        return self.tenant_limits.get(tenant, self.max_per_tenant)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any] | None) -> DigestSettings:
        raw = dict(raw or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise DigestConfigError(f"[digests] unknown setting(s): {', '.join(unknown)}")
        defaults = cls()
        values: dict[str, Any] = {}
        for name, value in raw.items():
            want = type(getattr(defaults, name))
            values[name] = _coerce(name, want, value)
        out = cls(**values)
        out._validate()
        return out

    def _validate(self) -> None:
        def bad(key: str, why: str) -> DigestConfigError:
            return DigestConfigError(f"[digests] {key}: {why}")

        for key in ("max_per_tenant", "default_size", "max_size", "max_attempts",
                    "min_cron_interval_minutes"):
            if getattr(self, key) < 0:
                raise bad(key, "must be >= 0")
        if not 1 <= self.default_size <= max(1, self.max_size):
            raise bad("default_size", f"must be between 1 and max_size ({self.max_size})")
        for key in ("sweep_seconds", "retry_base_seconds", "retry_max_seconds", "lease_seconds",
                    "send_timeout_seconds"):
            if getattr(self, key) <= 0:
                raise bad(key, "must be > 0")
        if self.misfire_grace_hours < 0:
            raise bad("misfire_grace_hours", "must be >= 0")
        if self.send_timeout_seconds >= self.lease_seconds:
            raise bad("send_timeout_seconds", "must be below lease_seconds (else a slow send could be "
                      "taken over and sent twice)")
        for tenant, n in self.tenant_limits.items():
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise bad("tenant_limits", f"limit for {tenant!r} must be an integer >= 0")
        try:
            zone(self.default_timezone)
        except ScheduleError as e:
            raise bad("default_timezone", str(e)) from e
        from core.digests.commands import parse_hhmm  # local: commands imports this module

        try:
            parse_hhmm(self.default_time)
        except ScheduleError as e:
            raise bad("default_time", str(e)) from e


def _coerce(name: str, want: type, value: Any) -> Any:
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if want is int and isinstance(value, bool) or not isinstance(value, want):
        raise DigestConfigError(f"[digests] {name}: expected {want.__name__}, got {value!r}")
    return value
