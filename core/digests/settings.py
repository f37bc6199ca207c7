"""The [digests] config section: a typed model (see core/settings.py for how to add a setting).

Errors name the section and key (``[digests] max_per_tenant: input should be a valid integer, got 'x'``)
and unknown keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from core.digests.schedule import ScheduleError, parse_hhmm, zone
from core.settings import Settings, SettingsError, parse_section

DigestConfigError = SettingsError  # the name callers used before the typed layer

Count = Annotated[int, Field(ge=0)]
Seconds = Annotated[float, Field(gt=0)]


class DigestSettings(Settings):
    enabled: bool = True
    max_per_tenant: Count = 50  # active subscriptions per workspace/guild; 0 = no limit
    tenant_limits: dict[str, Count] = Field(default_factory=dict)  # per-tenant overrides of max_per_tenant
    default_time: str = "09:00"
    default_timezone: str = "UTC"
    default_size: Annotated[int, Field(ge=1)] = 5
    max_size: Annotated[int, Field(ge=1)] = 10
    min_cron_interval_minutes: Count = 60  # refuse crons that would post more often than this
    # A missed digest is caught up (once) if its slot is at most this old; 0 = always catch up the
    # latest missed one. Also APScheduler's misfire_grace_time for the subscription jobs.
    misfire_grace_hours: Annotated[float, Field(ge=0)] = 0.0
    sweep_seconds: Seconds = 60.0  # how often the scheduler looks for due, deferred or retrying digests
    retry_base_seconds: Seconds = 30.0  # first retry after a failed delivery; doubles each time
    retry_max_seconds: Seconds = 3600.0
    max_attempts: Count = 8  # then the delivery is marked failed
    lease_seconds: Seconds = 300.0  # how long a claimed delivery is reserved for the instance sending it
    send_timeout_seconds: Seconds = 60.0  # must stay below lease_seconds
    jobstore: str = ""  # SQLAlchemy url of the APScheduler job store; empty: <data dir>/scheduler.db

    def limit_for(self, tenant: str) -> int:
        return self.tenant_limits.get(tenant, self.max_per_tenant)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any] | None) -> DigestSettings:
        return parse_section(cls, "digests", raw)

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            zone(name)
        except ScheduleError as e:
            raise ValueError(str(e)) from None
        return name

    @field_validator("default_time")
    @classmethod
    def _time(cls, hhmm: str) -> str:

        try:
            parse_hhmm(hhmm)
        except ScheduleError as e:
            raise ValueError(str(e)) from None
        return hhmm

    @model_validator(mode="after")
    def _consistent(self) -> DigestSettings:
        if self.default_size > self.max_size:
            raise ValueError(f"default_size must be between 1 and max_size ({self.max_size})")
        if self.send_timeout_seconds >= self.lease_seconds:
            raise ValueError("send_timeout_seconds must be below lease_seconds (else a slow send could be "
                             "taken over and sent twice)")
        return self
