"""Two bot instances (two build_app) on one PostgreSQL schema, as behind a load balancer.

The PostgreSQL tests skip without RECBOT_TEST_PG_URL (CI starts a throwaway cluster). The Store suite
itself runs on both backends through the store_factory fixture (tests/test_store.py).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from bot.config import load_config
from bot.wiring import App, build_app
from core.events import ButtonAction
from tests.conftest import ROOT, pg_url_or_skip, write_config
from tests.helpers import button, msg, reaction


@asynccontextmanager
async def _two_apps(tmp_path: Path, body: str, backend: str = "postgresql") -> AsyncIterator[tuple[App, App]]:
    """Two build_app instances on one store (a fresh PostgreSQL schema, or one SQLite file), started
    at the same moment as a fresh deployment would be; closed, and the schema dropped, afterwards."""
    schema = f"so_{uuid.uuid4().hex[:12]}"
    url = pg_url_or_skip() if backend == "postgresql" else ""
    store = f'[store]\nurl = "{url}"\nschema = "{schema}"\n' if url else ""
    cfg = load_config(write_config(tmp_path, body + store))
    a, b = await asyncio.gather(build_app(cfg), build_app(cfg))
    try:
        yield a, b
    finally:
        await a.aclose()
        await b.aclose()
        if url:
            conn = await asyncpg.connect(url)
            try:
                await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            finally:
                await conn.close()


@pytest.fixture
async def two_instances(tmp_path: Path) -> AsyncIterator[tuple[App, App]]:
    async with _two_apps(tmp_path, "[limits]\nmessages_per_minute = 0\n") as apps:
        yield apps


async def _count(app: App, sql: str, *params: object) -> int:
    row = await app.store.db.fetchone(sql, params)
    assert row is not None
    return int(row[0])


async def test_same_event_delivered_to_both_instances_gets_exactly_one_reply(two_instances) -> None:
    a, b = two_instances
    events = [msg("recommend me a funny movie from the 80s", channel=f"c{n}", user=f"u{n}") for n in range(12)]
    results = await asyncio.gather(*(asyncio.gather(a.core.handle(ev), b.core.handle(ev)) for ev in events))
    for ra, rb in results:
        assert (ra == []) != (rb == [])  # one instance answered, the other saw a duplicate
        replies = ra or rb
        assert replies[0].items and replies[0].text.strip()
    # Processed once: one user turn and one recommendation per event, not two.
    assert await _count(a, "SELECT COUNT(*) FROM turns WHERE role = ?", "user") == len(events)
    assert await _count(b, "SELECT COUNT(*) FROM recommendations") == len(events)


async def test_same_button_press_delivered_twice_counts_once(two_instances) -> None:
    a, b = two_instances
    rec = (await a.core.handle(msg("a sci-fi movie", channel="btn")))[0]
    press = button(ButtonAction.LIKE, rec.rec_id or "", rec.items[0].item_id, channel="btn")
    ra, rb = await asyncio.gather(a.core.handle(press), b.core.handle(press))
    assert sorted([len(ra), len(rb)]) == [0, 1]
    assert await _count(b, "SELECT COUNT(*) FROM preferences WHERE kind = ?", "button") == 1


async def test_concurrent_reactions_from_both_instances_none_lost(two_instances) -> None:
    a, b = two_instances
    rec = (await a.core.handle(msg("recommend me a funny movie from the 80s", channel="r")))[0]
    await a.core.message_posted(rec, "posted-r")
    n_users = 40
    reacts = [reaction("posted-r", "👍" if n % 3 else "👎", channel="r", user=f"r{n}") for n in range(n_users)]
    # Each reaction goes to one instance, alternating, all at once; and every event is delivered a
    # second time to the other instance (a platform retry landing elsewhere).
    await asyncio.gather(*((a, b)[n % 2].core.handle(ev) for n, ev in enumerate(reacts)),
                         *((b, a)[n % 2].core.handle(ev) for n, ev in enumerate(reacts)))
    assert await _count(a, "SELECT COUNT(*) FROM reactions WHERE message_id = ?", "posted-r") == n_users
    per_item = await _count(b, "SELECT COUNT(*) FROM preferences WHERE kind = ?", "reaction")
    assert per_item == n_users * len(rec.items)  # a list reaction is evidence for each item on it
    for n in (0, 1, 2, 39):
        summary = await (a, b)[n % 2].core.user_summary("t1", f"r{n}")
        labels = summary.likes if n % 3 else summary.dislikes
        assert rec.items[0].label() in labels


async def test_a_conversation_continues_on_whichever_instance_gets_the_next_message(two_instances) -> None:
    a, b = two_instances
    first = (await a.core.handle(msg("a funny movie from the 80s", channel="lb")))[0]
    more = (await b.core.handle(msg("more", channel="lb")))[0]
    assert more.items and all(1980 <= (i.year or 0) <= 1989 for i in more.items)  # constraints from A
    assert not {i.item_id for i in first.items} & {i.item_id for i in more.items}
    history = (await a.core.handle(msg("what did you recommend before?", channel="lb")))[0]
    assert first.items[0].title in history.text and more.items[0].title in history.text


async def test_nul_characters_in_ids_and_names_get_a_normal_reply_on_postgresql(two_instances) -> None:
    """SQLite stores NUL in text, PostgreSQL refuses it: the PG store replaces it instead of failing."""
    from dataclasses import replace

    a, _ = two_instances
    ev = replace(msg("a funny movie", channel="nul\x00chan", user="nul\x00user"), user_name="bad\x00name")
    replies = await a.core.handle(ev)
    assert replies[0].items, replies[0].text
    assert await a.core.handle(ev) == []  # and its (sanitized) event id still dedupes


async def test_export_and_forget_user_cli_act_on_the_shared_postgresql_store(two_instances, tmp_path: Path) -> None:
    a, b = two_instances
    await a.core.handle(msg("recommend me a funny movie from the 80s", channel="gdpr", user="leaver"))
    await b.core.handle(msg("a sci-fi movie", channel="gdpr", user="stayer"))
    cfg = tmp_path / "recbot.toml"  # the config the instances were built from

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), *args, "--tenant", "t1"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)

    exported = cli("export-user", "leaver")
    assert exported.returncode == 0, exported.stderr
    turns = json.loads(exported.stdout)["turns"]  # their words, and the bot's replies to them
    assert [t["text"] for t in turns if t["role"] == "user"] == ["recommend me a funny movie from the 80s"]
    assert [t["addressed_to"] for t in turns if t["role"] == "bot"] == ["leaver"]
    forgot = cli("forget-user", "leaver")
    assert forgot.returncode == 0 and json.loads(forgot.stdout)["deleted"]["recommendations"] == 1
    assert await _count(b, "SELECT COUNT(*) FROM turns WHERE user_id = ?", "leaver") == 0
    assert await _count(b, "SELECT COUNT(*) FROM turns WHERE user_id = ?", "stayer") == 1
    assert not (tmp_path / "data" / "recbot.db").exists()  # nothing went to a stray local SQLite file


async def test_two_connections_on_one_sqlite_file_never_fail_with_database_is_locked(tmp_path: Path) -> None:
    """SQLite is single-instance, but a CLI (forget-user, store migrate) may open the file next to a
    running bot. Reads interleaved with another connection's commits must not break the next write."""
    from core.store.store import Store

    a, b = await Store.open_sqlite(tmp_path / "s.db"), await Store.open_sqlite(tmp_path / "s.db")

    async def reads(s: Store) -> None:
        for _ in range(40):
            await s.conversations.recent_turns("t", "k", 50)

    async def writes(s: Store, who: str) -> None:
        for i in range(40):
            await s.conversations.add_turn("t", "k", who, "user", f"{who}{i}")

    for _ in range(4):
        await asyncio.gather(reads(a), writes(a, "a"), writes(b, "b"), reads(b))
    assert len(await a.conversations.recent_turns("t", "k", 1000)) == 4 * 80
    await a.close()
    await b.close()


