"""The store facade: open + migrate, the repositories, and per-user export and deletion."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from core.store import privacy
from core.store.db import Database, SqliteDatabase
from core.store.migrations import migrate
from core.store.repos import ConversationRepo, EventRepo, PreferenceRepo, RecommendationRepo, UserRepo

log = logging.getLogger("recbot.store")

# The tables export lists and forget deletes from, and what to call them in a forget-me report.
USER_TABLES: dict[str, str] = {
    "turns": "conversation turns",
    "reactions": "reactions",
    "preferences": "preference signals",
    "recommendations": "recommendations shown to you",
    "posted_messages": "links to messages that showed them",
    "conversations": "private conversations",
    "users": "profile",
    "subscriptions": "digest subscriptions",
    "digest_deliveries": "digest deliveries",
    "rate_buckets": "rate-limit bucket (how many messages you may send right now)",
}

# forget_user's other counts: rows changed rather than deleted (hooks name their own).
CHANGE_LABELS: dict[str, str] = {
    "turns_redacted": "replies to you in shared channels (redacted)",
    "conversations_scrubbed": "shared channel contexts (your part removed)",
    "recommender_refits": "recommendation model refitted without your signals",
    "cleanup_failed": "clean-up step that failed (the operator's log says which)",
}


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.events = EventRepo(db)
        self.users = UserRepo(db)
        self.conversations = ConversationRepo(db)
        self.recs = RecommendationRepo(db)
        self.prefs = PreferenceRepo(db)
        self.user_tables: dict[str, str] = dict(USER_TABLES)
        # Run after a forget commits: things outside the database (scheduler jobs, export files).
        self.forget_hooks: list[privacy.ForgetHook] = []

    @classmethod
    async def open_sqlite(cls, path: Path) -> Store:
        return await cls._migrated(await SqliteDatabase.open(path))

    @classmethod
    async def open_url(cls, url: str, sqlite_path: Path, schema: str | None = None) -> Store:
        """``postgresql://...`` opens PostgreSQL; anything else the SQLite file at ``sqlite_path``."""
        if url.startswith(("postgresql://", "postgres://")):
            from core.store.pg import PostgresDatabase

            return await cls._migrated(await PostgresDatabase.open(url, schema=schema))
        return await cls.open_sqlite(sqlite_path)

    @classmethod
    async def _migrated(cls, db: Database) -> Store:
        """The store over ``db`` once its schema is current; a failed migration closes ``db``."""
        try:
            await migrate(db)
        except BaseException:
            await db.close()
            raise
        return cls(db)

    async def close(self) -> None:
        await self.db.close()

    def label(self, count_key: str) -> str:
        """What a key of forget_user's counts means, for the person reading the report."""
        return self.user_tables.get(count_key) or CHANGE_LABELS.get(count_key) or count_key

    async def export_user(self, tenant: str, user_id: str) -> dict[str, Any]:
        """Everything stored about one person in one tenant, as JSON-ready data: exactly the rows and
        state parts that forget_user deletes or redacts (core/store/privacy.py)."""
        return await privacy.export_rows(self.db, await privacy.make_plan(self.db, tenant, user_id))

    async def forget_user(self, tenant: str, user_id: str, attempts: int = 5) -> dict[str, int]:
        """Delete or redact every row about one person in one tenant, in one transaction; then wipe the
        deleted bytes from the SQLite WAL and run the forget hooks. Returns counts per kind."""
        for _ in range(attempts):
            try:
                async with self.db.transaction() as tx:
                    plan = await privacy.make_plan(tx, tenant, user_id)
                    counts = await privacy.execute(tx, plan)
                    if counts["conversations_scrubbed"] < len(plan.shared):
                        raise _StateChanged  # a shared state was saved meanwhile: roll back, plan again
                break
            except _StateChanged:
                continue
        else:
            raise RuntimeError("forget: shared conversation states kept changing; nothing was deleted")
        await self.db.checkpoint()
        gone = privacy.Forgotten(tenant, user_id, plan.sub_ids)
        for hook in list(self.forget_hooks):
            try:
                done = await hook(gone)
            except Exception:  # the rows are gone already; say that a clean-up step did not finish
                log.exception("forget: a clean-up step failed (%s)", getattr(hook, "__qualname__", hook))
                done = ("cleanup_failed", 1)
            if done is not None:
                counts[done[0]] = counts.get(done[0], 0) + done[1]
        return counts


class _StateChanged(Exception):
    pass
