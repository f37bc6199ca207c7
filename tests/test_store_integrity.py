"""A damaged SQLite file is refused at start with a clear message (item 11 of issue 15), and when the
store fails mid-message the reply does not claim that nothing was lost."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiosqlite
import pytest

from bot.config import load_config
from bot.wiring import build_app
from core import texts
from core.store.db import StoreDamaged, check_integrity
from core.store.store import Store
from tests.conftest import ROOT
from tests.helpers import msg, write_config


async def _filled(path: Path, turns: int = 300) -> None:
    store = await Store.open_sqlite(path)
    for i in range(turns):
        await store.conversations.add_turn("t", "c", "u", "user", "x" * 200 + str(i))
    await store.close()


def _corrupt_a_page_of(path: Path, table: str = "turns") -> None:
    """Overwrite the header of one b-tree leaf page of ``table``: the file still opens and migrates,
    the damage shows only when that page is read."""
    con = sqlite3.connect(path)
    pages = [r[0] for r in con.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'",
                                       (table,))]
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    with open(path, "r+b") as f:
        f.seek(page_size * (pages[len(pages) // 2] - 1))
        f.write(b"\xff" * 64)


async def test_a_damaged_file_is_refused_at_open(tmp_path: Path) -> None:
    db = tmp_path / "recbot.db"
    await _filled(db)
    _corrupt_a_page_of(db)
    with pytest.raises(StoreDamaged, match="is damaged"):
        await Store.open_sqlite(db)


async def test_a_healthy_file_opens_and_a_slow_check_gives_up_without_refusing(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "recbot.db"
    await _filled(db)
    await (await Store.open_sqlite(db)).close()  # opens: no exception (closed: its thread would keep pytest alive)
    conn = await aiosqlite.connect(str(db))
    try:
        with caplog.at_level(logging.WARNING, "recbot.store"):
            await check_integrity(conn, db, within_s=-1.0)  # already out of time at the first look
        assert "integrity check stopped" in caplog.text
    finally:
        await conn.close()


def test_recbot_refuses_a_damaged_database_without_a_traceback(tmp_path: Path) -> None:
    cfg = write_config(tmp_path)
    db = load_config(cfg).sqlite_path
    asyncio.run(_filled(db))
    _corrupt_a_page_of(db)
    run = subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), "chat"], input=b"I loved Alien\n",
                         capture_output=True, cwd=ROOT, timeout=300)
    err = run.stderr.decode()
    assert run.returncode != 0 and "is damaged" in err and str(db) in err
    assert "Traceback" not in err
    assert texts.INTERNAL_ERROR not in run.stdout.decode()


async def test_a_store_failure_mid_message_does_not_claim_nothing_was_lost(tmp_path: Path) -> None:
    app = await build_app(load_config(write_config(tmp_path)))
    try:
        async def broken(*_a: object, **_k: object) -> int:
            raise sqlite3.DatabaseError("database disk image is malformed")

        app.store.db.execute = broken  # type: ignore[method-assign]
        (reply,) = await app.core.handle(msg("I loved Alien"))
        assert "could not save" in reply.text and "Nothing you told me was lost" not in reply.text
    finally:
        del app.store.db.execute
        await app.aclose()


async def test_the_apology_says_nothing_was_lost_only_when_so(tmp_path: Path) -> None:
    from core.events import ButtonAction
    from tests.helpers import button

    app = await build_app(load_config(write_config(tmp_path)))
    try:
        (shown,) = await app.core.handle(msg("a funny movie"))

        async def broken(*_a: object, **_k: object) -> object:
            raise RuntimeError("a bug")

        # A message that fails after its words and stated likes were stored: the claim is true.
        real = app.core.recommender.recommend
        app.core.recommender.recommend = broken  # type: ignore[method-assign]
        (reply,) = await app.core.handle(msg("I loved Alien, recommend something like it", user="ann"))
        app.core.recommender.recommend = real  # type: ignore[method-assign]
        assert reply.text == texts.INTERNAL_ERROR
        assert [p.item_id for p in await app.store.prefs.for_user("t1", "ann")] == ["m-alien-1979"]
        # A button press that fails before its like was written: no such claim.
        app.store.recs.get = broken  # type: ignore[method-assign]
        (reply,) = await app.core.handle(button(ButtonAction.LIKE, shown.rec_id or "", shown.items[0].item_id,
                                                user="bob"))
        assert "Nothing you told me was lost" not in reply.text and "could not record" in reply.text
        assert await app.store.prefs.for_user("t1", "bob") == []
    finally:
        await app.aclose()
