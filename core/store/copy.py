"""Copy every table of one store into another (SQLite -> PostgreSQL for `recbot store migrate`).

Tables are discovered from the source's catalog (sqlite_master, or information_schema on PostgreSQL),
not listed here, so tables added by later migrations are copied without touching this module. Both
stores must already be migrated to the same schema version (Store.open_* does that); schema_version
itself is never copied.

The whole copy runs in ONE target transaction: a failure halfway leaves the target as it was, so
the command can simply be rerun. Row counts are compared per table afterwards, which also catches a
bot that kept writing to the source during the copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.store.db import Database
from core.store.migrations import schema_version

SKIP_TABLES = frozenset({"schema_version"})
# (table, rows copied so far, rows in the source table)
Progress = Callable[[str, int, int], None]


class CopyError(RuntimeError):
    pass


class TargetNotEmpty(CopyError):
    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        held = ", ".join(f"{t}: {n}" for t, n in counts.items() if n)
        super().__init__(f"the target already holds data ({held}); pass --force to replace it")


@dataclass(frozen=True, slots=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


@dataclass
class CopyReport:
    counts: list[TableCount] = field(default_factory=list)
    sequences_reset: list[str] = field(default_factory=list)
    sanitized: int = 0  # text values with NUL characters (PostgreSQL text cannot hold them)

    @property
    def mismatches(self) -> list[TableCount]:
        return [c for c in self.counts if not c.ok]

    @property
    def rows(self) -> int:
        return sum(c.target for c in self.counts)


def quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


# ---- catalog queries (the only dialect-specific part) -----------------------------------------
async def list_tables(db: Database) -> list[str]:
    if db.dialect == "postgresql":
        rows = await db.fetchall(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
    else:
        rows = await db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    return sorted(str(r[0]) for r in rows if str(r[0]).lower() not in SKIP_TABLES)


async def table_columns(db: Database, table: str) -> dict[str, str]:
    """Column name -> declared type (lower case), in table order."""
    if db.dialect == "postgresql":
        rows = await db.fetchall(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position", (table,))
        return {str(n): str(t).lower() for n, t in rows}
    rows = await db.fetchall(f"PRAGMA table_info({quote(table)})")
    return {str(r[1]): str(r[2]).lower() for r in rows}


async def primary_key(db: Database, table: str) -> list[str]:
    if db.dialect == "postgresql":
        rows = await db.fetchall(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(?) AND i.indisprimary",
            (quote(table),))
        return [str(r[0]) for r in rows]
    rows = await db.fetchall(f"PRAGMA table_info({quote(table)})")
    return [str(r[1]) for r in sorted(rows, key=lambda r: r[5]) if r[5]]


async def references(db: Database, table: str) -> set[str]:
    """Tables this one points at with a foreign key (they must be filled first)."""
    if db.dialect == "postgresql":
        rows = await db.fetchall(
            "SELECT rf.relname FROM pg_constraint c JOIN pg_class rf ON rf.oid = c.confrelid "
            "WHERE c.contype = 'f' AND c.conrelid = to_regclass(?)", (quote(table),))
        return {str(r[0]) for r in rows}
    rows = await db.fetchall(f"PRAGMA foreign_key_list({quote(table)})")
    return {str(r[2]) for r in rows}


async def serial_columns(db: Database) -> list[tuple[str, str]]:
    """(table, column) pairs fed by a sequence on PostgreSQL (BIGSERIAL ids)."""
    if db.dialect != "postgresql":
        return []  # SQLite moves its AUTOINCREMENT counter past explicit ids by itself
    rows = await db.fetchall(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%' ORDER BY 1, 2")
    return [(str(t), str(c)) for t, c in rows]


def dependency_order(tables: Sequence[str], refs: dict[str, set[str]]) -> list[str]:
    """Referenced tables before the tables that reference them; name order otherwise (stable)."""
    pending = {t: {r for r in refs.get(t, set()) if r in tables and r != t} for t in tables}
    order: list[str] = []
    while pending:
        ready = sorted(t for t, deps in pending.items() if not deps)
        if not ready:
            raise CopyError(f"foreign keys form a cycle between: {', '.join(sorted(pending))}")
        for t in ready:
            order.append(t)
            del pending[t]
        for deps in pending.values():
            deps.difference_update(ready)
    return order


async def row_counts(db: Database, tables: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in tables:
        row = await db.fetchone(f"SELECT COUNT(*) FROM {quote(t)}")
        out[t] = int(row[0]) if row else 0
    return out


# ---- values ---------------------------------------------------------------------------------------
class _Coercer:
    """Makes SQLite's loosely typed values acceptable to the target column's type.

    asyncpg refuses e.g. an int for a text column, and SQLite will happily have stored one there.
    """

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.sanitized = 0

    def for_type(self, typ: str) -> Callable[[Any], Any] | None:
        if self.dialect != "postgresql":
            return None
        if typ in ("text", "character varying", "character"):
            return self._text
        if typ in ("double precision", "real"):
            return float
        if typ in ("bigint", "integer", "smallint"):
            return int
        if typ == "boolean":
            return bool
        return None

    def _text(self, v: Any) -> str:
        s = v.decode("utf-8", "replace") if isinstance(v, bytes) else v if isinstance(v, str) else str(v)
        if "\x00" in s:
            self.sanitized += 1
            s = s.replace("\x00", "\ufffd")
        return s


async def _batches(src: Database, table: str, cols: list[str], batch_size: int):  # type: ignore[no-untyped-def]
    """Yield lists of rows, keyset-paged by rowid on SQLite (no O(n^2) OFFSET on big tables)."""
    col_sql = ", ".join(quote(c) for c in cols)
    if src.dialect == "sqlite":
        ddl = await src.fetchone("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
        if ddl and "WITHOUT ROWID" not in str(ddl[0]).upper():
            last = -(2**63)
            while True:
                rows = await src.fetchall(
                    f"SELECT rowid, {col_sql} FROM {quote(table)} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    (last, batch_size))
                if not rows:
                    return
                last = rows[-1][0]
                yield [r[1:] for r in rows]
    order = ", ".join(quote(c) for c in (await primary_key(src, table) or cols))
    offset = 0
    while True:
        rows = await src.fetchall(
            f"SELECT {col_sql} FROM {quote(table)} ORDER BY {order} LIMIT ? OFFSET ?", (batch_size, offset))
        if not rows:
            return
        offset += len(rows)
        yield rows


# ---- the copy ---------------------------------------------------------------------------------------
async def copy_store(src: Database, dst: Database, *, batch_size: int = 1000, force: bool = False,
                     progress: Progress | None = None) -> CopyReport:
    """Copy all rows of ``src`` into ``dst`` and compare row counts; see the module docstring.

    Raises TargetNotEmpty (unless ``force``: then the target's rows are deleted first, in the same
    transaction) and CopyError for schemas that do not match. Count mismatches are returned in the
    report, not raised, so the caller decides how to present them.
    """
    v_src, v_dst = await schema_version(src), await schema_version(dst)
    if v_src != v_dst:
        raise CopyError(f"schema versions differ (source v{v_src}, target v{v_dst}): "
                        "open both with the same recbot version first")
    tables = await list_tables(src)
    target_names = {t.lower(): t for t in await list_tables(dst)}
    missing = [t for t in tables if t.lower() not in target_names]
    if missing:
        raise CopyError(f"tables missing in the target: {', '.join(missing)}")
    refs = {t: await references(src, t) for t in tables}
    order = dependency_order(tables, refs)
    dst_name = {t: target_names[t.lower()] for t in order}

    existing = await row_counts(dst, [dst_name[t] for t in order])
    if any(existing.values()) and not force:
        raise TargetNotEmpty(existing)
    totals = await row_counts(src, order)
    coercer = _Coercer(dst.dialect)
    report = CopyReport()
    async with dst.transaction() as tx:
        if force:
            for t in reversed(order):  # referencing tables first
                await tx.execute(f"DELETE FROM {quote(dst_name[t])}")
        for t in order:
            await _copy_table(src, tx, t, dst_name[t], await table_columns(dst, dst_name[t]), coercer,
                              batch_size, totals[t], progress)
        for table, col in await serial_columns(dst):
            # Rows came with explicit ids: move the sequence past them, or the next INSERT collides.
            await tx.execute(
                f"SELECT setval(pg_get_serial_sequence(?, ?), "
                f"COALESCE((SELECT MAX({quote(col)}) FROM {quote(table)}), 0) + 1, false)",
                (quote(table), col))
            report.sequences_reset.append(f"{table}.{col}")
    report.sanitized = coercer.sanitized
    report.counts = await verify_counts(src, dst, order)
    return report


async def _copy_table(src: Database, tx: Any, table: str, dst_table: str, dst_types: dict[str, str],
                      coercer: _Coercer, batch_size: int, total: int, progress: Progress | None) -> None:
    cols = list(await table_columns(src, table))
    by_lower = {c.lower(): c for c in dst_types}
    absent = [c for c in cols if c.lower() not in by_lower]
    if absent:
        raise CopyError(f"{table}: columns missing in the target: {', '.join(absent)}")
    dst_cols = [by_lower[c.lower()] for c in cols]
    fix = [coercer.for_type(dst_types[c]) for c in dst_cols]
    sql = (f"INSERT INTO {quote(dst_table)} ({', '.join(quote(c) for c in dst_cols)}) "
           f"VALUES ({', '.join('?' for _ in cols)})")
    done = 0
    if progress:
        progress(table, 0, total)
    async for rows in _batches(src, table, cols, batch_size):
        fixed = [tuple(v if f is None or v is None else f(v) for f, v in zip(fix, r, strict=True)) for r in rows]
        try:
            await tx.executemany(sql, fixed)
        except Exception as e:  # name the table: a bare driver error says nothing about where
            raise CopyError(f"{table}: copying rows {done + 1}..{done + len(rows)} failed: {e}") from e
        done += len(rows)
        if progress:
            progress(table, done, total)


async def verify_counts(src: Database, dst: Database, tables: Sequence[str] | None = None) -> list[TableCount]:
    """Per-table row counts of both stores (every source table when ``tables`` is None)."""
    tables = list(tables) if tables is not None else await list_tables(src)
    target_names = {t.lower(): t for t in await list_tables(dst)}
    a = await row_counts(src, tables)
    out: list[TableCount] = []
    for t in tables:
        name = target_names.get(t.lower())
        n = (await row_counts(dst, [name]))[name] if name else -1
        out.append(TableCount(t, a[t], n))
    return out
