"""Preference model (weights, decay, scopes), hard filters with relaxation, and critique parsing."""

from __future__ import annotations

import numpy as np
import pytest

from core.recommend.critiques import parse_critique, parse_critiques
from core.recommend.filters import CatalogArrays, closeness_penalty, constraint_mask, relaxations
from core.recommend.preferences import DAY, PreferenceConfig, build_history, decay
from core.recommend.types import Constraints, Signal
from tests.rec_catalog import small_catalog

NOW = 1_700_000_000.0


def test_decay_halves_at_half_life() -> None:
    assert decay(0, 30) == 1.0
    assert decay(30 * DAY, 30) == pytest.approx(0.5)
    assert decay(60 * DAY, 30) == pytest.approx(0.25)
    assert decay(1e9, 0) == 1.0  # 0 = no decay


def test_history_weights_by_kind_scope_and_age() -> None:
    cat = small_catalog()
    cfg = PreferenceConfig(half_life_days=10)
    sigs = [
        Signal("alien", 1.0, "button", NOW),
        Signal("heat", 1.0, "reaction", NOW - 10 * DAY),  # one half-life old
        Signal("moon", 1.0, "mention", NOW, scope="channel"),
        Signal("airplane", -1.0, "shown", NOW),
        Signal("ghost-item", 1.0, "button", NOW),  # not in the catalog
        Signal("up", float("nan"), "button", NOW),
    ]
    h = build_history(sigs, cat.index_of, cfg, NOW)
    w = {cat.items[i].item_id: float(x) for i, x in zip(h.idx, h.w, strict=True)}
    assert w["alien"] == pytest.approx(1.0)
    assert w["heat"] == pytest.approx(0.8 * 0.5)
    assert w["moon"] == pytest.approx(0.5)
    assert w["airplane"] == pytest.approx(-0.15)
    assert h.unknown == 2
    assert [cat.items[i].item_id for i in h.recent][-1] in {"alien", "moon"}  # shown items are not engagement
    assert cat.index_of["airplane"] not in set(h.recent.tolist())


def test_repeated_and_conflicting_signals_add_up_and_clip() -> None:
    cat = small_catalog()
    cfg = PreferenceConfig(half_life_days=0, max_abs_weight=2.0)
    h = build_history([Signal("alien", 1.0, "button", NOW)] * 5, cat.index_of, cfg, NOW)
    assert float(h.w[0]) == 2.0
    h2 = build_history([Signal("alien", 1.0, "button", NOW - 5), Signal("alien", -1.0, "button", NOW)],
                       cat.index_of, cfg, NOW)
    assert h2.idx.size == 0 and cat.index_of["alien"] in h2.seen  # cancelled, yet still counts as seen


def test_seeds_count_as_likes() -> None:
    cat = small_catalog()
    h = build_history([], cat.index_of, PreferenceConfig(), NOW, seeds=("heat", "nope"))
    assert h.liked()[0].tolist() == [cat.index_of["heat"]] and h.unknown == 1


def test_constraint_masks() -> None:
    cat = small_catalog()
    arr = CatalogArrays.build(cat)
    ids = lambda m: {cat.items[i].item_id for i in np.flatnonzero(m)}  # noqa: E731
    horror = ids(constraint_mask(arr, Constraints(genres=("Horror",), domain="movie"), cat.index_of))
    assert horror == {"alien", "event-horizon", "the-thing", "psycho", "nosferatu"}
    old = ids(constraint_mask(arr, Constraints(genres=("horror",), year_max=1970,
                                               exclude_items=("psycho",)), cat.index_of))
    assert old == {"nosferatu"}
    assert "dune-book" not in ids(constraint_mask(arr, Constraints(domain="movie"), cat.index_of))
    no_abrahams = ids(constraint_mask(arr, Constraints(genres=("comedy",), not_creators=("abrahams",)), cat.index_of))
    assert no_abrahams and not no_abrahams & {"airplane", "hot-shots"}
    assert "alien" not in ids(constraint_mask(arr, Constraints(not_genres=("sci fi",)), cat.index_of))
    assert not constraint_mask(arr, Constraints(genres=("polka",)), cat.index_of).any()


