"""SIGKILL at random points during a storm of messages, button presses and reactions (handled 8 at a
time): every event is either fully recorded with its id claimed, or unclaimed so that the platform's
retry records it. Checked on what the bot learned (each person's stored preferences and taste), not only
on raw rows, and exactly once: the retries and duplicate deliveries add nothing twice."""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bot.config import load_config
from core.feedback import FeedbackService, aggregate
from core.recommend.catalog import bundled_catalog
from core.store.effects import event_key
from core.store.store import Store
from tests.conftest import ROOT, write_config
from tests.crash_worker import ROUND, seed_message_id

ROUNDS = 5


def _worker(cfg: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.crash_worker", str(cfg), *args], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _storm_and_kill(cfg: Path, rng: random.Random) -> tuple[set[str], set[str]]:
    """Rounds of storm + SIGKILL; returns (events begun, events acknowledged)."""
    begun: set[str] = set()
    acked: set[str] = set()

    def take(line: str) -> None:
        word, _, event_id = line.strip().partition(" ")
        (begun if word == "BEGIN" else acked if word == "ACK" else set()).add(event_id)

    for round_ in range(ROUNDS):
        proc = _worker(cfg, "storm", str(round_ * ROUND), "50000")
        assert proc.stdout is not None and proc.stdin is not None
        proc.stdin.close()
        assert proc.stdout.readline().strip() == "READY"
        deadline = time.monotonic() + rng.uniform(0.3, 1.5)
        while time.monotonic() < deadline and (line := proc.stdout.readline()):
            take(line)
        proc.send_signal(signal.SIGKILL)
        for line in proc.stdout.read().splitlines():  # written before the kill: acknowledged too
            take(line)
        proc.wait()
    return begun, acked


def _redeliver(cfg: Path, event_ids: list[str]) -> None:
    proc = _worker(cfg, "retry", "0", "0")
    out, _ = proc.communicate(" ".join(event_ids), timeout=600)
    assert proc.returncode == 0 and out.strip().endswith("DONE"), out[-500:]


async def _check_each_event_recorded_once(db: Path, events: set[str]) -> None:
    store = await Store.open_sqlite(db)
    catalog = bundled_catalog()
    taste = FeedbackService(store, catalog).taste
    alien = next(it for it in catalog if it.title == "Alien")
    try:
        claimed = {str(r[0]) for r in await store.db.fetchall("SELECT event_id FROM processed_events")}
        assert {event_key(e) for e in events} <= claimed, sorted(e for e in events if event_key(e) not in claimed)[:10]
        for event_id in sorted(events):
            kind, n = event_id[0], int(event_id[1:])
            user = f"u{kind}{n}"
            prefs = await store.prefs.for_user("t", user)
            learned = aggregate(prefs)
            likes, dislikes = await taste("t", user)
            if kind == "m":
                assert len(prefs) == 1 and learned.get(alien.item_id, 0) > 0, (event_id, prefs)
                assert likes == [alien.label()], (event_id, likes)
                turns = await store.db.fetchall("SELECT COUNT(*) FROM turns WHERE tenant = 't' AND user_id = ? "
                                                "AND role = 'user'", (user,))
                assert turns[0][0] == 1, (event_id, turns)
                continue
            found = await store.recs.by_message("t", "test", seed_message_id(n))
            assert found is not None
            rec = found[0]
            sign = (1 if n % 2 == 0 else -1) if kind == "b" else (1 if n % 2 else -1)
            if kind == "b":
                assert [(p.item_id, p.value, p.kind) for p in prefs] == [(rec.item_ids[0], float(sign), "button")], \
                    (event_id, prefs)
            else:
                assert sorted(p.item_id for p in prefs) == sorted(rec.item_ids), (event_id, prefs)
                assert all(p.value * sign > 0 and p.kind == "reaction" for p in prefs), (event_id, prefs)
                raw = await store.db.fetchall("SELECT COUNT(*) FROM reactions WHERE tenant = 't' AND user_id = ?",
                                              (user,))
                assert raw[0][0] == 1, (event_id, raw)
            assert (likes if sign > 0 else dislikes), (event_id, likes, dislikes)
        # Nothing was claimed without its effects: claimed events of the storm are exactly those checked.
        # (processed_events holds digests of the ids: the seed messages are "seed-<round start>".)
        seeds = {event_key(f"seed-{k * ROUND}") for k in range(ROUNDS + 1)}
        storm = claimed - seeds
        assert storm == {event_key(e) for e in events}, len(storm ^ {event_key(e) for e in events})
    finally:
        await store.close()


def test_sigkill_storm_loses_and_doubles_nothing(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "[limits]\nmessages_per_minute = 0\n")
    db = load_config(cfg).sqlite_path
    rng = random.Random(7)
    begun, acked = _storm_and_kill(cfg, rng)
    assert acked <= begun and len(acked) > 60  # the storm really ran
    assert {e[0] for e in acked} == {"m", "b", "r"}
    in_flight = sorted(begun - acked)
    assert in_flight  # the kills hit events mid-way
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    # The platform retries what was in flight, and a few acknowledged ones arrive again as duplicates.
    _redeliver(cfg, in_flight + rng.sample(sorted(acked), 30))
    asyncio.run(_check_each_event_recorded_once(db, begun))


class Crash(BaseException):
    """The process dying mid-event (a BaseException: the core's error handling does not catch it)."""


async def test_an_event_that_crashed_before_its_claim_is_handled_by_its_retry(tmp_path: Path) -> None:
    """The same window without SIGKILL's randomness: die inside the handling of a message (after its
    words were stored) and of a button press (before its preference was), then let the platform retry."""
    from bot.wiring import build_app
    from core.dialogue import DialogueCore
    from core.events import ButtonAction
    from tests.helpers import button, msg

    app = await build_app(load_config(write_config(tmp_path)))
    try:
        (shown,) = await app.core.handle(msg("a funny movie", user="seed"))
        assert shown.rec_id
        said = msg("I loved Alien", user="ann")
        pressed = button(ButtonAction.LIKE, shown.rec_id, shown.items[0].item_id, user="bob")

        async def die(*_a: object, **_k: object) -> None:
            raise Crash()

        real_words, real_get = DialogueCore._feedback_words, app.store.recs.get
        DialogueCore._feedback_words = die  # type: ignore[assignment,method-assign]
        app.store.recs.get = die  # type: ignore[assignment,method-assign]
        for ev in (said, pressed):
            try:
                await app.core.handle(ev)
                raise AssertionError("did not crash")
            except Crash:
                pass
        DialogueCore._feedback_words = real_words  # type: ignore[method-assign]
        app.store.recs.get = real_get  # type: ignore[method-assign]

        for ev in (said, pressed):  # the platform's retry: handled, answered
            (reply,) = await app.core.handle(ev)
            assert "noted" in reply.text.lower()
            assert await app.core.handle(ev) == []  # and a duplicate after that is not
        ann = await app.store.prefs.for_user("t1", "ann")
        assert [(p.item_id, p.kind) for p in ann] == [("m-alien-1979", "mention")] and ann[0].value > 0
        turns = await app.store.conversations.recent_turns("t1", said.key.as_str())
        assert [t.text for t in turns if t.user_id == "ann"] == ["I loved Alien"]
        bob = await app.store.prefs.for_user("t1", "bob")
        assert [(p.item_id, p.value) for p in bob] == [(shown.items[0].item_id, 1.0)]
    finally:
        await app.aclose()


async def test_a_crash_while_writing_the_effects_takes_the_claim_back(tmp_path: Path) -> None:
    """Claim and deferred effects share one transaction: dying half-way through them commits neither."""
    from bot.wiring import build_app
    from core.dialogue import DialogueCore
    from core.store.effects import current_effects
    from tests.helpers import msg

    app = await build_app(load_config(write_config(tmp_path)))
    real_words = DialogueCore._feedback_words
    try:
        async def dying_effect(tx: object) -> None:
            raise Crash()

        async def words_then_doomed_write(self: DialogueCore, *args: object):  # type: ignore[no-untyped-def]
            fx = current_effects()
            assert fx is not None
            fx.defer(dying_effect)  # runs after the claim's INSERT, inside its transaction
            return await real_words(self, *args)  # type: ignore[arg-type]

        DialogueCore._feedback_words = words_then_doomed_write  # type: ignore[method-assign]
        said = msg("I loved Alien", user="ann")
        try:
            await app.core.handle(said)
            raise AssertionError("did not crash")
        except Crash:
            pass
        DialogueCore._feedback_words = real_words  # type: ignore[method-assign]
        assert not await app.store.events.seen("t1", "test", said.event_id)
        (reply,) = await app.core.handle(said)  # the retry
        assert "noted" in reply.text.lower()
        turns = await app.store.conversations.recent_turns("t1", said.key.as_str())
        assert [t.role for t in turns] == ["user", "bot"]  # one of each: nothing from the dead attempt
    finally:
        DialogueCore._feedback_words = real_words  # type: ignore[method-assign]
        await app.aclose()
