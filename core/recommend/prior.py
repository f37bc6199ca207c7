"""Imported interaction logs as a collaborative prior: MovieLens ratings.csv mapped onto the catalog.

MovieLens writes "Matrix, The (1999)"; catalogs write "The Matrix" with year 1999. Titles are matched
with core.recommend.titles (exact normalised title + year, then near matches). Ratings become
interaction rows ("ml:<userId>", item id, (stars - 3) / 2, timestamp): 5 stars = +1, 1 star = -1.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from core.recommend.catalog import Catalog
from core.recommend.titles import TitleMatcher, split_title_year

log = logging.getLogger(__name__)

Row = tuple[str, str, float, float]


def rating_value(stars: float) -> float:
    """1..5 stars (0.5 steps) -> -1..+1; 3 stars is neutral."""
    return max(-1.0, min(1.0, (stars - 3.0) / 2.0))


@dataclass
class MovieLensPrior:
    rows: list[Row]
    mapped: dict[str, str]  # MovieLens movieId -> catalog item id
    n_ratings: int

    @property
    def coverage(self) -> float:
        return len(self.rows) / self.n_ratings if self.n_ratings else 0.0


def load_movielens_prior(ml_dir: Path, catalog: Catalog, domain: str = "movie") -> MovieLensPrior:
    """Read movies.csv + ratings.csv and keep the ratings of movies that exist in the catalog."""
    movies_csv, ratings_csv = ml_dir / "movies.csv", ml_dir / "ratings.csv"
    if not movies_csv.exists() or not ratings_csv.exists():
        log.warning("MovieLens prior: %s has no movies.csv/ratings.csv; skipped", ml_dir)
        return MovieLensPrior([], {}, 0)
    with ratings_csv.open(encoding="utf-8", newline="") as f:
        ratings = [(r["userId"], r["movieId"], float(r["rating"]), float(r["timestamp"]))
                   for r in csv.DictReader(f)]
    counts = Counter(m for _, m, _, _ in ratings)
    matcher = TitleMatcher.build(
        ((it.item_id, it.title, it.year) for it in catalog if it.domain == domain),
        weights={it.item_id: it.popularity for it in catalog},
    )
    mapped: dict[str, str] = {}
    with movies_csv.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["movieId"] not in counts:
                continue
            title, year = split_title_year(r["title"])
            key = matcher.match(title, year)
            if key is not None:
                mapped[r["movieId"]] = key
    rows = [(f"ml:{u}", mapped[m], rating_value(s), ts) for u, m, s, ts in ratings if m in mapped]
    log.info("MovieLens prior: %d of %d movies mapped, %d ratings", len(mapped), len(counts), len(rows))
    return MovieLensPrior(rows, mapped, len(ratings))
