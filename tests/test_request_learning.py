"""Learning which items answer which requests, from a tenant's own conversations (issue 19).

In tenant A, conversations that asked for horror ended with people liking one little-known horror
film (ANSWER); a better-known horror film (DECOY) was liked just as often, but in conversations that
asked for something else. So the tenant's popularity and per-person CF treat the two alike: only the
request association tells them apart. Runs on SQLite and, with RECBOT_TEST_PG_URL, on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_config
from bot.wiring import build_app, conversation_evidence, conversation_requests, retrain
from core.recommend.catalog import load_catalog
from core.recommend.conversation_learning import ConversationEvidence
from core.recommend.critiques import parse_critique
from core.recommend.engine import HybridRecommender
from core.recommend.request_learning import ConversationRequest, fit_request_associations, request_terms
from core.recommend.settings import RecSettings
from core.recommend.types import Constraints, RecRequest
from core.store.store import Store
from tests.conftest import write_config

NOW = 1_700_000_000.0
CATALOG = load_catalog(True, [])
HORROR = sorted((it for it in CATALOG if it.domain == "movie" and "horror" in it.genres),
                key=lambda it: it.popularity)
ANSWER, DECOY = HORROR[0].item_id, HORROR[len(HORROR) // 2].item_id


def _engine(w_request: float = 1.0) -> HybridRecommender:
    return HybridRecommender(CATALOG, RecSettings(workers=1, w_request=w_request))


async def _talk(store: Store, tenant: str, n: int, owner: str | None = None) -> None:
    """n conversations asking for horror that end with ANSWER liked, n asking for comedy with DECOY liked."""
    for c in range(n):
        for asked, item in (("horror", ANSWER), ("comedy", DECOY)):
            key = f"test:{tenant}:{asked}{c}"
            await store.conversations.save_state(tenant, key, {"genres": [asked], "critiques": ["-gory"]},
                                                 owner=owner)
            await store.prefs.add(tenant, owner or f"{asked}{c}", item, 1.0, "button", conv_key=key, ts=NOW + c)


async def _ranks(rec: HybridRecommender, tenant: str) -> tuple[int, int]:
    """Where a newcomer asking for horror sees ANSWER and DECOY."""
    res = await rec.recommend(RecRequest(tenant=tenant, user="newcomer", k=200, now=NOW,
                                         constraints=Constraints(genres=("horror",), domain="movie")))
    ids = [s.item_id for s in res.items]
    return ids.index(ANSWER), ids.index(DECOY)


async def test_a_tenant_learns_what_answered_a_request_and_only_that_tenant(store_factory: Any) -> None:
    store = await store_factory()
    rec, off = _engine(), _engine(w_request=0.0)
    try:
        await _talk(store, "A", 8)
        for r in (rec, off):
            await retrain(store, r)
        answer, decoy = await _ranks(rec, "A")
        assert answer < decoy and answer < 3  # learned: horror requests here were answered by ANSWER
        answer_off, decoy_off = await _ranks(off, "A")
        assert answer_off > decoy_off  # the switch works: without it the better-known film leads
        assert (await _ranks(rec, "B")) == (await _ranks(off, "B"))  # tenant B learned nothing from A
    finally:
        rec.close()
        off.close()


async def test_forget_takes_the_persons_conversations_out_of_the_requests_learned(tmp_path: Path) -> None:
    app = await build_app(load_config(write_config(tmp_path)))
    rec = _engine()
    app.recommender = rec  # the hybrid engine without embeddings: the learned terms are what matter
    try:
        await _talk(app.store, "A", 8, owner="alice")  # her private conversations taught the association
        await retrain(app.store, rec)
        before = await _ranks(rec, "A")
        assert before[0] < before[1]
        counts = await app.store.forget_user("A", "alice")
        assert counts["recommender_refits"] == 1
        assert await conversation_requests(app.store, "A") == []
        after = await _ranks(rec, "A")  # the forget hook refitted the tenant at once
        assert after[0] > after[1]
        clean = _engine()
        await retrain(app.store, clean)  # a fresh refit learns the same: nothing of hers is cached
        assert await _ranks(clean, "A") == after
        clean.close()
    finally:
        rec.close()
        await app.aclose()


def test_request_terms_read_genres_and_positive_critiques_from_a_stored_state() -> None:
    assert request_terms({"genres": ["Sci-Fi", "horror"], "critiques": ["+dark", "-gory", 3]}) == (
        "scifi", "horror", "dark")
    assert request_terms({"genres": "horror", "critiques": None}) == ()  # a damaged state teaches nothing
    assert request_terms({}) == ()


def test_only_positive_evidence_of_the_same_tenant_and_conversation_counts() -> None:
    index = CATALOG.index_of
    ev = [ConversationEvidence("A", "c1", ANSWER, 1.0, "button", 1.0),
          ConversationEvidence("A", "c1", DECOY, -1.0, "button", 2.0),  # turned down: not an answer
          ConversationEvidence("A", "c2", DECOY, 1.0, "button", 3.0),  # c2 asked for nothing
          ConversationEvidence("B", "c1", DECOY, 1.0, "button", 4.0)]  # same key, other tenant
    asked = [ConversationRequest("A", "c1", ("horror",)), ConversationRequest("B", "c9", ("horror",))]
    learned = fit_request_associations(ev, asked, index)
    assert set(learned) == {"A"}
    v = learned["A"].scores(["Horror"])
    assert v is not None and v[index[ANSWER]] == 1.0 and v[index[DECOY]] == 0.0
    assert learned["A"].scores(["comedy"]) is None


async def test_the_store_lists_each_conversations_state_for_learning(store_factory: Any) -> None:
    store = await store_factory()
    await store.conversations.save_state("A", "k1", {"genres": ["horror"]})
    await store.conversations.save_state("B", "k2", {"genres": ["comedy"]})
    assert await store.conversations.requests("A") == [("A", "k1", {"genres": ["horror"]})]
    assert sorted(r[1] for r in await store.conversations.requests()) == ["k1", "k2"]
    got = await conversation_requests(store, "B")
    assert got == [ConversationRequest("B", "k2", ("comedy",))]
    assert await conversation_evidence(store, "B") == []


@pytest.mark.parametrize("raw, firm, sign, term", [("~+horror", False, 1, "horror"), ("~-romance", False, -1, "romance"),
                                                   ("~less gory", False, -1, "gory"), ("+horror", True, 1, "horror")])
def test_a_leaning_is_a_critique_that_is_not_firm(raw: str, firm: bool, sign: int, term: str) -> None:
    c = parse_critique(raw)
    assert c is not None and (c.firm, c.sign, c.term) == (firm, sign, term)


async def test_a_leaning_weighs_the_list_but_never_filters_or_leads_it() -> None:
    rec, unweighted = _engine(), HybridRecommender(CATALOG, RecSettings(workers=1, w_critique_tag=0.0, w_genre=0.0))
    try:
        async def ranking(engine: HybridRecommender, *critiques: str) -> list[bool]:
            """Is each item of the whole ranked catalog a horror film?"""
            res = await engine.recommend(RecRequest(tenant="t", user="u", k=len(CATALOG), now=NOW,
                                                    critiques=critiques))
            return ["horror" in CATALOG.get(s.item_id).genres for s in res.items]

        def horror_leads(r: list[bool]) -> bool:
            return r.index(False) == sum(r)  # every horror item before the first other one

        def mean_rank(r: list[bool]) -> float:
            return sum(i for i, h in enumerate(r) if h) / sum(r)

        plain = await ranking(rec)
        assert mean_rank(await ranking(rec, "~+horror")) < mean_rank(plain)  # it weighs the blend ...
        # ... and only through the blend's weights; "more horror" said about a list leads whatever they are
        assert await ranking(unweighted, "~+horror") == await ranking(unweighted)
        assert horror_leads(await ranking(unweighted, "+horror"))
        assert sum(await ranking(rec, "-horror")) == 0  # "less horror" removes it ...
        assert sum(await ranking(rec, "~-horror")) == sum(plain)  # ... a leaning against it does not
        res = await rec.recommend(RecRequest(tenant="t", user="u", k=10, now=NOW, critiques=("~+horror",)))
        assert not any("as you asked" in s.reason for s in res.items)  # nobody asked: never claimed
        res = await rec.recommend(RecRequest(tenant="t", user="u", k=10, now=NOW, critiques=("+horror",)))
        assert any("as you asked" in s.reason for s in res.items)
    finally:
        rec.close()
        unweighted.close()


async def test_more_x_leads_with_what_fits_the_rest_of_the_request() -> None:
    """"funnier" after "like Alien": the funny films among those that fit "like Alien" come first; a
    funny film from elsewhere in the catalog never jumps ahead of them (before, every funny item did)."""
    from core.recommend.critiques import CRITIQUE_FIRST, more_pool

    rec = HybridRecommender(CATALOG, RecSettings(workers=1))
    try:
        alien = next(it.item_id for it in CATALOG if it.title == "Alien")
        base = RecRequest(tenant="t", user="u", seeds=(alien,), k=5, now=NOW, constraints=Constraints(domain="movie"))
        fits = [s.item_id for s in (await rec.recommend(replace(base, k=more_pool(5)))).items]
        res = await rec.recommend(replace(base, critiques=("+funny",)))
        picked = [s.item_id for s in res.items]
        funny_fits = [i for i in fits if "funny" in CATALOG.get(i).tags]
        assert 0 < len(funny_fits) < 5  # the case that matters: a few fit, the catalog has many more
        assert set(picked[: len(funny_fits)]) == set(funny_fits)
        led = {s.item_id for s in res.items if s.score >= CRITIQUE_FIRST}
        assert led == set(funny_fits)  # only those were put first; other funny films keep their blend score
        assert len([i for i in picked if "funny" in CATALOG.get(i).tags]) > len(led)  # (and there are others)
    finally:
        rec.close()


async def test_less_x_that_contradicts_the_request_weighs_instead_of_emptying_the_list() -> None:
    """"a funny film", then "not so silly": silly's evidence is funny/comedy, the very thing asked for."""
    rec = _engine()
    try:
        comedy = Constraints(genres=("funny",), domain="movie")
        res = await rec.recommend(RecRequest(tenant="t", user="u", k=5, now=NOW, constraints=comedy,
                                             critiques=("-silly",)))
        assert len(res.items) == 5 and all("funny" in CATALOG.get(s.item_id).tags for s in res.items)
        assert not any("as you asked" in s.reason for s in res.items)
        res = await rec.recommend(RecRequest(tenant="t", user="u", k=40, now=NOW, constraints=comedy,
                                             critiques=("-violent",)))  # not a contradiction: still removed
        assert res.items and not any({"violent", "gory"} & set(CATALOG.get(s.item_id).tags) for s in res.items)
    finally:
        rec.close()
