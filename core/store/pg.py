"""PostgreSQL behind the same Database interface (asyncpg pool).

Repositories keep writing portable SQL with ``?`` placeholders; this module rewrites them to ``$n``
once per statement (cached) and turns asyncpg's status strings into row counts. Both rewrites work on
sqlparse's tokens, so a ``?`` or a type name inside a string literal, a quoted identifier or a comment
is left alone. Several bot instances
share one database: uniqueness (event ids, digest periods) is decided by constraints, not by locks in
a process.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import asyncpg
from sqlparse import tokens as T
from sqlparse.lexer import Lexer

from core.store.db import Row, storable


def _tokens(sql: str) -> list[tuple[Any, str]]:
    return list(Lexer.get_default_instance().get_tokens(sql))


@lru_cache(maxsize=512)
def to_pg(sql: str) -> str:
    """``?`` placeholders -> ``$1, $2, ...``; a ``?`` in a literal, identifier or comment is text."""
    out: list[str] = []
    n = 0
    for ttype, value in _tokens(sql):
        if ttype in T.Name.Placeholder and value == "?":
            n += 1
            value = f"${n}"
        out.append(value)
    return "".join(out)


# SQLite column types of migrations.py and their PostgreSQL spelling.
_PG_TYPES = {"REAL": "DOUBLE PRECISION"}


def pg_ddl(stmt: str) -> str:
    """Translate the SQLite-flavoured DDL of migrations.py to PostgreSQL, token by token.

    ``INTEGER PRIMARY KEY AUTOINCREMENT`` becomes ``BIGSERIAL PRIMARY KEY``; the type ``REAL`` becomes
    ``DOUBLE PRECISION``. Literals, quoted identifiers and comments are separate tokens and never match.
    """
    toks = [(t, v) for t, v in _tokens(stmt)]
    # (index, upper-case word) of the bare words: keywords, type names and unquoted names.
    words = [(i, v.upper()) for i, (t, v) in enumerate(toks)
             if t in T.Keyword or t in T.Name.Builtin or t is T.Name]
    out = {i: v for i, (_t, v) in enumerate(toks)}
    for k in range(len(words) - 2):
        (a, w1), (_b, w2), (c, w3) = words[k:k + 3]
        if (w1, w2, w3) == ("INTEGER", "PRIMARY KEY", "AUTOINCREMENT") and toks[a][0] in T.Name.Builtin:
            out[a] = "BIGSERIAL"
            for j in range(_b + 1, c + 1):  # the space before AUTOINCREMENT and the word itself
                out[j] = ""
    for i, (t, v) in enumerate(toks):
        if t in T.Name.Builtin and v.upper() in _PG_TYPES:
            out[i] = _PG_TYPES[v.upper()]
    return "".join(out[i] for i in range(len(toks)))


def _args(params: Sequence[Any]) -> tuple[Any, ...]:
    """PostgreSQL text cannot hold NUL (SQLite can): a hostile display name or id would otherwise turn
    a normal reply into a database error on PostgreSQL only. Same replacement as `store migrate`.
    Lone surrogates are replaced as on SQLite (``storable``)."""
    return tuple(p.replace("\x00", "\ufffd") if isinstance(p, str) and "\x00" in p else p
                 for p in storable(params))


def _count(status: str) -> int:
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _PgTx:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return _count(await self._conn.execute(to_pg(sql), *_args(params)))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._conn.executemany(to_pg(sql), [_args(r) for r in rows])

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [tuple(r) for r in await self._conn.fetch(to_pg(sql), *_args(params))]

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row = await self._conn.fetchrow(to_pg(sql), *_args(params))
        return tuple(row) if row is not None else None

    async def fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in await self._conn.fetch(to_pg(sql), *_args(params))]


class PostgresDatabase:
    dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool, schema: str | None) -> None:
        self._pool = pool
        self.schema = schema

    @classmethod
    async def open(cls, url: str, schema: str | None = None, min_size: int = 1,
                   max_size: int = 10) -> PostgresDatabase:
        if schema is not None and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
            raise ValueError(f"invalid schema name: {schema!r}")
        if schema:
            conn = await asyncpg.connect(url)
            try:
                # IF NOT EXISTS is not atomic: instances starting together on a fresh schema can both
                # try to create it and one fails on pg_namespace's unique index. Take turns, like
                # migrate() does (same advisory lock key; the lock ends with this transaction).
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock(727274)")
                    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            finally:
                await conn.close()
        settings = {"search_path": schema} if schema else None
        pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, server_settings=settings)
        return cls(pool, schema)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._pool.acquire() as conn:
            return _count(await conn.execute(to_pg(sql), *_args(params)))

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._pool.acquire() as conn:
            return await _PgTx(conn).fetchall(sql, params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._pool.acquire() as conn:
            return await _PgTx(conn).fetchone(sql, params)

    async def fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        async with self._pool.acquire() as conn:
            return await _PgTx(conn).fetch_dicts(sql, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_PgTx]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield _PgTx(conn)

    async def checkpoint(self) -> None:
        """Nothing to do per forget: deleted rows are invisible at once and autovacuum reclaims their
        space (docs/privacy.md says what that means for backups and WAL archives)."""

    async def close(self) -> None:
        await self._pool.close()
