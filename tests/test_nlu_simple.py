"""The keyword parser (`[nlu] parser = "simple"`): what it claims to have noted is what it stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from bot.wiring import build_app
from core.feedback import aggregate
from core.nlu.simple import SimpleParser
from core.nlu.types import NluContext
from core.recommend.catalog import bundled_catalog
from tests.helpers import msg, write_config


@pytest.mark.parametrize(("text", "sign"), [
    ("I loved Alien", 1), ("Alien was great, honestly", 1), ("I really enjoyed heat", 1),
    ("I hated Alien", -1), ("alien was boring", -1), ("Heat was awful", -1),
])
async def test_a_stated_stance_is_stored(tmp_path: Path, text: str, sign: int) -> None:
    app = await build_app(load_config(write_config(tmp_path)))  # engines = simple
    try:
        replies = await app.core.handle(msg(text, user="ann"))
        totals = aggregate(await app.store.prefs.for_user("t1", "ann"))
        assert totals, f"{text!r}: nothing stored, but the reply says {replies[0].text!r}"
        assert all(v * sign > 0 for v in totals.values()), totals
    finally:
        await app.aclose()


async def test_no_stance_no_claim(tmp_path: Path) -> None:
    """A title with no opinion about it is not 'noted'."""
    app = await build_app(load_config(write_config(tmp_path)))
    try:
        (reply,) = await app.core.handle(msg("what do you think of Alien", user="bob"))
        assert await app.store.prefs.for_user("t1", "bob") == []
        assert "noted how you feel" not in reply.text
        # "already seen" is a stance of its own: stored as seen (value 0, never a like), and said so.
        await app.core.handle(msg("already seen Alien", user="bob"))
        assert [(p.value, p.kind) for p in await app.store.prefs.for_user("t1", "bob")] == [(0.0, "seen")]
    finally:
        await app.aclose()


def test_mentions_carry_their_own_clause_sentiment() -> None:
    parser = SimpleParser(bundled_catalog())
    u = parser.parse("I loved Alien but Heat was boring", NluContext(()))
    by_title = {m.surface: m.sentiment for m in u.items}
    assert by_title["alien"] > 0 > by_title["heat"], by_title
