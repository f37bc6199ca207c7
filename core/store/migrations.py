"""Schema migrations with a version table. Append new steps; never edit a released one.

Every table that holds people's data has a ``tenant`` column and every repository query filters on it.
"""

from __future__ import annotations

from core.store.db import Database

MIGRATIONS: list[list[str]] = [
    # 1: the foundation schema
    [
        """CREATE TABLE processed_events (
            tenant TEXT NOT NULL, platform TEXT NOT NULL, event_id TEXT NOT NULL, ts REAL NOT NULL,
            PRIMARY KEY (tenant, platform, event_id))""",
        """CREATE TABLE users (
            tenant TEXT NOT NULL, user_id TEXT NOT NULL, platform TEXT NOT NULL,
            display_name TEXT, created REAL NOT NULL, last_seen REAL NOT NULL,
            PRIMARY KEY (tenant, user_id))""",
        """CREATE TABLE conversations (
            tenant TEXT NOT NULL, conv_key TEXT NOT NULL, state TEXT NOT NULL, updated REAL NOT NULL,
            PRIMARY KEY (tenant, conv_key))""",
        """CREATE TABLE turns (
            id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, conv_key TEXT NOT NULL,
            user_id TEXT, role TEXT NOT NULL, text TEXT NOT NULL, ts REAL NOT NULL)""",
        "CREATE INDEX turns_by_conv ON turns (tenant, conv_key, id)",
        "CREATE INDEX turns_by_user ON turns (tenant, user_id)",
        """CREATE TABLE recommendations (
            rec_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, conv_key TEXT NOT NULL, user_id TEXT NOT NULL,
            item_ids TEXT NOT NULL, kind TEXT NOT NULL DEFAULT 'chat', created REAL NOT NULL)""",
        "CREATE INDEX recs_by_conv ON recommendations (tenant, conv_key, created)",
        """CREATE TABLE posted_messages (
            tenant TEXT NOT NULL, platform TEXT NOT NULL, message_id TEXT NOT NULL, rec_id TEXT NOT NULL,
            item_id TEXT, PRIMARY KEY (tenant, platform, message_id))""",
        """CREATE TABLE reactions (
            id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, user_id TEXT NOT NULL,
            platform TEXT NOT NULL, message_id TEXT NOT NULL, rec_id TEXT, emoji TEXT NOT NULL,
            added INTEGER NOT NULL, ts REAL NOT NULL)""",
        "CREATE INDEX reactions_by_user ON reactions (tenant, user_id)",
        # One row per piece of evidence (mention with sentiment, reaction, button, shown-and-ignored,
        # imported rating). The preference model and CF read from here.
        """CREATE TABLE preferences (
            id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, user_id TEXT NOT NULL,
            conv_key TEXT, item_id TEXT NOT NULL, value REAL NOT NULL, kind TEXT NOT NULL,
            source TEXT, ts REAL NOT NULL)""",
        "CREATE INDEX prefs_by_user ON preferences (tenant, user_id, ts)",
        "CREATE INDEX prefs_by_conv ON preferences (tenant, conv_key, ts)",
    ],
    # 2: scheduled digests (core/digests). A subscription belongs to a channel (target "channel") or a
    # person (target "dm"); user_id is the subscriber or creator, so export/forget include it.
    # digest_deliveries is the exactly-once ledger: one row per (subscription, period), claimed under
    # a lease, marked sent in the same transaction that maps the posted message to its recommendation.
    [
        """CREATE TABLE subscriptions (
            sub_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, platform TEXT NOT NULL, channel TEXT NOT NULL,
            thread TEXT, user_id TEXT NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL, at_time TEXT,
            weekday INTEGER, cron TEXT, timezone TEXT NOT NULL, quiet_start TEXT, quiet_end TEXT,
            size INTEGER NOT NULL, created REAL NOT NULL, active INTEGER NOT NULL DEFAULT 1)""",
        "CREATE INDEX subs_by_tenant ON subscriptions (tenant, active, created)",
        """CREATE TABLE digest_deliveries (
            tenant TEXT NOT NULL, sub_id TEXT NOT NULL, user_id TEXT NOT NULL, period TEXT NOT NULL,
            status TEXT NOT NULL, rec_id TEXT, payload TEXT, message_id TEXT,
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt REAL NOT NULL, lease_owner TEXT,
            lease_until REAL, last_error TEXT, created REAL NOT NULL, sent_at REAL,
            UNIQUE (sub_id, period))""",
        "CREATE INDEX deliveries_ready ON digest_deliveries (status, next_attempt)",
    ],
    # 3: a version per conversation state, so two writers (two bot instances behind a load balancer,
    # or a digest and a chat turn) never silently overwrite each other (ConversationRepo.save_state_if).
    [
        "ALTER TABLE conversations ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
    ],
    # 4: per-person rate-limit buckets shared by all instances (core/ratelimit.StoreRateLimiter).
    [
        """CREATE TABLE rate_buckets (
            tenant TEXT NOT NULL, user_id TEXT NOT NULL, tokens REAL NOT NULL, updated REAL NOT NULL,
            allowed INTEGER NOT NULL, PRIMARY KEY (tenant, user_id))""",
    ],
    # 5: what forget and export need to find everything about one person (core/store/privacy.py).
    # turns.addressed_to: the person a bot reply answered (the reply row has no user_id of its own).
    # conversations.owner: the person a private conversation (a DM, the terminal) belongs to; NULL for
    # a shared channel. Forget deletes an owned conversation whole and scrubs a shared one.
    [
        "ALTER TABLE turns ADD COLUMN addressed_to TEXT",
        "CREATE INDEX turns_by_addressee ON turns (tenant, addressed_to)",
        # Replies stored before v5: the addressee is whoever spoke last before the reply.
        """UPDATE turns SET addressed_to = (
            SELECT t2.user_id FROM turns t2 WHERE t2.tenant = turns.tenant AND t2.conv_key = turns.conv_key
            AND t2.id < turns.id AND t2.role = 'user' ORDER BY t2.id DESC LIMIT 1)
            WHERE role = 'bot' AND addressed_to IS NULL""",
        "ALTER TABLE conversations ADD COLUMN owner TEXT",
        "CREATE INDEX convs_by_owner ON conversations (tenant, owner)",
    ],
    # 6: a person's turn remembers the event it came from, so handling a redelivered event again (after
    # a crash before its claim, core/store/effects.py) does not store the turn twice.
    [
        "ALTER TABLE turns ADD COLUMN event_id TEXT",
        "CREATE UNIQUE INDEX turns_by_event ON turns (tenant, conv_key, event_id) WHERE event_id IS NOT NULL",
    ],
    # 7: the evidence of a preference stated in words: the person's own message, so /prefs can show why
    # recbot believes it and the person can correct it (NULL for reactions, buttons, imports).
    [
        "ALTER TABLE preferences ADD COLUMN evidence TEXT",
    ],
]


def _ddl(db: Database, stmt: str) -> str:
    if db.dialect == "postgresql":
        from core.store.pg import pg_ddl

        return pg_ddl(stmt)
    return stmt


async def migrate(db: Database) -> int:
    """Bring the schema to the newest version in one transaction; returns it.

    On PostgreSQL an advisory lock makes concurrent starts of several instances take turns, so each
    step runs exactly once.
    """
    async with db.transaction() as tx:
        if db.dialect == "postgresql":
            await tx.execute("SELECT pg_advisory_xact_lock(727274)")
        await tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = await tx.fetchone("SELECT MAX(version) FROM schema_version")
        current = int(row[0]) if row and row[0] is not None else 0
        if current > len(MIGRATIONS):
            raise RuntimeError(
                f"database schema v{current} is newer than this recbot (v{len(MIGRATIONS)}): upgrade recbot"
            )
        for version in range(current + 1, len(MIGRATIONS) + 1):
            for stmt in MIGRATIONS[version - 1]:
                await tx.execute(_ddl(db, stmt))
            await tx.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
    return len(MIGRATIONS)


async def schema_version(db: Database) -> int:
    row = await db.fetchone("SELECT MAX(version) FROM schema_version")
    return int(row[0]) if row and row[0] is not None else 0
