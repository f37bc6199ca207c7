"""The digest scheduler: APScheduler 3 (AsyncIOScheduler) waking DigestService at the right times.

APScheduler only decides *when to look*; DigestService.run_due(now) decides what is due from the store,
so a wake-up at the wrong time, twice, or from two processes is harmless. Jobs:
- ``digest:<sub_id>``: one per subscription, a CronTrigger in the subscription's time zone, kept in a
  persistent SQLAlchemyJobStore (SQLite file in the data dir). coalesce=True and misfire_grace_time
  (from [digests] misfire_grace_hours; 0 = no limit) make a bot that was down for days run it once;
  that run sends the one catch-up digest (and run_due's period key makes every other run a no-op).
- ``digest-later:<sub_id>``: a one-shot at the end of quiet hours or at a retry's backoff time.
- ``digest-sweep`` and ``privacy-retention``: interval jobs, rebuilt from the config at every start.

Persisted jobs name their function by import path, so the function finds the live scheduler by the job
store's url in a weak registry (the only way to reach a running object from a persisted job).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Config, PrivacySettings
from core.digests.repo import Subscription
from core.digests.service import Clock, DigestService, utcnow
from core.digests.settings import DigestSettings
from core.feedback import FeedbackService
from core.ports import Outbound
from core.recommend.catalog import Catalog
from core.recommend.types import Recommender
from core.store.privacy import Forgotten
from core.store.store import Store

log = logging.getLogger("recbot.scheduler")

_LIVE: weakref.WeakValueDictionary[str, DigestScheduler] = weakref.WeakValueDictionary()


def digest_settings(config: Config) -> DigestSettings:
    """[digests] (validated with the rest of the file when it was loaded)."""
    return config.digests


def build_digest_service(settings: DigestSettings, store: Store, catalog: Catalog, recommender: Recommender,
                         feedback: FeedbackService,
                         outbound: dict[str, Outbound] | None = None) -> DigestService | None:
    """The service, or None when [digests] enabled = false. `outbound` is the app's platform registry
    (shared, so adapters registered later by `recbot run` are the ones digests post through)."""
    if not settings.enabled:
        return None
    return DigestService(store, catalog, recommender, settings, feedback,
                         outbounds=outbound if outbound is not None else {})


def job_id(sub_id: str) -> str:
    return f"digest:{sub_id}"


def jobstore_url(config: Config, settings: DigestSettings) -> str:
    return settings.jobstore or f"sqlite:///{config.data_dir / 'scheduler.db'}"


def remove_persisted_jobs(url: str, sub_ids: Iterable[str]) -> int:
    """Delete the subscriptions' jobs from the persistent job store without a running scheduler
    (`recbot forget-user`, `recbot chat`): a forgotten person's schedule must not wait for the next
    start's sync. Blocking (SQLAlchemy): run it in a thread."""
    ids = [job_id(s) for s in sub_ids]
    if not ids or (url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists()):
        return 0
    from apscheduler.jobstores.base import JobLookupError
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    store = SQLAlchemyJobStore(url=url)
    store.start(None, "default")  # creates the table if missing; removing needs no scheduler
    n = 0
    try:
        for jid in ids:
            try:
                store.remove_job(jid)
                n += 1
            except JobLookupError:
                pass
    finally:
        store.shutdown()
    return n


def build_trigger(sub: Subscription) -> Any:
    from apscheduler.triggers.cron import CronTrigger

    s, tz = sub.schedule, ZoneInfo(sub.schedule.tz)
    if s.kind == "cron":
        return CronTrigger.from_crontab(s.cron or "", timezone=tz)
    assert s.at is not None
    return CronTrigger(hour=s.at.hour, minute=s.at.minute, timezone=tz,
                       day_of_week=s.weekday if s.kind == "weekly" else None)


async def fire(scheduler_key: str, sub_id: str | None) -> None:
    """Target of every digest job: look for due digests (one subscription, or all when None)."""
    live = _LIVE.get(scheduler_key)
    if live is None:
        log.warning("digest job fired but no scheduler is live for %s", scheduler_key)
        return
    await live.on_fire(sub_id)


async def retain(scheduler_key: str) -> None:
    live = _LIVE.get(scheduler_key)
    if live is not None:
        await live.retention()


