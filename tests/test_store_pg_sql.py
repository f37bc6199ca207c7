"""The portable-SQL rewrites for PostgreSQL work on tokens: literals, quoted names and comments stay."""

from __future__ import annotations

import uuid

from core.store.migrations import MIGRATIONS
from core.store.pg import PostgresDatabase, pg_ddl, to_pg
from tests.conftest import pg_url_or_skip


def test_placeholders_are_numbered_outside_literals_identifiers_and_comments() -> None:
    sql = "SELECT '?' AS q, \"a?\" FROM t WHERE x = ? AND y = ? -- why?\n AND z = ?"
    assert to_pg(sql) == "SELECT '?' AS q, \"a?\" FROM t WHERE x = $1 AND y = $2 -- why?\n AND z = $3"
    assert to_pg("SELECT 'it''s ?' WHERE a = ?") == "SELECT 'it''s ?' WHERE a = $1"


def test_ddl_translates_types_only_where_they_are_types() -> None:
    stmt = ("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "note TEXT DEFAULT 'REAL INTEGER PRIMARY KEY AUTOINCREMENT', \"REAL\" REAL) -- REAL")
    assert pg_ddl(stmt) == ("CREATE TABLE t (id BIGSERIAL PRIMARY KEY, "
                            "note TEXT DEFAULT 'REAL INTEGER PRIMARY KEY AUTOINCREMENT', \"REAL\" DOUBLE PRECISION)"
                            " -- REAL")
    for step in MIGRATIONS:  # every real migration translates to something without SQLite-only words
        for s in step:
            out = pg_ddl(s).upper()
            assert "AUTOINCREMENT" not in out and " REAL " not in out and " REAL," not in out


async def test_a_question_mark_in_a_literal_reaches_postgresql_as_text() -> None:
    url = pg_url_or_skip()
    db = await PostgresDatabase.open(url, f"t_{uuid.uuid4().hex[:12]}")
    try:
        row = await db.fetchone("SELECT 'why?' || ?, ?::int + 1", ("!", 41))
        assert row == ("why?!", 42)
        await db.execute(f"DROP SCHEMA {db.schema} CASCADE")
    finally:
        await db.close()
