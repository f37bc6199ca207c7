"""Year affinity (core/recommend/year_affinity.py) and popularity priors (core/recommend/popularity.py)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from core.recommend.catalog import Catalog, Item
from core.recommend.engine import HybridRecommender, RecSettings
from core.recommend.popularity import era_popularity, release_lag_popularity
from core.recommend.types import RecRequest, Signal
from core.recommend.year_affinity import year_affinity


def test_year_affinity_prefers_items_near_the_liked_years_and_ignores_dislikes() -> None:
    years = np.array([1984.0, 1986.0, 2017.0, np.nan, 1950.0])
    liked = np.array([0]), np.array([1.0])
    a = year_affinity(years, *liked, scale=8.0)
    assert a is not None
    assert a[1] > a[4] and a[1] > a[2]  # 1986 is closer to 1984 than 1950 or 2017
    assert a[3] == np.float32(a[[0, 1, 2, 4]].mean())  # unknown year: neutral (the mean)
    # Only positive weights count; no liked item with a year -> no term at all.
    assert year_affinity(years, np.array([0, 2]), np.array([-1.0, 1.0]), 8.0)[2] == 1.0  # type: ignore[index]
    assert year_affinity(years, np.array([3]), np.array([1.0]), 8.0) is None
    assert year_affinity(years, np.array([0]), np.array([-1.0]), 8.0) is None
    assert year_affinity(years, *liked, scale=0.0) is None


def _catalog() -> Catalog:
    # Same genre; the modern film is a little more popular, the 80s one closer in years to the liked one.
    rows = [("liked-80s", "Zebra", 1985, 10.0), ("modern", "Lantern", 2016, 14.0), ("also-80s", "Harbor", 1987, 10.0),
            ("old", "Meadow", 1952, 10.0)]
    return Catalog([Item(item_id=i, title=t, year=y, genres=("comedy",), popularity=p) for i, t, y, p in rows])


def test_engine_year_weight_moves_films_from_the_liked_era_up() -> None:
    req = RecRequest(tenant="t", user="u", signals=(Signal("liked-80s", 1.0, "mention", 0.0),), k=3,
                     diversify=False, now=1.0)
    off = HybridRecommender(_catalog(), RecSettings(w_year=0.0, workers=1))
    on = HybridRecommender(_catalog(), RecSettings(w_year=1.0, workers=1))
    try:
        ranked_on = [s.item_id for s in on.recommend_blocking(req).items]
        ranked_off = [s.item_id for s in off.recommend_blocking(req).items]
    finally:
        off.close()
        on.close()
    assert ranked_off[0] == "modern"  # popularity alone
    assert ranked_on[0] == "also-80s" and ranked_on[-1] == "old"


def test_era_popularity_is_a_no_op_at_zero_and_boosts_recent_attention() -> None:
    cat = Catalog([Item(item_id="a", title="A", year=2016, popularity=5.0),
                   Item(item_id="b", title="B", year=1990, popularity=5.0)])
    assert era_popularity(cat, {}, 0.0, 2015, 0.0) is cat
    recent = era_popularity(cat, {"a": Counter({2016: 9}), "b": Counter({2003: 9})}, 1.0, 2015, 0.0)
    pop = {it.item_id: it.popularity for it in recent}
    assert pop["a"] == (1 + 5.0) * 10 - 1 and pop["b"] == 5.0  # only ratings since 2015 count
    newer = {it.item_id: it.popularity for it in era_popularity(cat, {}, 0.0, 2015, 0.5)}
    assert newer["a"] > 5.0 > newer["b"]


def test_release_lag_lifts_only_films_from_the_counts_last_year_on() -> None:
    cat = Catalog([Item(item_id="new", title="New", year=2018, popularity=4.0),
                   Item(item_id="later", title="Later", year=2019, popularity=0.0),
                   Item(item_id="old", title="Old", year=2017, popularity=4.0),
                   Item(item_id="undated", title="Undated", year=None, popularity=4.0)])
    assert release_lag_popularity(cat, 2018, 0.0) is cat
    pop = {it.item_id: it.popularity for it in release_lag_popularity(cat, 2018, 1.0)}
    # log1p(popularity) grows by exactly the lift for 2018 and later; everything else is unchanged.
    assert np.isclose(np.log1p(pop["new"]), np.log1p(4.0) + 1.0)
    assert np.isclose(np.log1p(pop["later"]), 1.0)
    assert pop["old"] == 4.0 and pop["undated"] == 4.0