async def test_instances_starting_together_on_a_fresh_schema_all_come_up(tmp_path: Path) -> None:
    """CREATE SCHEMA IF NOT EXISTS races on pg_namespace; PostgresDatabase.open takes turns instead."""
    from core.store.migrations import MIGRATIONS, schema_version
    from core.store.store import Store

    url = pg_url_or_skip()
    conn = await asyncpg.connect(url)
    try:
        for _ in range(8):
            schema = f"so_{uuid.uuid4().hex[:12]}"
            try:
                # return_exceptions: a failed start must not leave the others running past the DROP.
                opened = await asyncio.gather(*(Store.open_url(url, tmp_path / "unused.db", schema)
                                                for _ in range(4)), return_exceptions=True)
                stores = [s for s in opened if isinstance(s, Store)]
                versions = [await schema_version(s.db) for s in stores]
                for s in stores:
                    await s.close()
                assert [e for e in opened if not isinstance(e, Store)] == []
                assert versions == [len(MIGRATIONS)] * 4
            finally:
                await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


def test_store_backends_bench_quick_runs_on_both_backends() -> None:
    url = pg_url_or_skip()
    out = subprocess.run([sys.executable, "benchmarks/store_backends.py", "--quick", "--json", "--pg-url", url],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = json.loads(out.stdout.strip().splitlines()[-1])
    assert [(r["backend"], r["instances"]) for r in rows] == [
        ("sqlite", 1), ("sqlite", 2), ("postgresql", 1), ("postgresql", 2)]
    for r in rows:
        assert r["events"] == 16 * 8 and r["errors"] == 0
        assert r["msgs_per_s"] > 0 and r["p99_ms"] >= r["p50_ms"] > 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_concurrent_turns_in_one_channel_on_two_instances_lose_nothing_shown(tmp_path: Path,
                                                                                   backend: str) -> None:
    """Both instances load the same state, recommend, and save: the second save used to overwrite the
    first (last writer wins), so the first list's items could be recommended again. Now the stored
    state holds everything either one showed."""
    from core.state import load_conversation

    async with _two_apps(tmp_path, "[limits]\nmessages_per_minute = 0\n", backend) as (a, b):
        pairs = [("recommend me a funny movie", "recommend a scary movie"),
                 ("a sci-fi movie please", "a romantic movie"), ("a crime thriller", "an animated film")]
        for n, (ask_a, ask_b) in enumerate(pairs):
            ev_a, ev_b = msg(ask_a, channel=f"race{n}", user="u1"), msg(ask_b, channel=f"race{n}", user="u2")
            ra, rb = await asyncio.gather(a.core.handle(ev_a), b.core.handle(ev_b))
            shown = {v.item_id for r in ra + rb for v in r.items}
            assert len(shown) > 5  # both answered with lists
            state = await load_conversation(a.store.conversations, ev_a.tenant, ev_a.key.as_str())
            assert shown <= set(state.shown)
            assert state.version == 2  # two saves, neither lost


async def test_a_flood_split_across_two_instances_is_limited_once(tmp_path: Path) -> None:
    """[limits] on PostgreSQL: both instances spend from one bucket per person (not burst each)."""
    from core import texts

    async with _two_apps(tmp_path, "[limits]\nmessages_per_minute = 1\nburst = 3\n") as (a, b):
        flood = [msg(f"recommend a movie #{n}", channel=f"c{n}", user="flooder") for n in range(10)]
        replies = await asyncio.gather(*((a if n % 2 else b).core.handle(ev) for n, ev in enumerate(flood)))
        slowed = [r for r in replies if r and r[0].text == texts.SLOW_DOWN]
        assert len(slowed) == len(flood) - 3
        other = await a.core.handle(msg("recommend a movie", channel="c99", user="someone-else"))
        assert other[0].text != texts.SLOW_DOWN
