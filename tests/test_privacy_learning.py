"""Tenants learn apart (issue 14): one tenant's likes never change another tenant's lists.

The hybrid engine is refitted the way the running bot does it (bot.wiring.retrain over the store's
rows, at start and every retrain_minutes), on the bundled catalog, with randomized tenants.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.wiring import build_app, retrain
from core.recommend.catalog import load_catalog
from core.recommend.engine import HybridRecommender
from core.recommend.settings import RecSettings
from core.recommend.types import Constraints, RecRequest, Signal
from core.store.store import Store
from tests.helpers import write_config

AIRPLANE, TOKYO, JIRO = "m-airplane-1980", "m-tokyo-story-1953", "m-jiro-dreams-of-sushi-2011"
NOW = 1_700_000_000.0
CATALOG = load_catalog(True, [])
MOVIES = [it.item_id for it in CATALOG if it.domain == "movie"]


def _engine(pool: int = 0) -> HybridRecommender:
    return HybridRecommender(CATALOG, RecSettings(workers=1, **({"pool_min_tenants": pool} if pool else {})))


async def _likes(store: Store, tenant: str, users: dict[str, list[str]]) -> None:
    for user, items in users.items():
        for item in items:
            await store.prefs.add(tenant, user, item, 1.0, "button", conv_key=f"{tenant}:c")


def _fan_club(rng: random.Random, n: int = 12) -> dict[str, list[str]]:
    """The issue's guild A: n people who love Airplane!, Tokyo Story and Jiro Dreams of Sushi."""
    return {f"fan{u}": [AIRPLANE, TOKYO, JIRO, *rng.sample(MOVIES, 2)] for u in range(n)}


def _random_tenant(rng: random.Random, users: int) -> dict[str, list[str]]:
    return {f"u{u}": rng.sample(MOVIES, rng.randint(1, 6)) for u in range(users)}


async def _lists(rec: HybridRecommender, tenant: str, people: dict[str, list[str]]) -> list[list[str]]:
    """What each person, and a newcomer asking "something like Airplane!", would be shown."""
    asks = [(u, tuple(Signal(i, 1.0, "button", NOW - 3600) for i in items), ()) for u, items in people.items()]
    asks += [("newcomer", (), (AIRPLANE,)), ("cold", (), ())]
    out = []
    for user, signals, seeds in asks:
        res = await rec.recommend(RecRequest(tenant=tenant, user=user, signals=signals, seeds=seeds, k=5,
                                             now=NOW, constraints=Constraints(exclude_items=seeds)))
        out.append([s.item_id for s in res.items])
    return out


