"""Learning from stored conversations (issue 19): inside a tenant only, gone with "forget me", bounded.

Every conversation here is a shared channel where one person names a film and *another* person
accepts a recommendation, so no single person's rows link the two films: only the conversation does.
That way each test sees the conversation learning itself, not the per-person CF.
"""

from __future__ import annotations

import random
from pathlib import Path

from bot.config import load_config
from bot.wiring import build_app, conversation_evidence, retrain
from core.recommend.catalog import load_catalog
from core.recommend.conversation_learning import ConversationEvidence, ConversationLearning, conversation_rows
from core.recommend.engine import HybridRecommender
from core.recommend.settings import RecommendSettings, RecSettings
from core.recommend.types import Constraints, RecRequest
from core.store.store import Store
from tests.helpers import write_config

AIRPLANE, TOKYO, JIRO = "m-airplane-1980", "m-tokyo-story-1953", "m-jiro-dreams-of-sushi-2011"
NOW = 1_700_000_000.0
CATALOG = load_catalog(True, [])
MOVIES = [it.item_id for it in CATALOG if it.domain == "movie"]


def _engine(learn: bool = True) -> HybridRecommender:
    return HybridRecommender(CATALOG, RecSettings(workers=1, learn_from_conversations=learn))


async def _channel_talk(store: Store, tenant: str, n: int, accepter: str | None = None, start: int = 0) -> None:
    """n conversations: someone names Airplane!, someone else presses "like" on Tokyo Story, then a
    third person likes Jiro; plus one random film liked alone by a fourth person (noise)."""
    rng = random.Random(n + start)
    for c in range(start, start + n):
        key = f"discord:{tenant}:chan{c}"
        ts = NOW - 10_000 + c
        await store.prefs.add(tenant, f"n{c}", AIRPLANE, 0.8, "mention", conv_key=key, ts=ts)
        await store.prefs.add(tenant, accepter or f"a{c}", TOKYO, 1.0, "button", conv_key=key, ts=ts + 1)
        await store.prefs.add(tenant, f"j{c}", JIRO, 0.8, "reaction", conv_key=key, ts=ts + 2)
        await store.prefs.add(tenant, f"r{c}", rng.choice(MOVIES), 0.8, "mention", conv_key=key, ts=ts + 3)


async def _like_airplane(rec: HybridRecommender, tenant: str) -> list[str]:
    """What a newcomer asking for "something like Airplane!" is shown."""
    res = await rec.recommend(RecRequest(tenant=tenant, user="newcomer", seeds=(AIRPLANE,), k=5, now=NOW,
                                         constraints=Constraints(exclude_items=(AIRPLANE,))))
    return [s.item_id for s in res.items]


async def test_a_tenant_learns_films_named_together_and_accepted_recommendations(tmp_path: Path) -> None:
    store = await Store.open_sqlite(tmp_path / "r.db")
    learning, off = _engine(), _engine(learn=False)
    try:
        await _channel_talk(store, "A", 12)
        decoys = [m for m in MOVIES if m not in (AIRPLANE, TOKYO, JIRO)][:2]
        for u in range(30):  # more popular in A than Tokyo/Jiro, but never named with Airplane!
            await store.prefs.add("A", f"d{u}", decoys[u % 2], 1.0, "button", ts=NOW - 20_000)
        for rec in (learning, off):
            await retrain(store, rec)
        assert {TOKYO, JIRO} <= set((await _like_airplane(learning, "A"))[:3])
        # the switch works: without conversations nothing links the two to Airplane!
        assert not {TOKYO, JIRO} <= set((await _like_airplane(off, "A"))[:3])
    finally:
        learning.close()
        off.close()
        await store.close()


