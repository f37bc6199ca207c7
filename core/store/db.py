"""A thin async database handle: the only place that knows it is talking to SQLite.

Repositories write portable SQL with ``?`` placeholders and go through this interface, so a PostgreSQL
implementation (issue: scale-out) can slot in behind the same methods.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

Row = tuple[Any, ...]
log = logging.getLogger("recbot.store")

_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(value: str) -> str:
    """``value`` with lone surrogates replaced by U+FFFD. Neither SQLite nor PostgreSQL can store them
    (UTF-8 has no encoding for them), and they arrive from outside: a display name or an id cut in
    the middle of a UTF-16 emoji. Replacing them at the database boundary means no field can turn a
    normal message into an error."""
    return value if value.isascii() or not _SURROGATE.search(value) else _SURROGATE.sub("\ufffd", value)


def storable(params: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(storable_text(p) if isinstance(p, str) else p for p in params)

log = logging.getLogger("recbot.store")


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

    async def checkpoint(self) -> None:
        """Make deleted rows unrecoverable from the database files where the backend can (forget)."""
        ...

    async def close(self) -> None: ...


class _SqliteTx:
    """Statements on the shared connection; the caller holds the database's lock.

    Each statement is one hop to aiosqlite's thread (``execute_fetchall``): no cursor objects to
    close, and row counts come from ``total_changes``, which only our statements move while we hold
    the lock. Measured on the load benchmark: ~12 thread hops per message instead of ~60.
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        before = self._conn.total_changes
        await self._conn.execute_fetchall(sql, storable(params))
        return self._conn.total_changes - before

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, [storable(r) for r in rows])

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [tuple(r) for r in await self._conn.execute_fetchall(sql, storable(params))]

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self._conn.execute_fetchall(sql, storable(params))
        for r in rows:
            return tuple(r)
        return None

    async def fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in await self._conn.execute_fetchall(sql, storable(params))]


async def _switch_to_wal(conn: aiosqlite.Connection, within_s: float = 10.0) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another process holds the lock it needs.

    Two bot instances opening one fresh file at the same moment: SQLite answers the second one's switch
    with "database is locked" at once, without calling the busy handler (seen in about 1 start of 5
    with 4 processes; tests/test_store.py makes them meet), so busy_timeout alone does not cover it.
    """
    deadline = time.monotonic() + within_s
    pause = 0.01
    while True:
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + pause > deadline:
                raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.25)


class StoreDamaged(RuntimeError):
    """The database file is corrupt: refuse to start rather than answer on top of it (every write
    would fail, and the bot would keep telling people their words were saved)."""


INTEGRITY_CHECK_S = 10.0  # quick_check reads every page, so its time grows with the file; stop after this


async def check_integrity(conn: aiosqlite.Connection, path: Path, within_s: float = INTEGRITY_CHECK_S) -> None:
    """``PRAGMA quick_check`` (structure and page checks, not index contents), bounded in time.

    Raises StoreDamaged when SQLite reports a problem or cannot even read the pages. A check that runs
    out of time is logged and the start goes on: a huge healthy database must still start."""
    deadline = time.monotonic() + within_s
    await conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
    try:
        rows = await conn.execute_fetchall("PRAGMA quick_check(5)")
        problems = [str(r[0]) for r in rows if str(r[0]) != "ok"]
    except sqlite3.OperationalError as exc:
        if "interrupt" not in str(exc):
            raise
        log.warning("database %s: integrity check stopped after %.0f s (not finished)", path, within_s)
        return
    except sqlite3.DatabaseError as exc:  # "database disk image is malformed": pages it cannot parse
        problems = [str(exc)]
    finally:
        await conn.set_progress_handler(None, 0)
    if problems:
        raise StoreDamaged(
            f"the database {path} is damaged ({'; '.join(problems)[:300]}). recbot will not start on it: "
            f"restore a backup, or salvage it with `sqlite3 {path} .recover | sqlite3 fixed.db` and point "
            "[data] dir at the result (or move the file away to start empty).")


def is_storage_error(exc: BaseException) -> bool:
    """Did this come from the database (SQLite, PostgreSQL, or the disk under them)? Then what the
    person just said may not have been saved, and no reply may claim it was."""
    if isinstance(exc, sqlite3.Error | OSError | StoreDamaged):
        return True
    return type(exc).__module__.split(".")[0] == "asyncpg"  # without importing asyncpg on SQLite


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
        self._tx = _SqliteTx(conn)

    @classmethod
    async def open(cls, path: Path) -> SqliteDatabase:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            await conn.execute("PRAGMA busy_timeout=5000")
            await _switch_to_wal(conn)
            # NORMAL is durable across process crashes in WAL mode (only power loss can drop the last
            # commits), which is the crash model we promise: an acknowledged reaction survives SIGKILL.
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are overwritten with zeros instead of lingering in free pages: after a
            # forget, the file's bytes no longer hold the person's words (checkpoint() empties the WAL).
            await conn.execute("PRAGMA secure_delete=ON")
            await check_integrity(conn, path)
        except BaseException:
            await conn.close()  # its thread would otherwise keep the process from exiting
            raise
        return cls(conn, path)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        # Autocommit: a single statement is its own transaction in SQLite.
        async with self._lock:
            return await self._tx.execute(sql, params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._tx.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await self._tx.fetchone(sql, params)

    async def fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return await self._tx.fetch_dicts(sql, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_SqliteTx]:
        async with self._lock:
            await self._conn.execute_fetchall("BEGIN IMMEDIATE")
            try:
                yield self._tx
            except BaseException:
                await self._conn.execute_fetchall("ROLLBACK")
                raise
            else:
                await self._conn.execute_fetchall("COMMIT")

    async def checkpoint(self) -> None:
        """Copy the WAL into the database and truncate it to zero bytes: the WAL keeps old page images
        (with the words a forget just deleted) until a checkpoint resets it."""
        async with self._lock:
            row = await self._tx.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
        if row and row[0]:
            # Another process is reading: its snapshot still needs the old pages; SQLite truncates
            # at its next checkpoint (automatic every 1000 pages, and at close).
            log.warning("WAL checkpoint after forget was blocked by a reader; it completes later")

    async def close(self) -> None:
        await self._conn.close()
