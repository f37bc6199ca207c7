"""Forget is complete and export shows exactly what forget removes (issue 14).

After "forget me" a dump of every table (on SQLite also the database and WAL files' bytes, and the
digest scheduler's job store) holds none of the person's words, the items shown to them, or their id.
Runs on SQLite and, with RECBOT_TEST_PG_URL, on PostgreSQL.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.config import load_config
from bot.wiring import App, build_app
from core.events import ButtonAction, ButtonPress, Command, Message, Reaction, Reply
from core.store.copy import list_tables
from tests.conftest import ROOT, pg_url_or_skip, write_config

WORD = "quetzalflux"  # appears nowhere in the catalog or the bot's own texts
ALICE, BOB = "alice-q7", "bob-k2"
_ids = iter(range(1, 10**6))


@pytest.fixture(params=["sqlite", "postgresql"])
async def app(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[App]:
    schema = f"pv_{uuid.uuid4().hex[:12]}"
    url = pg_url_or_skip() if request.param == "postgresql" else ""
    store = f'[store]\nurl = "{url}"\nschema = "{schema}"\n' if url else ""
    built = await build_app(load_config(write_config(tmp_path, "[limits]\nmessages_per_minute = 0\n" + store)))
    await built.start_background()  # the digest scheduler with its persistent job store
    try:
        yield built
    finally:
        await built.aclose()
        if url:
            conn = await asyncpg.connect(url)
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            await conn.close()


def _where(user: str, dm: bool, channel: str) -> dict[str, Any]:
    platform, tenant = ("console", "local") if dm else ("test", "g1")
    return {"platform": platform, "tenant": tenant, "channel": channel, "user": user,
            "event_id": f"ev{next(_ids)}", "user_name": user, "is_dm": dm}


async def say(app: App, text: str, user: str = ALICE, dm: bool = True, channel: str = "c1") -> Reply:
    replies = await app.core.handle(Message(**_where(user, dm, channel), text=text))
    assert replies, text
    for r in replies:
        if r.rec_id:
            await app.core.message_posted(r, f"msg-{next(_ids)}")
    return replies[0]


async def dump(app: App) -> dict[str, list[dict[str, Any]]]:
    db = app.store.db
    return {t: await db.fetch_dicts(f"SELECT * FROM {t}") for t in await list_tables(db)}


def cells_with(tables: dict[str, list[dict[str, Any]]], needles: list[str]) -> list[str]:
    return [f"{t}: {row}" for t, rows in tables.items() for row in rows
            if any(n in str(v) for v in row.values() for n in needles)]


def shown_needles(app: App, replies: list[Reply]) -> list[str]:
    """Item ids, and titles long enough not to occur by chance, of every list in ``replies``."""
    out: list[str] = []
    for r in replies:
        for v in r.items:
            out.append(v.item_id)
            if len(v.title) >= 8:
                out.append(v.title)
    return out


async def _dm_history(app: App) -> list[Reply]:
    first = await say(app, f"I love {WORD} and want a funny movie from the 80s")
    assert first.items, first.text
    second = await say(app, "more")
    await app.core.handle(ButtonPress(**_where(ALICE, True, "c1"), action=ButtonAction.LIKE,
                                      rec_id=second.rec_id or "", item_id=second.items[1].item_id))
    await app.core.message_posted(second, "msg-second")
    # A Discord reaction's event id embeds the reacting user's id: it must not be stored as is.
    await app.core.handle(Reaction(**{**_where(ALICE, True, "c1"), "event_id": f"msg-second:{ALICE}:👍:+:1.5"},
                                   message_id="msg-second", emoji="👍"))
    await say(app, "I loved Alien, it was great")
    await app.core.handle(Command(**_where(ALICE, True, "c1"), name="digest", args="subscribe daily at 09:00"))
    await app.core.handle(Command(**_where(ALICE, True, "c1"), name="prefs", args="export"))
    return [first, second]


def _jobs(app: App) -> list[str]:
    assert app.scheduler is not None
    return [j.id for j in app.scheduler.scheduler.get_jobs(jobstore="default")]


async def test_forget_in_a_dm_leaves_no_row_with_their_words_items_or_id(app: App, tmp_path: Path) -> None:
    lists = await _dm_history(app)
    needles = [WORD, ALICE, *shown_needles(app, lists)]
    assert cells_with(await dump(app), needles)  # the setup did store them
    assert _jobs(app)  # the subscription's job is persisted

    gone = await say(app, "forget me")
    assert "deleted" in gone.text

    assert cells_with(await dump(app), needles) == []
    assert _jobs(app) == []  # removed at once, not at the next start's sync
    if app.store.db.dialect == "sqlite":
        data = tmp_path / "data"
        for f in (data / "recbot.db", data / "recbot.db-wal"):
            raw = f.read_bytes() if f.exists() else b""
            assert WORD.encode() not in raw and ALICE.encode() not in raw, f
        con = sqlite3.connect(data / "scheduler.db")
        assert con.execute("SELECT COUNT(*) FROM apscheduler_jobs").fetchone() == (0,)
        con.close()
    # `more` starts afresh: nothing of the forgotten list continues.
    fresh = await say(app, "more")
    state = json.loads((await dump(app))["conversations"][0]["state"])
    assert state["shown"] == [v.item_id for v in fresh.items]
    assert WORD not in json.dumps(state)


async def test_forget_in_a_shared_channel_removes_their_part_and_keeps_the_others(app: App) -> None:
    mine = await say(app, f"a funny movie about {WORD}", dm=False)
    theirs = await say(app, "a scary movie", user=BOB, dm=False)
    more = await say(app, "more", dm=False)
    only_mine = [n for n in shown_needles(app, [mine, more]) if n not in shown_needles(app, [theirs])]
    assert only_mine

    await say(app, "forget me", dm=False)

    after = await dump(app)
    assert cells_with(after, [WORD, ALICE, *only_mine]) == []
    # Bob keeps his words, his list and the replies to him; the replies to Alice are redacted.
    assert any(t["user_id"] == BOB and t["text"] == "a scary movie" for t in after["turns"])
    assert any(r["user_id"] == BOB for r in after["recommendations"])
    replies = [t for t in after["turns"] if t["role"] == "bot"]
    assert any(t["addressed_to"] == BOB and theirs.text in t["text"] for t in replies)
    assert sum(t["text"].startswith("[redacted") for t in replies) >= 2  # Alice's two lists (the forget reply is new)
    state = json.loads(after["conversations"][0]["state"])
    assert set(state["shown"]) >= {v.item_id for v in theirs.items}


def _norm(table: str, row: dict[str, Any]) -> str:
    row = dict(row)
    if table == "conversations" and isinstance(row.get("state"), str):
        row["state"] = json.loads(row["state"])
    return json.dumps(row, sort_keys=True, default=str)


async def test_export_lists_exactly_what_forget_removes(app: App) -> None:
    await _dm_history(app)
    await say(app, f"a funny movie about {WORD}", dm=False)
    await say(app, "a scary movie", user=BOB, dm=False)
    shared = await say(app, "more", dm=False)
    await app.core.handle(Reaction(**_where(BOB, False, "c1"), message_id="msg-x", emoji="👍"))
    await app.core.handle(ButtonPress(**_where(ALICE, False, "c1"), action=ButtonAction.DISLIKE,
                                      rec_id=shared.rec_id or "", item_id=shared.items[0].item_id))
    exported = {}
    for tenant in ("local", "g1"):
        exported[tenant] = json.loads(json.dumps(await app.store.export_user(tenant, ALICE), default=str))
    before = await dump(app)
    for tenant in ("local", "g1"):
        await app.store.forget_user(tenant, ALICE)
    after = await dump(app)

    for table in before:
        gone = Counter(_norm(table, r) for r in before[table]) - Counter(_norm(table, r) for r in after[table])
        listed = Counter(_norm(table, r) for e in exported.values() for r in e.get(table, []))
        if table == "conversations":  # a shared state is changed, not deleted: its old row goes
            scrubbed = {p["conv_key"] for e in exported.values() for p in e["conversations_shared"]}
            listed += Counter(_norm(table, r) for r in before[table] if r["conv_key"] in scrubbed)
        assert gone == listed, table  # every removed or changed row is in the export, and only those
    # The shared state changed exactly by the exported part.
    (part,) = exported["g1"]["conversations_shared"]
    old = next(json.loads(r["state"]) for r in before["conversations"] if r["conv_key"] == part["conv_key"])
    new = next(json.loads(r["state"]) for r in after["conversations"] if r["conv_key"] == part["conv_key"])
    assert [i for i in old["shown"] if i not in part["removed"].get("shown", [])] == new["shown"]
    assert part["removed"]["request"] == {"query": ["more"], "reset": True}  # her words only, not Bob's
    assert new["query"] == [] and WORD not in json.dumps(new) and ALICE not in json.dumps(new)
    assert exported["local"]["conversations"] and exported["local"]["posted_messages"]
    assert any(t["role"] == "bot" for t in exported["local"]["turns"])  # the replies to her are hers


def _chat(cfg: Path, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), "chat", "--user", ALICE],
                          input=stdin, capture_output=True, cwd=ROOT, timeout=300)


def test_terminal_forget_me_end_to_end(tmp_path: Path) -> None:
    """As the issue's reviewer runs it: a private terminal chat, a unique word, a list, /like 2,
    /prefs export, "forget me"; then every table is searched for the word and the shown items."""
    cfg = write_config(tmp_path)
    run = _chat(cfg, f"recommend me a funny movie about {WORD}\n/like 2\n/prefs export\nforget me\n".encode())
    assert run.returncode == 0, run.stderr.decode()
    out = run.stdout.decode()
    titles = re.findall(r"^\s+\d\. (.+?) \(\d{4}\) — ", out, re.M)
    assert len(titles) >= 3 and "deleted" in out
    exports = tmp_path / "data" / "exports"
    assert not exports.exists() or list(exports.iterdir()) == []  # the export file went with the rest
    con = sqlite3.connect(tmp_path / "data" / "recbot.db")
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    needles = [WORD, ALICE, *(t for t in titles if len(t) >= 8)]
    found = [(t, row) for t in tables for row in con.execute(f"SELECT * FROM {t}")
             if any(n in str(c) for c in row for n in needles)]
    con.close()
    assert found == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_schema_v5_finds_the_addressee_of_replies_stored_before_it(tmp_path: Path, backend: str) -> None:
    from core.store.db import SqliteDatabase
    from core.store.migrations import MIGRATIONS, _ddl, migrate
    from core.store.pg import PostgresDatabase

    schema = f"mg_{uuid.uuid4().hex[:12]}"
    db: Any = (await PostgresDatabase.open(pg_url_or_skip(), schema) if backend == "postgresql"
               else await SqliteDatabase.open(tmp_path / "old.db"))
    try:
        async with db.transaction() as tx:  # a v4 database, as the previous release left it
            await tx.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
            for version, steps in enumerate(MIGRATIONS[:4], start=1):
                for stmt in steps:
                    await tx.execute(_ddl(db, stmt))
                await tx.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        for conv, user, role in [("k1", ALICE, "user"), ("k1", None, "bot"), ("k1", BOB, "user"),
                                 ("k1", None, "bot"), ("k1", None, "bot"), ("k2", None, "bot")]:
            await db.execute("INSERT INTO turns (tenant, conv_key, user_id, role, text, ts) "
                             "VALUES ('t', ?, ?, ?, 'x', 0)", (conv, user, role))
        assert await migrate(db) == len(MIGRATIONS)
        rows = await db.fetchall("SELECT addressed_to FROM turns WHERE role = 'bot' ORDER BY id")
        assert [r[0] for r in rows] == [ALICE, BOB, BOB, None]  # a reply answers whoever spoke last
    finally:
        if backend == "postgresql":
            await db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await db.close()


def test_forget_user_cli_removes_the_terminal_export_files_too(tmp_path: Path) -> None:
    cfg = write_config(tmp_path)
    run = _chat(cfg, f"a funny movie about {WORD}\n/prefs export\n/prefs export\n".encode())
    assert run.returncode == 0, run.stderr.decode()
    files = list((tmp_path / "data" / "exports").iterdir())
    assert len(files) == 2 and all(f.stat().st_mode & 0o777 == 0o600 for f in files)  # one per export
    assert WORD in files[0].read_text(encoding="utf-8")
    forgot = subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), "forget-user", ALICE],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert forgot.returncode == 0, forgot.stderr
    assert json.loads(forgot.stdout)["deleted"]["export files"] == 2
    assert list((tmp_path / "data" / "exports").iterdir()) == []
    con = sqlite3.connect(tmp_path / "data" / "recbot.db")
    assert con.execute("SELECT COUNT(*) FROM turns").fetchone() == (0,)
    con.close()


async def test_a_failing_clean_up_step_is_reported_and_the_rows_are_still_gone(tmp_path: Path) -> None:
    from core.store.privacy import Forgotten
    from core.store.store import Store

    store = await Store.open_sqlite(tmp_path / "s.db")
    try:
        await store.conversations.add_turn("t", "k", ALICE, "user", WORD)

        async def broken(gone: Forgotten) -> tuple[str, int] | None:
            raise OSError("job store unreachable")

        store.forget_hooks.append(broken)
        counts = await store.forget_user("t", ALICE)
        assert counts["turns"] == 1 and counts["cleanup_failed"] == 1
        assert "failed" in store.label("cleanup_failed")
        assert await store.db.fetchall("SELECT * FROM turns") == []
    finally:
        await store.close()


async def test_a_shared_state_naming_them_is_scrubbed_after_their_turns_were_pruned(tmp_path: Path) -> None:
    from core.store.store import Store

    store = await Store.open_sqlite(tmp_path / "s.db")
    try:
        state = {"query": [f"films about {WORD}", "something calm"], "query_by": [ALICE, BOB], "genres": ["drama"]}
        await store.conversations.save_state("g1", "test:g1:c1:", state)  # no turn, list or evidence left
        exported = await store.export_user("g1", ALICE)
        assert exported["conversations_shared"][0]["removed"]["request"]["query"] == [f"films about {WORD}"]
        assert (await store.forget_user("g1", ALICE))["conversations_scrubbed"] == 1
        after = await store.conversations.load_state("g1", "test:g1:c1:")
        assert after is not None and WORD not in json.dumps(after) and ALICE not in json.dumps(after)
    finally:
        await store.close()
