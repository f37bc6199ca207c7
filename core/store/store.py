"""The store facade: open + migrate, the repositories, and per-user export and deletion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.store.db import Database, SqliteDatabase
from core.store.migrations import migrate
from core.store.repos import ConversationRepo, EventRepo, PreferenceRepo, RecommendationRepo, UserRepo

# Tables with a user_id column, and what to call them in a forget-me report.
USER_TABLES: dict[str, str] = {
    "turns": "conversation turns",
    "reactions": "reactions",
    "preferences": "preference signals",
    "recommendations": "recommendations shown to you",
    "users": "profile",
    "subscriptions": "digest subscriptions",
    "digest_deliveries": "digest deliveries",
    "rate_buckets": "rate-limit bucket (how many messages you may send right now)",
}


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.events = EventRepo(db)
        self.users = UserRepo(db)
        self.conversations = ConversationRepo(db)
        self.recs = RecommendationRepo(db)
        self.prefs = PreferenceRepo(db)
        # Later migrations (digests) register more user tables here so export/forget stay complete.
        self.user_tables: dict[str, str] = dict(USER_TABLES)

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

    async def export_user(self, tenant: str, user_id: str) -> dict[str, Any]:
        """Everything stored about one person in one tenant, as JSON-ready data."""
        out: dict[str, Any] = {"tenant": tenant, "user": user_id}
        for table in self.user_tables:
            out[table] = await self.db.fetch_dicts(
                f"SELECT * FROM {table} WHERE tenant = ? AND user_id = ?", (tenant, user_id)
            )
        return out

    async def forget_user(self, tenant: str, user_id: str) -> dict[str, int]:
        """Delete every row about one person in one tenant, in one transaction; returns counts."""
        counts: dict[str, int] = {}
        async with self.db.transaction() as tx:
            for table in self.user_tables:
                counts[table] = await tx.execute(
                    f"DELETE FROM {table} WHERE tenant = ? AND user_id = ?", (tenant, user_id)
                )
            # Messages that pointed at this person's recommendations are now dangling: drop them too.
            await tx.execute(
                "DELETE FROM posted_messages WHERE tenant = ? AND rec_id NOT IN "
                "(SELECT rec_id FROM recommendations WHERE tenant = ?)",
                (tenant, tenant),
            )
        return counts