def test_relaxation_order_keeps_exclusions() -> None:
    c = Constraints(genres=("horror",), creators=("nobody",), year_min=1900, year_max=1910, domain="movie",
                    exclude_items=("alien",))
    steps = relaxations(c)
    assert steps[0].year_min is None and steps[0].genres == ("horror",)
    assert steps[-1] == Constraints(exclude_items=("alien",))
    arr = CatalogArrays.build(small_catalog())
    pen = closeness_penalty(arr, c)
    cat = small_catalog()
    assert pen[cat.index_of["nosferatu"]] < pen[cat.index_of["alien"]]  # 1922 is closer to 1900-1910


def test_relaxation_gives_up_the_broadest_genre_group_first() -> None:
    """"a christmas movie for the family" with nothing left: christmas films, not any family film."""
    c = Constraints(genres=("christmas", "family", "funny"), genre_groups=(("family", "funny"), ("christmas",), ("dark",)))
    sizes = {("family", "funny"): 120, ("christmas",): 9, ("dark",): 40}
    steps = relaxations(c, lambda g: sizes[g])
    assert [s.genre_groups for s in steps[:3]] == [(("christmas",), ("dark",)), (("christmas",),), ()]
    assert steps[0].genres == c.genres  # the any-of filter stays until the genre step
    assert relaxations(c)[0].genre_groups == ()  # without sizes: all groups at once, as before


@pytest.mark.parametrize(("raw", "sign", "term"), [
    ("-gory", -1, "gory"), ("+dark", 1, "dark"), ("less gory", -1, "gory"), ("darker", 1, "dark"),
    ("funnier", 1, "funny"), ("sadder", 1, "sad"), ("not so violent", -1, "violent"), ("more action", 1, "action"),
    ("thriller", 1, "thriller"), ("shorter", -1, "long"), ("without gore", -1, "gore"),
])
def test_parse_critique(raw: str, sign: int, term: str) -> None:
    c = parse_critique(raw)
    assert c is not None and (c.sign, c.term) == (sign, term)


def test_parse_critiques_skips_junk() -> None:
    assert [c.term for c in parse_critiques(["", "  ", "-", "+x", 3])] == ["x"]  # type: ignore[list-item]


def test_genre_profile_follows_likes_and_asks() -> None:
    from core.recommend.preferences import genre_profile

    cat = small_catalog()
    arr = CatalogArrays.build(cat)
    h = build_history([Signal("heat", 1.0, "button", NOW)], cat.index_of, PreferenceConfig(), NOW)
    g = genre_profile(arr.genres, arr.genre_index, h)
    assert g is not None and g[cat.index_of["goodfellas"]] > g[cat.index_of["toy-story"]]
    asked = genre_profile(arr.genres, arr.genre_index, h, [(1, "animation")], asked_weight=3.0)
    assert asked is not None and asked[cat.index_of["toy-story"]] > asked[cat.index_of["goodfellas"]]
    empty = build_history([], cat.index_of, PreferenceConfig(), NOW)
    assert genre_profile(arr.genres, arr.genre_index, empty) is None


def test_title_words_find_sequels() -> None:
    from core.recommend.catalog import Catalog, Item
    from core.recommend.franchise import TitleWords

    cat = Catalog([Item("a", "Iron Man"), Item("b", "Iron Man 2"), Item("c", "Iron Man 3"), Item("d", "Heat"),
                   Item("e", "The Man Who Knew Too Much"), Item("f", "Man on Fire")])
    tw = TitleWords(cat, min_df=3)  # "man" is in 5 titles: too common to mean a franchise here
    s = tw.overlap(np.array([cat.index_of["b"]]))
    assert s is not None
    assert s[cat.index_of["a"]] == s[cat.index_of["c"]] > 0
    assert s[cat.index_of["e"]] == s[cat.index_of["f"]] == s[cat.index_of["d"]] == 0
    assert s[cat.index_of["b"]] == 0  # not itself
    alone = tw.overlap(np.array([cat.index_of["e"]]))  # its rare words are in no other title
    assert alone is not None and not alone.any()
