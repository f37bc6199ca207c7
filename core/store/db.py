"""A thin async database handle: the only place that knows it is talking to SQLite.

Repositories write portable SQL with ``?`` placeholders and go through this interface, so a PostgreSQL
implementation (issue: scale-out) can slot in behind the same methods.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

Row = tuple[Any, ...]


class Database(Protocol):
    dialect: str

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement in its own transaction; returns the affected row count."""
        ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...

    def transaction(self) -> Any:
        """``async with db.transaction() as tx:`` — tx has execute/fetchall/fetchone; all or nothing."""
        ...

    async def close(self) -> None: ...


class _SqliteTx:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._conn.execute(sql, tuple(params))
        n = cur.rowcount
        await cur.close()
        return n

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, [tuple(r) for r in rows])

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cur = await self._conn.execute(sql, tuple(params))
        rows = await cur.fetchall()
        await cur.close()
        return [tuple(r) for r in rows]

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cur = await self._conn.execute(sql, tuple(params))
        row = await cur.fetchone()
        await cur.close()
        return tuple(row) if row is not None else None

    async def fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = await self._conn.execute(sql, tuple(params))
        names = [d[0] for d in cur.description or ()]
        rows = await cur.fetchall()
        await cur.close()
        return [dict(zip(names, r, strict=True)) for r in rows]


class SqliteDatabase:
    """One aiosqlite connection in WAL mode; writes serialized by an asyncio lock.

    SQLite allows one writer at a time anyway; serializing in-process avoids SQLITE_BUSY and keeps
    explicit transactions (BEGIN IMMEDIATE ... COMMIT) from interleaving between coroutines.
    """

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> SqliteDatabase:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        await conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across process crashes in WAL mode (only power loss can drop the last
        # commits), which is the crash model we promise: an acknowledged reaction survives SIGKILL.
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        return cls(conn, path)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await _SqliteTx(self._conn).fetchall(sql, params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await _SqliteTx(self._conn).fetchone(sql, params)

    async def fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return await _SqliteTx(self._conn).fetch_dicts(sql, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_SqliteTx]:
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTx(self._conn)
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            else:
                await self._conn.execute("COMMIT")

    async def close(self) -> None:
        await self._conn.close()
