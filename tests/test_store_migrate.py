"""`recbot store migrate`: SQLite filled by the real core -> real PostgreSQL, then the core continues there.

PostgreSQL tests skip without RECBOT_TEST_PG_URL (CI starts a throwaway cluster). Each test creates its
own schema and drops only that one.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bot.config import load_config
from bot.wiring import build_app
from core.events import ButtonAction
from core.store.copy import CopyError, TargetNotEmpty, copy_store, dependency_order
from core.store.store import Store
from tests.conftest import ROOT, pg_url_or_skip, write_config
from tests.helpers import button, msg, reaction

NO_LIMIT = "[limits]\nmessages_per_minute = 0\n"


@pytest.fixture
async def pg_schema() -> AsyncIterator[tuple[str, str]]:
    url = pg_url_or_skip()
    schema = f"mig_{uuid.uuid4().hex[:12]}"
    yield url, schema
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


def _cli(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), "store", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=dict(os.environ))


def _sqlite_tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                            "AND name != 'schema_version' ORDER BY name").fetchall()
    return [r[0] for r in rows]


def _sqlite_rows(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


async def _pg_rows(url: str, schema: str, table: str) -> list[tuple[object, ...]]:
    conn = await asyncpg.connect(url)
    try:
        return sorted((tuple(r) for r in await conn.fetch(f"SELECT * FROM {schema}.{table}")), key=repr)
    finally:
        await conn.close()


async def _fill_through_the_core(cfg: Path) -> dict[str, object]:
    """A realistic SQLite store: conversations, recs, reactions, buttons, plus bulk rows via repos."""
    app = await build_app(load_config(cfg))
    core = app.core
    first = (await core.handle(msg("recommend me a funny movie from the 80s", channel="mig")))[0]
    await core.message_posted(first, "posted-1")
    await core.handle(reaction("posted-1", "👍", channel="mig"))
    await core.handle(button(ButtonAction.DISLIKE, first.rec_id or "", first.items[1].item_id, channel="mig"))
    second = (await core.handle(msg("something else, not that one", channel="mig")))[0]
    old_event = msg("a dark sci-fi movie", channel="other")
    await core.handle(old_event)
    summary = await core.user_summary("t1", "u1")
    assert summary.dislikes  # the store holds real evidence to carry over
    # Bulk through the repositories, so tables span several copy batches.
    for n in range(1200):
        await app.store.conversations.add_turn("bulk", f"k{n % 7}", f"u{n % 13}", "user", f"line {n} ✓")
    for n in range(300):
        await app.store.prefs.add("bulk", f"u{n % 13}", f"item{n}", (n % 5 - 2) / 2, "imported", source="csv")
    # SQLite stores a NUL in a text column without complaint; PostgreSQL text cannot hold one.
    await app.store.users.touch("bulk", "nul-user", "test", "bad\x00name")
    await app.aclose()
    return {"first": first, "second": second, "old_event": old_event, "summary": summary}


async def test_migrate_copies_every_row_and_the_conversation_continues_on_postgresql(
        tmp_path: Path, pg_schema: tuple[str, str]) -> None:
    url, schema = pg_schema
    sqlite_cfg = write_config(tmp_path, NO_LIMIT)
    filled = await _fill_through_the_core(sqlite_cfg)
    db_path = tmp_path / "data" / "recbot.db"

    out = _cli(sqlite_cfg, "migrate", "--to", url, "--schema", schema, "--batch-size", "250")
    assert out.returncode == 0, out.stderr
    assert "MISMATCH" not in out.stdout and "sequences moved past the copied ids" in out.stdout
    assert "1 text value(s) held NUL" in out.stdout

    # Independent check with plain sqlite3 and asyncpg: same tables, same rows (NUL replaced only).
    tables = _sqlite_tables(db_path)
    assert {"turns", "recommendations", "reactions", "preferences", "processed_events"} <= set(tables)
    for table in tables:
        want = _sqlite_rows(db_path, table)
        got = await _pg_rows(url, schema, table)
        assert len(got) == len(want), table
        if table != "users":
            assert got == want, table
    users = {r[1]: r for r in await _pg_rows(url, schema, "users")}
    assert users["nul-user"][3] == "bad\ufffdname"
    assert len(_sqlite_rows(db_path, "turns")) > 1200

    # The real core on the migrated data, configured the way a deployment would be.
    pg_cfg = write_config(tmp_path, f'{NO_LIMIT}[store]\nurl = "{url}"\nschema = "{schema}"\n')
    app = await build_app(load_config(pg_cfg))
    try:
        assert app.store.db.dialect == "postgresql"
        history = (await app.core.handle(msg("what did you recommend before?", channel="mig")))[0]
        first, second = filled["first"], filled["second"]
        assert first.items[0].title in history.text and second.items[0].title in history.text  # type: ignore[attr-defined]
        # The same taste (likes/dislikes aggregated from preferences and reactions).
        assert await app.core.user_summary("t1", "u1") == filled["summary"]
        # Dedupe history came along: a platform retry of a pre-migration event is still ignored.
        assert await app.core.handle(filled["old_event"]) == []  # type: ignore[arg-type]
        more = (await app.core.handle(msg("more", channel="mig")))[0]
        shown = {i.item_id for r in (first, second) for i in r.items}  # type: ignore[attr-defined]
        assert more.items and not shown & {i.item_id for i in more.items}
        # New ids continue after the copied ones (the BIGSERIAL sequences were moved).
        row = await app.store.db.fetchone("SELECT MAX(id) FROM turns WHERE conv_key LIKE ?", ("%mig%",))
        assert row and row[0] > 1200
    finally:
        await app.aclose()

    # A second run refuses the non-empty target; --force replaces it (no duplicates).
    again = _cli(sqlite_cfg, "migrate", "--to", url, "--schema", schema)
    assert again.returncode == 1 and "already holds data" in again.stderr and "--force" in again.stderr
    forced = _cli(sqlite_cfg, "migrate", "--to", url, "--schema", schema, "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(await _pg_rows(url, schema, "turns")) == len(_sqlite_rows(db_path, "turns"))


async def test_verify_reports_rows_written_after_the_copy(tmp_path: Path, pg_schema: tuple[str, str]) -> None:
    url, schema = pg_schema
    cfg = write_config(tmp_path, NO_LIMIT)
    src = await Store.open_sqlite(tmp_path / "data" / "recbot.db")
    await src.recs.add("t", "r1", "k", "u", ["a", "b"])
    await src.close()
    assert _cli(cfg, "migrate", "--to", url, "--schema", schema).returncode == 0
    assert _cli(cfg, "verify", "--to", url, "--schema", schema).returncode == 0
    src = await Store.open_sqlite(tmp_path / "data" / "recbot.db")
    await src.conversations.add_turn("t", "k", "u", "user", "written by an instance that was not stopped")
    await src.close()
    out = _cli(cfg, "verify", "--to", url, "--schema", schema)
    assert out.returncode == 1
    assert [ln.split()[0] for ln in out.stdout.splitlines() if ln.endswith("MISMATCH")] == ["turns"]
    assert "turns: sqlite 1, postgresql 0" in out.stderr and "Stop every instance" in out.stderr


def test_migrate_refuses_a_missing_source_and_a_non_postgresql_target(tmp_path: Path) -> None:
    cfg = write_config(tmp_path)
    out = _cli(cfg, "migrate", "--to", "postgresql://nobody@127.0.0.1:1/x")
    assert out.returncode == 2 and "no SQLite store at" in out.stderr
    assert not (tmp_path / "data" / "recbot.db").exists()  # and it did not create an empty one
    out = _cli(cfg, "migrate")
    assert out.returncode == 2 and "--to postgresql://" in out.stderr


async def test_tables_of_later_migrations_are_copied_in_foreign_key_order(
        tmp_path: Path, pg_schema: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A migration this module has never heard of: a child table whose name sorts before its parent."""
    from core.store import migrations

    url, schema = pg_schema
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, [
        "CREATE TABLE zz_lists (list_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, title TEXT NOT NULL)",
        """CREATE TABLE aa_list_items (id INTEGER PRIMARY KEY AUTOINCREMENT,
            list_id TEXT NOT NULL REFERENCES zz_lists (list_id), item_id TEXT NOT NULL, pos INTEGER NOT NULL,
            score REAL)""",
    ]])
    src = await Store.open_sqlite(tmp_path / "src.db")
    for n in range(5):
        await src.db.execute("INSERT INTO zz_lists VALUES (?, ?, ?)", (f"l{n}", "t", f"list {n}"))
        for p in range(7):
            await src.db.execute("INSERT INTO aa_list_items (list_id, item_id, pos, score) VALUES (?, ?, ?, ?)",
                                 (f"l{n}", f"i{p}", p, p / 3))
    dst = await Store.open_url(url, tmp_path / "unused.db", schema)
    seen: list[str] = []
    report = await copy_store(src.db, dst.db, batch_size=4,
                              progress=lambda t, done, total: seen.append(t) if done == 0 else None)
    assert seen.index("zz_lists") < seen.index("aa_list_items")  # the FK is enforced on PostgreSQL
    assert {c.table: c.target for c in report.counts}["aa_list_items"] == 35 and not report.mismatches
    assert "aa_list_items.id" in report.sequences_reset
    await dst.db.execute("INSERT INTO aa_list_items (list_id, item_id, pos) VALUES (?, ?, ?)", ("l0", "new", 9))
    with pytest.raises(TargetNotEmpty, match="aa_list_items: 36"):
        await copy_store(src.db, dst.db)

    # The way back works with the same code: PostgreSQL -> a fresh SQLite file, identical rows.
    back = await Store.open_sqlite(tmp_path / "back.db")
    report = await copy_store(dst.db, back.db, batch_size=10)
    assert not report.mismatches and report.sequences_reset == []
    assert await back.db.fetchall("SELECT * FROM aa_list_items ORDER BY id") == \
        await dst.db.fetchall("SELECT * FROM aa_list_items ORDER BY id")
    for s in (src, dst, back):
        await s.close()


async def test_schema_mismatch_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.store import migrations

    old = await Store.open_sqlite(tmp_path / "old.db")
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, ["CREATE TABLE extra (x TEXT)"]])
    new = await Store.open_sqlite(tmp_path / "new.db")
    with pytest.raises(CopyError, match="schema versions differ"):
        await copy_store(old.db, new.db)
    await old.close()
    await new.close()


def test_dependency_order_is_stable_and_rejects_cycles() -> None:
    refs = {"b": {"c"}, "a": {"c", "a"}, "c": set(), "d": {"missing"}}
    assert dependency_order(["a", "b", "c", "d"], refs) == ["c", "d", "a", "b"]
    with pytest.raises(CopyError, match="cycle"):
        dependency_order(["x", "y"], {"x": {"y"}, "y": {"x"}})
