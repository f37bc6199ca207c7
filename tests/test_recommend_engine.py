"""The hybrid engine end to end on a small catalog: reactions, critiques, filters, bad input.

Most tests run the real MiniLM embedder (loaded once per module); a few run without one, the way the
engine degrades when no embedder is configured.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core.recommend.catalog import Catalog, Item
from core.recommend.engine import HybridRecommender, RecSettings, build_recommender, mmr
from core.recommend.text_index import QueryBatcher, TextIndex
from core.recommend.types import Constraints, Recommender, RecRequest, RecResult, Signal
from tests.rec_catalog import CLUSTERS, interactions, make_items, small_catalog

NOW = 1_700_000_000.0


@pytest.fixture(scope="module")
def embedder() -> object:
    from core.embedding import SentenceEmbedder

    return SentenceEmbedder()


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rec-cache")  # item vectors are computed once for the module


@pytest.fixture
def rec(embedder: object, cache_dir: Path) -> Iterator[HybridRecommender]:
    r = build_recommender(small_catalog(), embedder, cache_dir)  # type: ignore[arg-type]
    r.fit_interactions(interactions())
    yield r
    r.close()


def ids(res: RecResult) -> list[str]:
    return [s.item_id for s in res.items]


def req(**kw: object) -> RecRequest:
    return RecRequest(tenant="t", user="u", now=NOW, **kw)  # type: ignore[arg-type]


async def test_is_a_recommender_and_cold_start_is_popular(rec: HybridRecommender) -> None:
    proto: Recommender = rec  # structurally a Recommender (type-checked)
    assert asyncio.iscoroutinefunction(proto.recommend) and callable(proto.fit_interactions)
    res = await rec.recommend(req(k=3))
    assert len(res.items) == 3 and res.relaxed is None
    assert "godfather" in ids(res)  # the most popular item leads a cold start
    assert all("popular" in s.reason for s in res.items)


async def test_query_text_matches_content(rec: HybridRecommender) -> None:
    res = await rec.recommend(req(query="a silly spoof full of slapstick gags", k=3))
    assert set(ids(res)) & {"airplane", "naked-gun", "hot-shots"}
    assert ids(res)[0] in CLUSTERS["comedy"]


async def test_negative_reaction_drops_the_item_and_its_neighbours(rec: HybridRecommender) -> None:
    liked = (Signal("toy-story", 1.0, "button", NOW), Signal("heat", 1.0, "button", NOW))
    before = await rec.recommend(req(signals=liked, k=4, diversify=False))
    assert "godfather" in ids(before)
    disliked = (*liked, Signal("godfather", -1.0, "reaction", NOW))
    after = await rec.recommend(req(signals=disliked, k=4, diversify=False))
    assert "godfather" not in ids(after)
    full_before, full_after = _scores(rec, liked), _scores(rec, disliked)
    drop = full_before["goodfellas"] - full_after["goodfellas"]  # The Godfather's neighbour goes down
    assert drop > 0.3
    assert abs(full_after["finding-nemo"] - full_before["finding-nemo"]) < drop / 2  # unrelated: barely moves
    assert ids(after).index("finding-nemo") <= ids(before).index("finding-nemo")


async def test_positive_reaction_pulls_similar_items_up(rec: HybridRecommender) -> None:
    base = _scores(rec, ())
    after = _scores(rec, (Signal("toy-story", 1.0, "reaction", NOW),))
    for similar in ("finding-nemo", "up"):
        assert after[similar] - base[similar] > 0.5
    res = await rec.recommend(req(signals=(Signal("toy-story", 1.0, "reaction", NOW),), k=2, diversify=False))
    assert set(ids(res)) == {"finding-nemo", "up"}
    assert "Toy Story (1995)" in res.items[0].reason


def _scores(rec: HybridRecommender, signals: tuple[Signal, ...]) -> dict[str, float]:
    from core.recommend.preferences import build_history

    h = build_history(signals, rec.catalog.index_of, rec.settings.prefs, NOW)
    s, _, _ = rec.score(req(signals=signals), h, [], None, None, NOW)
    return {it.item_id: float(v) for it, v in zip(rec.catalog, s, strict=True)}


async def test_critique_less_gory_and_explanation(rec: HybridRecommender) -> None:
    liked = (Signal("alien", 1.0, "mention", NOW),)
    plain = await rec.recommend(req(signals=liked, k=3, diversify=False))
    softer = await rec.recommend(req(signals=liked, critiques=("less gory",), k=3, diversify=False))
    gory = {"aliens", "event-horizon", "the-thing"}
    assert set(ids(plain)) & gory and not set(ids(softer)) & gory  # "less gory" removes gory items
    for s in softer.items:  # and each line says only what is true of its item
        item = rec.catalog.get(s.item_id)
        assert item is not None and "gory" not in item.tags and "not gory" in s.reason, s
        assert "asked for something less gory" not in s.reason
    assert any(s.reason.endswith("; because you liked Alien (1979)") for s in softer.items)


async def test_hard_filters_and_stepwise_relaxation(rec: HybridRecommender) -> None:
    res = await rec.recommend(req(constraints=Constraints(genres=("horror",), year_max=1970), k=5))
    assert set(ids(res)) == {"psycho", "nosferatu"} and res.relaxed is None
    res = await rec.recommend(req(constraints=Constraints(genres=("horror",), year_max=1920, domain="movie"), k=2))
    assert res.relaxed and res.relaxed.startswith("nothing matches movies, horror, up to 1920")
    assert ids(res)[0] == "nosferatu"  # the closest in time comes first
    res = await rec.recommend(req(constraints=Constraints(genres=("polka",)), k=2))
    assert res.relaxed and len(res.items) == 2


async def test_excluded_and_already_seen_items_are_not_repeated(rec: HybridRecommender) -> None:
    everything = tuple(it.item_id for it in rec.catalog)
    res = await rec.recommend(req(constraints=Constraints(exclude_items=everything[:-2]), k=5))
    assert set(ids(res)) == set(everything[-2:])
    res = await rec.recommend(req(constraints=Constraints(exclude_items=everything), k=3,
                                  signals=(Signal("heat", -1.0, "button", NOW),)))
    assert res.relaxed and "seen everything" in res.relaxed and "heat" not in ids(res) and len(res.items) == 3


async def test_bad_input_never_raises(rec: HybridRecommender, embedder: object) -> None:
    junk = (Signal("no-such-item", 1.0, "button", NOW), Signal("heat", float("inf"), "reaction", NOW),
            Signal("alien", 1.0, "weird-kind", float("nan")))
    res = await rec.recommend(req(signals=junk, seeds=("nope",), critiques=("", "+"), k=3))
    assert len(res.items) == 3
    assert (await rec.recommend(req(k=0))).items == ()
    empty = build_recommender(Catalog([]), embedder, None)  # type: ignore[arg-type]
    res = await empty.recommend(req(query="anything", k=3))
    assert res.items == () and res.relaxed
    empty.fit_interactions([("u", "x", 1.0)])
    empty.close()


async def test_duplicate_titles_are_shown_once(embedder: object) -> None:
    items = make_items() + [Item("alien-dup", "Alien", year=1979, genres=("horror",), description="dup")]
    r = build_recommender(Catalog(items), embedder, None)  # type: ignore[arg-type]
    res = await r.recommend(req(query="alien space horror", k=5))
    labels = [r.catalog.get(i).label() for i in ids(res)]  # type: ignore[union-attr]
    assert labels.count("Alien (1979)") <= 1
    r.close()


async def test_mmr_diversifies(rec: HybridRecommender) -> None:
    liked = (Signal("alien", 1.0, "button", NOW), Signal("toy-story", 0.6, "button", NOW))
    flat = await rec.recommend(req(signals=liked, k=4, diversify=False))
    div = await rec.recommend(req(signals=liked, k=4, diversify=True))
    space = set(CLUSTERS["space"])
    assert len(set(ids(div)) & space) <= len(set(ids(flat)) & space)
    v = rec.vectors
    assert v is not None
    picked = mmr(v, np.arange(4), np.array([1.0, 0.99, 0.98, 0.1]), 2, 0.0)  # lam 0: pure novelty
    assert picked[0] == 0 and len(set(picked)) == 2


async def test_without_embedder_cf_and_popularity_still_work() -> None:
    r = HybridRecommender(small_catalog(), RecSettings())
    res = await r.recommend(req(query="ignored without an embedder", k=2))
    assert len(res.items) == 2
    r.fit_interactions(interactions())
    res = await r.recommend(req(signals=(Signal("heat", 1.0, "button", NOW),), k=2, diversify=False))
    assert set(ids(res)) <= set(CLUSTERS["crime"])
    r.close()


async def test_settings_from_app_config_and_movielens_prior(embedder: object, tmp_path: Path) -> None:
    from bot.config import RecommendSettings

    (tmp_path / "ml").mkdir()
    (tmp_path / "ml" / "movies.csv").write_text("movieId,title,genres\n1,Heat (1995),Crime\n2,\"Godfather, The (1972)\",Crime\n",
                                                encoding="utf-8")
    (tmp_path / "ml" / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,5,1\n1,2,5,2\n2,1,4,3\n2,2,4.5,4\n",
                                                 encoding="utf-8")
    cfg = RecommendSettings(ratings_prior=str(tmp_path / "ml" / "ratings.csv"), half_life_days=7.0)
    r = build_recommender(small_catalog(), embedder, tmp_path / "cache", cfg)  # type: ignore[arg-type]
    assert r.settings.prefs.half_life_days == 7.0 and r.cf is not None and r.cf.n_rows == 4
    r.close()


def test_text_index_is_cached_per_catalog_version(embedder: object, tmp_path: Path) -> None:
    class Counting:
        def __init__(self, inner: object) -> None:
            self.inner, self.calls = inner, 0
            self.dim, self.name = inner.dim, inner.name  # type: ignore[attr-defined]

        def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
            self.calls += 1
            return self.inner.encode(texts, batch_size)  # type: ignore[attr-defined]

    counting = Counting(embedder)
    cat = small_catalog()
    first = TextIndex.build(cat, counting, tmp_path, batch_size=8, progress=False)  # type: ignore[arg-type]
    assert counting.calls == 3  # 22 items in batches of 8
    again = TextIndex.build(cat, counting, tmp_path, progress=False)  # type: ignore[arg-type]
    assert counting.calls == 3 and np.array_equal(first.vectors, again.vectors)
    changed = Catalog([*cat.items[:-1], Item("new", "A brand new film")])
    TextIndex.build(changed, counting, tmp_path, batch_size=64, progress=False)  # type: ignore[arg-type]
    assert counting.calls == 4 and len(list(tmp_path.glob("text-index-*.npy"))) == 2


async def test_query_batcher_batches_concurrent_messages(embedder: object) -> None:
    b = QueryBatcher(embedder, max_wait_ms=20)  # type: ignore[arg-type]
    texts = [f"a movie about topic {i}" for i in range(10)]
    vecs = await asyncio.gather(*(b.encode(t) for t in texts), b.encode(texts[0]))
    assert b.batches == 1  # ten concurrent messages, one encode call
    assert np.allclose(vecs[0], vecs[-1]) and vecs[0].shape == (embedder.dim,)  # type: ignore[attr-defined]
    direct = embedder.encode([texts[3]])[0]  # type: ignore[attr-defined]
    assert float(direct @ vecs[3]) > 0.999
    await b.encode(texts[5])
    assert b.batches == 1  # cached
    assert not (await b.encode("   ")).any()