class DigestScheduler:
    def __init__(self, service: DigestService, store: Store, jobstore_url: str,
                 privacy: PrivacySettings | None = None, clock: Clock = utcnow) -> None:
        self.service = service
        self.store = store
        self.settings = service.settings
        self.privacy = privacy or PrivacySettings()
        self.url = jobstore_url
        self.clock = clock
        self.scheduler: Any = None

    @classmethod
    def for_config(cls, config: Config, service: DigestService, store: Store) -> DigestScheduler:
        return cls(service, store, jobstore_url(config, service.settings), config.privacy)

    @property
    def running(self) -> bool:
        return self.scheduler is not None and bool(self.scheduler.running)

    def forget(self, gone: Forgotten) -> int:
        """Remove the forgotten person's subscription jobs now (persisted and one-shot)."""
        n = 0
        for sid in gone.sub_ids:
            for jid in (job_id(sid), f"digest-later:{sid}"):
                if self.scheduler.get_job(jid) is not None:
                    self.scheduler.remove_job(jid)
                    n += 1
        return n

    async def start(self) -> None:
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        grace = self.settings.misfire_grace_hours
        self.scheduler = AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=self.url), "memory": MemoryJobStore()},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(grace * 3600) if grace else None},
            timezone=UTC,
        )
        _LIVE[self.url] = self
        # Paused until the persisted jobs are reconciled with the subscriptions table.
        self.scheduler.start(paused=True)
        await self.sync()
        self.scheduler.add_job(fire, "interval", seconds=self.settings.sweep_seconds, args=[self.url, None],
                               id="digest-sweep", jobstore="memory", replace_existing=True)
        if self.privacy.turn_retention_days:
            self.scheduler.add_job(retain, "interval", hours=self.privacy.retention_check_hours,
                                   args=[self.url], id="privacy-retention", jobstore="memory",
                                   replace_existing=True, next_run_time=datetime.now(UTC))
        self.service.on_change.append(self.sync_one)
        self.scheduler.resume()
        # The catch-up: whatever the persisted jobs remember, one look now sends each subscription's
        # latest missed digest (at most one: earlier missed periods are superseded, never sent).
        await self.on_fire(None)

    async def shutdown(self) -> None:
        if self.sync_one in self.service.on_change:
            self.service.on_change.remove(self.sync_one)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        _LIVE.pop(self.url, None)

    # ---- jobs ---------------------------------------------------------------------------------
    async def sync(self) -> None:
        """Make the persisted jobs match the active subscriptions (all tenants)."""
        subs = {job_id(s.sub_id): s for s in await self.service.subs.active(None)}
        for job in self.scheduler.get_jobs(jobstore="default"):
            if job.id.startswith("digest:") and job.id not in subs:
                job.remove()
        for sub in subs.values():
            self._ensure_job(sub)

    async def sync_one(self, sub: Subscription) -> None:
        if sub.active:
            self._ensure_job(sub)
            return
        for jid in (job_id(sub.sub_id), f"digest-later:{sub.sub_id}"):
            if self.scheduler.get_job(jid):
                self.scheduler.remove_job(jid)

    def _ensure_job(self, sub: Subscription) -> None:
        trigger, args = build_trigger(sub), [self.url, sub.sub_id]
        job = self.scheduler.get_job(job_id(sub.sub_id), jobstore="default")
        if job is not None and repr(job.trigger) == repr(trigger) and list(job.args) == args:
            return  # keep it: its persisted next_run_time is what lets a missed run be coalesced
        self.scheduler.add_job(fire, trigger, args=args, id=job_id(sub.sub_id), jobstore="default",
                               replace_existing=True, name=f"digest {sub.sub_id} ({sub.tenant})")

    async def on_fire(self, sub_id: str | None) -> None:
        report = await self.service.run_due(self.clock(), sub_ids=[sub_id] if sub_id else None)
        if report.sent:
            log.info("sent %d digest(s)", len(report.sent))
        for sid, when in report.wake().items():
            # Never earlier than a second from now: a wake time in the past would spin.
            run_at = max(when, datetime.now(UTC) + timedelta(seconds=1))
            self.scheduler.add_job(fire, "date", run_date=run_at, args=[self.url, sid],
                                   id=f"digest-later:{sid}", jobstore="memory", replace_existing=True)

    async def retention(self) -> int:
        days = self.privacy.turn_retention_days
        if not days:
            return 0
        n = await self.store.conversations.prune_turns(None, self.clock().timestamp() - days * 86400)
        log.info("retention: pruned %d conversation turns older than %g days", n, days)
        return n