@pytest.mark.parametrize("seed", range(4))
async def test_one_tenants_likes_never_change_another_tenants_lists(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    guild_b = _random_tenant(rng, rng.randint(2, 6))
    others = {f"g{t}": _random_tenant(rng, rng.randint(1, 8)) for t in range(rng.randint(1, 3))}
    store = await Store.open_sqlite(tmp_path / "r.db")
    rec = _engine()
    try:
        await _likes(store, "B", guild_b)
        await retrain(store, rec)  # the start-up fit
        before = await _lists(rec, "B", guild_b)
        await _likes(store, "A", _fan_club(rng))
        for tenant, people in others.items():
            await _likes(store, tenant, people)
        await retrain(store, rec)  # the periodic refit, now with every tenant's rows
        assert await _lists(rec, "B", guild_b) == before
        # and the refit did learn inside guild A: its newcomer asking for Airplane! gets the fan favourites
        (newcomer,) = (await _lists(rec, "A", {}))[:1]
        assert {TOKYO, JIRO} <= set(newcomer[:3])
    finally:
        rec.close()
        await store.close()


async def test_a_fresh_tenant_sees_only_the_priors(tmp_path: Path) -> None:
    store = await Store.open_sqlite(tmp_path / "r.db")
    rec = _engine()
    try:
        await retrain(store, rec)
        empty = await _lists(rec, "new-guild", {})
        await _likes(store, "A", _fan_club(random.Random(1), 40))
        await retrain(store, rec)
        assert await _lists(rec, "new-guild", {}) == empty  # popularity too stays the tenant's own
    finally:
        rec.close()
        await store.close()


async def test_pooling_counts_an_association_only_when_enough_tenants_show_it(tmp_path: Path) -> None:
    rng = random.Random(7)
    store = await Store.open_sqlite(tmp_path / "r.db")
    rec = _engine(pool=3)
    try:
        await _likes(store, "B", {"b1": [MOVIES[0]]})
        await retrain(store, rec)
        alone = await _lists(rec, "B", {})
        await _likes(store, "A", _fan_club(rng, 40))  # one loud tenant, however many people
        await _likes(store, "C", _fan_club(rng, 1))
        await retrain(store, rec)
        assert await _lists(rec, "B", {}) == alone  # seen in 2 tenants < k = 3: not shared
        await _likes(store, "D", _fan_club(rng, 1))
        await retrain(store, rec)
        newcomer = (await _lists(rec, "B", {}))[0]
        assert {TOKYO, JIRO} & set(newcomer[:3])  # now 3 tenants show it: pooled, as configured
    finally:
        rec.close()
        await store.close()


@pytest.mark.parametrize("bad", ["1", "-2", "2.5", '"3"'])
async def test_a_bad_pool_setting_is_a_clear_config_error(tmp_path: Path, bad: str) -> None:
    path = write_config(tmp_path, f'[recommend]\nengine = "hybrid"\npool_min_tenants = {bad}\n', engines="hybrid")
    with pytest.raises(ConfigError, match="pool_min_tenants"):  # at load, or before anything opens
        await build_app(load_config(path))
    assert not (tmp_path / "data" / "recbot.db").exists()


async def test_the_issue_scenario_end_to_end_with_the_full_bot(tmp_path: Path) -> None:
    """The deployed stack (full parser, hybrid engine with embeddings, store, refit): 12 people in
    guild A love Airplane!, Tokyo Story and Jiro Dreams of Sushi; guild B's "something like
    Airplane!" is the same list before and after."""
    from tests.helpers import msg

    app = await build_app(load_config(write_config(tmp_path, "[limits]\nmessages_per_minute = 0\n",
                                                   engines="hybrid")))
    try:
        async def ask_b(n: int) -> list[str]:
            (reply,) = await app.core.handle(msg("something like Airplane!", tenant="B", channel=f"b{n}",
                                                 user=f"b{n}"))
            return [v.item_id for v in reply.items]

        before = await ask_b(1)
        assert before and AIRPLANE not in before
        for u in range(12):
            for title in ("Airplane!", "Tokyo Story", "Jiro Dreams of Sushi"):
                await app.core.handle(msg(f"I loved {title}, it was great", tenant="A", channel="general",
                                          user=f"a{u}"))
        assert await app.store.db.fetchone("SELECT COUNT(*) FROM preferences WHERE tenant = 'A'") >= (36,)
        await retrain(app.store, app.recommender)  # what the 30-minute refit does
        assert await ask_b(2) == before
        (a_reply,) = await app.core.handle(msg("something like Airplane!", tenant="A", channel="new", user="a99"))
        assert {TOKYO, JIRO} & {v.item_id for v in a_reply.items}  # guild A itself did learn
    finally:
        await app.aclose()


def test_a_refit_fits_again_only_the_tenants_whose_rows_changed() -> None:
    rec = _engine()
    try:
        base = [("A", "a1", AIRPLANE, 1.0), ("A", "a2", TOKYO, 1.0), ("B", "b1", JIRO, 1.0)]
        rec.fit_tenant_interactions(base)
        a, b = rec.cf_for("A"), rec.cf_for("B")
        rec.fit_tenant_interactions([*base, ("B", "b2", AIRPLANE, 1.0)])
        assert rec.cf_for("A") is a and rec.cf_for("B") is not b
        rec.fit_tenant_interactions(base[:2])  # B's people were forgotten: B learns nothing any more
        assert rec.cf_for("A") is a and rec.cf_for("B") is None
    finally:
        rec.close()


async def test_forget_refits_the_tenants_model_without_the_person_at_once(tmp_path: Path) -> None:
    app = await build_app(load_config(write_config(tmp_path)))
    rec = _engine()
    app.recommender = rec  # the hybrid engine without embeddings: CF and popularity are what matter here
    try:
        people = _random_tenant(random.Random(3), 4)
        await _likes(app.store, "A", people)
        await _likes(app.store, "A", {"alice": [AIRPLANE, TOKYO, JIRO]})
        await retrain(app.store, rec)
        with_her = await _lists(rec, "A", people)
        counts = await app.store.forget_user("A", "alice")
        assert counts["preferences"] == 3 and counts["recommender_refits"] == 1
        clean = _engine()
        await retrain(app.store, clean)  # what a fresh start would learn from the remaining rows
        assert await _lists(rec, "A", people) == await _lists(clean, "A", people) != with_her
        clean.close()
    finally:
        rec.close()
        await app.aclose()
