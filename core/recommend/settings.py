"""The recommender's weights and knobs (RecSettings), and how the app's [recommend] section maps onto them.

What each weight does is in core/recommend/engine.py's docstring and docs/recommender.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from core.recommend.cf import CFConfig
from core.recommend.preferences import PreferenceConfig

log = logging.getLogger("core.recommend.engine")  # the name these warnings always had


@dataclass(frozen=True)
class RecSettings:
    prefs: PreferenceConfig = field(default_factory=PreferenceConfig)
    cf: CFConfig = field(default_factory=CFConfig)
    w_cf: float = 1.0
    w_profile: float = 0.4
    w_query: float = 1.0
    w_seed: float = 0.6
    w_critique: float = 0.5
    w_critique_tag: float = 1.0  # an explicit "less gory" should visibly change the list
    w_genre: float = 0.5  # genre affinity: liked genres and asked-for genres (preferences.genre_profile)
    w_title: float = 0.5  # sequels/franchises: shared distinctive title words with liked items and seeds
    genre_asked_weight: float = 1.5
    w_pop: float = 0.1
    w_pop_cold: float = 0.5
    w_pop_interactions: float = 1.0  # how much interaction counts (CF rows) add to item.popularity
    w_recency: float = 0.0
    recency_scale_years: float = 3.0
    w_year: float = 0.0  # year affinity to the liked items (off by default; the ReDial setting uses it)
    year_scale: float = 8.0  # years at which that affinity falls to 1/e
    critique_tag_sim: float = 0.6  # a critique word maps to the nearest catalog tag above this cosine
    mmr_lambda: float = 0.7  # 1 = pure relevance, 0 = pure novelty
    mmr_pool: int = 50
    penalty_pool: int = 2000  # dislike-neighbour penalties are computed for this many top candidates
    max_penalised_dislikes: int = 16  # the strongest dislikes spread to neighbours (bounded work)
    retrain_min_new_rows: int = 50  # retrain_if_needed() refits after this many new interactions
    workers: int = 2
    movielens_dir: str | None = None  # MovieLens folder (ratings.csv, movies.csv) used as CF prior

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any] | object | None) -> RecSettings:
        """Build from a config section (a mapping or bot.config.RecommendSettings-like object).

        Nested prefs/cf tables are accepted; `ratings_prior` (a MovieLens ratings.csv or its folder)
        and `half_life_days` are the names the app config uses. Unknown keys are logged and ignored.
        """
        if m is None:
            return cls()
        if not isinstance(m, Mapping):
            m = {k: getattr(m, k) for k in dir(m) if not k.startswith("_") and not callable(getattr(m, k))}
        known = {f.name for f in fields(cls)}
        kw: dict[str, Any] = {}
        prefs: dict[str, Any] = {}
        for k, v in m.items():
            if k == "prefs" and isinstance(v, Mapping):
                prefs.update(v)
            elif k == "cf" and isinstance(v, Mapping):
                kw[k] = _dc_from(CFConfig, v)
            elif k == "half_life_days":
                prefs["half_life_days"] = float(v)
            elif k == "ratings_prior":
                if v:
                    p = Path(str(v)).expanduser()
                    kw["movielens_dir"] = str(p.parent if p.suffix == ".csv" else p)
            elif k in known:
                kw[k] = v
            elif k not in _APP_KEYS:
                log.warning("recommend settings: unknown key %r ignored", k)
        if prefs:
            kw["prefs"] = _dc_from(PreferenceConfig, prefs)
        return cls(**kw)


def chat_settings() -> RecSettings:
    """Weights for a movie chat where people name films they know (ReDial-like), not rating logs.

    Tuned on ReDial's dev.jsonl (benchmarks/redial.py, docs/bench_recommend.md; figures there are marked
    dev-tuned). Compared with the defaults: popularity weighs much more (a crowd-sourced chat leans on
    well-known films), EASE is fit on every MovieLens rating (co-watched, not co-liked: people mention
    films they know), the MovieLens rating counts add only a little to the catalog's mention counts
    (0.15: chosen on half a of dev.jsonl among 0 / 0.15 / 0.3, and half b agreed), and evidence decays
    with a half-life of 5 messages (signal ts = message index in seconds).
    """
    return RecSettings(
        cf=CFConfig(ease_lambda=800.0, min_positive=-2.0, use_knn=False, use_als=False, w_ease=0.7, w_knn=0.0,
                    w_als=0.0, w_seq=0.2),
        prefs=PreferenceConfig(half_life_days=5 / 86400, neighbour_penalty=0.3),
        w_cf=1.0, w_profile=1.0, w_query=0.2, w_seed=0.0, w_critique=0.0, w_critique_tag=0.3, w_genre=1.0,
        w_title=1.0, genre_asked_weight=1.5, w_pop=2.0, w_pop_cold=1.0, w_pop_interactions=0.15, w_recency=0.0,
        workers=1,
    )


# Keys of the app's [recommend] section that belong to the app, not the engine.
_APP_KEYS = {"engine", "k", "retrain_minutes"}


def _dc_from(cls: Any, m: Mapping[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in m.items() if k in names})