async def test_a_conversation_teaches_only_its_own_tenant(tmp_path: Path) -> None:
    store = await Store.open_sqlite(tmp_path / "r.db")
    rec = _engine()
    try:
        await store.prefs.add("B", "bob", AIRPLANE, 0.8, "mention", conv_key="discord:B:x", ts=NOW - 50)
        await retrain(store, rec)
        before = await _like_airplane(rec, "B")
        fresh = await _like_airplane(rec, "C")  # a tenant with no signals at all
        await _channel_talk(store, "A", 12)
        await retrain(store, rec)
        assert {TOKYO, JIRO} <= set((await _like_airplane(rec, "A"))[:3])  # A learned ...
        assert await _like_airplane(rec, "B") == before  # ... and neither B ...
        assert await _like_airplane(rec, "C") == fresh  # ... nor a tenant without data sees it
        # refit_tenant (the forget hook's path) drops evidence handed to it from another tenant
        rows = [(u, i, v) for _, u, i, v in await store.prefs.all_interactions("B")]
        rec.refit_tenant("B", rows, await conversation_evidence(store))  # every tenant's conversations
        assert await _like_airplane(rec, "B") == before
    finally:
        rec.close()
        await store.close()


async def test_forget_removes_a_persons_part_of_the_conversations_at_once(tmp_path: Path) -> None:
    app = await build_app(load_config(write_config(tmp_path)))
    rec = _engine()
    app.recommender = rec  # the hybrid engine without embeddings: CF is what matters here
    try:
        # alice accepted Tokyo Story in every conversation: the Airplane! -> Tokyo link is hers
        await _channel_talk(app.store, "A", 12, accepter="alice")
        await retrain(app.store, rec)
        assert TOKYO in (await _like_airplane(rec, "A"))[:3]
        counts = await app.store.forget_user("A", "alice")
        assert counts["preferences"] == 12 and counts["recommender_refits"] == 1
        assert all(ev.item_id != TOKYO for ev in await conversation_evidence(app.store, "A"))
        after = await _like_airplane(rec, "A")  # the forget hook refitted the tenant already
        assert TOKYO not in after[:3] and JIRO in after[:3]
        clean = _engine()
        await retrain(app.store, clean)  # a fresh start learns exactly the same: nothing of hers is cached
        assert await _like_airplane(clean, "A") == after
        clean.close()
    finally:
        rec.close()
        await app.aclose()


def test_refit_cost_is_bounded_per_tenant() -> None:
    bounds = ConversationLearning(max_conversations=50, max_items_per_conversation=5)
    ev = [ConversationEvidence("A", f"c{c}", MOVIES[(c + i) % len(MOVIES)], 0.8, "mention", float(c * 100 + i))
          for c in range(400) for i in range(30)]
    ev += [ConversationEvidence("B", "only", AIRPLANE, 1.0, "button", 1.0)]  # one item: no co-occurrence
    rows = conversation_rows(ev, bounds)
    convs = {r[1] for r in rows}
    assert len(convs) == 50 and len(rows) == 50 * 5  # the most recent 50, 5 films each, B's single one out
    assert convs == {f"conv:c{c}" for c in range(350, 400)}
    assert all(r[0] == "A" for r in rows)


def test_unchanged_tenants_are_not_refitted() -> None:
    rec = _engine()
    try:
        talk = [ConversationEvidence(t, f"{t}:c{c}", m, 1.0, "mention", float(c))
                for t in ("A", "B") for c in range(5) for m in (AIRPLANE, TOKYO)]
        rec.fit_tenant_interactions([], talk)
        a = rec.cf_for("A")
        rec.fit_tenant_interactions([], [*talk, ConversationEvidence("B", "B:new", JIRO, 1.0, "mention", 9.0),
                                         ConversationEvidence("B", "B:new", TOKYO, 1.0, "mention", 9.5)])
        assert rec.cf_for("A") is a  # A's conversations did not change: its model is reused, not refitted
    finally:
        rec.close()


def test_the_setting_is_documented_and_reaches_the_engine() -> None:
    assert RecommendSettings(learn_from_conversations=False).engine_settings().learn_from_conversations is False
    assert RecommendSettings().engine_settings().learn_from_conversations is True
