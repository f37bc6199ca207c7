"""Title normalisation/matching and the MovieLens prior mapping onto a catalog."""

from __future__ import annotations

from pathlib import Path

from core.recommend.catalog import Catalog, Item
from core.recommend.prior import load_movielens_prior, rating_value
from core.recommend.titles import (
    TitleMatcher,
    display_title,
    normalize_title,
    split_title_year,
    title_variants,
)


def test_split_and_display_titles() -> None:
    assert split_title_year("Toy Story 2 (1999)") == ("Toy Story 2", 1999)
    assert split_title_year("Ant-Man  (2015)") == ("Ant-Man", 2015)
    assert split_title_year("A Wrinkle in Time ") == ("A Wrinkle in Time", None)
    assert display_title("Matrix, The (1999)") == ("The Matrix", 1999)
    assert display_title("Seven (a.k.a. Se7en) (1995)") == ("Seven", 1995)
    assert title_variants("Postman, The (Postino, Il)") == ["The Postman", "Il Postino"]


def test_normalize_title_makes_sources_agree() -> None:
    assert normalize_title("Matrix, The") == normalize_title("The Matrix") == "matrix"
    assert normalize_title("Amélie") == normalize_title("Amelie")
    assert normalize_title("Fast & Furious") == normalize_title("Fast and Furious")
    assert normalize_title("Star Wars: Episode VIII – The Last Jedi") == normalize_title("Star Wars: The Last Jedi")
    assert normalize_title("Kill Bill: Volume 2") == normalize_title("Kill Bill: Vol. 2")


def _matcher() -> TitleMatcher:
    entries = [
        ("2571", "Matrix, The", 1999),
        ("47", "Seven (a.k.a. Se7en)", 1995),
        ("179401", "Jumanji: Welcome to the Jungle", 2017),
        ("2", "Jumanji", 1995),
        ("1721", "Titanic", 1997),
        ("9999", "Titanic", 1953),
        ("6874", "Kill Bill: Vol. 1", 2003),
        ("7438", "Kill Bill: Vol. 2", 2004),
        ("122912", "Avengers: Infinity War - Part I", 2018),
        ("1", "Toy Story", 1995),
    ]
    weights = {"1721": 140.0, "9999": 2.0, "6874": 130.0, "7438": 110.0}
    return TitleMatcher.build(entries, weights=weights)


def test_matcher_exact_alias_subtitle_and_year_tolerance() -> None:
    m = _matcher()
    assert m.match("The Matrix", 1999) == "2571"
    assert m.match("The Matrix", 2000) == "2571"  # off by one year
    assert m.match("Se7en", 1995) == "47"  # a.k.a. title
    assert m.match("Jumanji", 2017) == "179401"  # subtitle head in the same year
    assert m.match("Jumanji", 1995) == "2"
    assert m.match("Avengers: Infinity War", 2018) == "122912"
    assert m.match("Toy Storry", 1995) == "1"  # rapidfuzz near match, same year


def test_matcher_missing_or_wrong_year_prefers_the_well_known_entry() -> None:
    m = _matcher()
    assert m.match("Titanic", 2012) == "1721"  # ReDial writes a wrong year; 1997 has far more ratings
    assert m.match("Titanic", None) == "1721"
    assert m.match("Kill Bill", None) == "6874"
    assert m.match("Titanic", 1900) is None  # too far off to be the same film
    assert m.match("A Film Nobody Made", 2001) is None
    assert m.match("", None) is None


def test_rating_value_scale() -> None:
    assert rating_value(5.0) == 1.0
    assert rating_value(3.0) == 0.0
    assert rating_value(0.5) == -1.0
    assert rating_value(4.0) == 0.5


def test_movielens_prior_maps_titles_onto_catalog(tmp_path: Path) -> None:
    (tmp_path / "movies.csv").write_text(
        'movieId,title,genres\n1,"Matrix, The (1999)",Sci-Fi\n2,Heat (1995),Crime\n3,Unknown Film (1990),Drama\n',
        encoding="utf-8")
    (tmp_path / "ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n1,1,5.0,100\n1,2,2.0,101\n2,3,4.0,102\n2,1,4.5,103\n", encoding="utf-8")
    cat = Catalog([Item("m-matrix", "The Matrix", year=1999), Item("m-heat", "Heat", year=1995),
                   Item("b-heat", "Heat", domain="book", year=1995)])
    prior = load_movielens_prior(tmp_path, cat)
    assert prior.mapped == {"1": "m-matrix", "2": "m-heat"}  # books are not matched to movies
    assert ("ml:1", "m-matrix", 1.0, 100.0) in prior.rows
    assert ("ml:1", "m-heat", -0.5, 101.0) in prior.rows
    assert len(prior.rows) == 3 and abs(prior.coverage - 0.75) < 1e-9


def test_movielens_prior_missing_folder_is_empty(tmp_path: Path) -> None:
    prior = load_movielens_prior(tmp_path / "nope", Catalog([Item("x", "X")]))
    assert prior.rows == [] and prior.coverage == 0.0


def test_matcher_finds_a_film_by_the_title_after_its_series_name_or_credit() -> None:
    m = TitleMatcher.build([
        ("1196", "Star Wars: Episode V - The Empire Strikes Back", 1980),
        ("5283", "National Lampoon's Van Wilder", 2002),
        ("93272", "Dr. Seuss' The Lorax", 2012),
        ("750", "Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb", 1964),
        ("527", "Schindler's List", 1993),
        ("9", "Kid in King Arthur's Court, A", 1995),
    ])
    assert m.match("The Empire Strikes Back", 1980) == "1196"
    assert m.match("Van Wilder", 2002) == "5283"
    assert m.match("The Lorax", 2012) == "93272"
    assert m.match("Dr. Strangelove", 1964) == "750"
    # Only two-word tails in the film's year: a lone word or another year is another film.
    assert m.match("List", 1993) is None
    assert m.match("Van Wilder", 1980) is None
    assert m.match("The Empire Strikes Back", None) is None
    assert m.match("Court", 1995) is None
