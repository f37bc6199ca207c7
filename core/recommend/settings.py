"""The recommender's weights and knobs (RecSettings), and the app's [recommend] section (RecommendSettings).

What each weight does is in core/recommend/engine.py's docstring and docs/recommender.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from core.recommend.cf import CFConfig
from core.recommend.conversation_learning import ConversationLearning
from core.recommend.preferences import PreferenceConfig
from core.settings import Settings, SettingsError, unknown_key

# How fast the app forgets preference evidence (half its weight after this many days). The recommender
# and core/feedback.py's taste summary both decay with it, so it is defined once, here.
HALF_LIFE_DAYS = 60.0


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
    # What answered the same request terms in this tenant's past conversations (request_learning.py).
    w_request: float = 1.0
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
    workers: int = 2
    movielens_dir: str | None = None  # MovieLens folder (ratings.csv, movies.csv) used as CF prior
    # 0: every tenant learns only from its own signals (plus the priors). k >= 2: tenants also share
    # item associations seen in at least k tenants (core/recommend/tenancy.py; docs/recommender.md).
    pool_min_tenants: int = 0
    # Each stored conversation is one more row of its tenant's CF (conversation_learning.py).
    learn_from_conversations: bool = True
    # The tenants' own CF parts (their people and conversations: far fewer rows than a ratings prior,
    # so they may want a lighter regularisation); None = the same as `cf`.
    tenant_cf: CFConfig | None = None
    conversations: ConversationLearning = field(default_factory=ConversationLearning)

    def __post_init__(self) -> None:
        k = self.pool_min_tenants
        if isinstance(k, bool) or not isinstance(k, int) or k < 0 or k == 1:
            raise ValueError(f"pool_min_tenants: expected 0 (learn per tenant) or a whole number >= 2 "
                             f"(pool associations seen in that many tenants), got {k!r}")

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any] | RecommendSettings | None) -> RecSettings:
        """Build from the app's [recommend] section, or from a table of engine knobs.

        A RecommendSettings passes on every field the engine also has (same name), plus
        ``ratings_prior`` (a MovieLens ratings.csv or its folder) and ``half_life_days``; its app-only
        fields (engine, k ...) stay with the app. A plain mapping may hold RecSettings fields and nested
        ``prefs`` / ``cf`` tables; an unknown key in it is an error naming the valid ones.
        """
        if m is None:
            return cls()
        strict = not isinstance(m, RecommendSettings)
        raw = dict(m) if strict else m.model_dump()  # type: ignore[arg-type]
        known = {f.name for f in fields(cls)}
        kw: dict[str, Any] = {}
        prefs: dict[str, Any] = {}
        for k, v in raw.items():
            if k in ("prefs", "cf") and isinstance(v, Mapping):
                target = prefs if k == "prefs" else kw.setdefault("cf", {})
                target.update(_checked(PreferenceConfig if k == "prefs" else CFConfig, f"recommend.{k}", v))
            elif k == "half_life_days":
                prefs["half_life_days"] = float(v)
            elif k == "ratings_prior":
                if v:
                    p = Path(str(v)).expanduser()
                    kw["movielens_dir"] = str(p.parent if p.suffix == ".csv" else p)
            elif k in known:
                kw[k] = v
            elif strict:
                raise SettingsError(unknown_key("recommend", k, known | {"half_life_days", "ratings_prior"}))
        if "cf" in kw:
            kw["cf"] = CFConfig(**kw["cf"])
        if prefs:
            kw["prefs"] = PreferenceConfig(**prefs)
        return cls(**kw)


def chat_settings() -> RecSettings:
    """Weights for a movie chat where people name films they know (ReDial-like), not rating logs.

    Tuned on ReDial's dev.jsonl (benchmarks/redial.py, docs/bench_recommend.md; figures there are marked
    dev-tuned). Compared with the defaults: popularity weighs much more (a crowd-sourced chat leans on
    well-known films), EASE is fit on every MovieLens rating (co-watched, not co-liked: people mention
    films they know), the MovieLens rating counts add only a little to the catalog's mention counts
    (0.15: chosen on half a of dev.jsonl among 0 / 0.15 / 0.3, and half b agreed), evidence decays
    with a half-life of 5 messages (signal ts = message index in seconds), and what answered the same
    request terms in the tenant's past conversations weighs 2 (request_learning.py; chosen among
    0 / 1 / 2 by 5-fold cross-validation inside dev.jsonl, benchmarks/redial_learn.py).
    """
    return RecSettings(
        cf=CFConfig(ease_lambda=800.0, min_positive=-2.0, use_knn=False, use_als=False, w_ease=0.7, w_knn=0.0,
                    w_als=0.0, w_seq=0.2),
        prefs=PreferenceConfig(half_life_days=5 / 86400, neighbour_penalty=0.3),
        w_cf=1.0, w_profile=1.0, w_query=0.2, w_seed=0.0, w_critique=0.0, w_critique_tag=0.3, w_genre=1.0,
        w_title=1.0, genre_asked_weight=1.5, w_pop=2.0, w_pop_cold=1.0, w_pop_interactions=0.15, w_recency=0.0,
        w_request=2.0, workers=1,
    )


def _checked(cls: Any, section: str, m: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    for k in m:
        if k not in names:
            raise SettingsError(unknown_key(section, k, names))
    return dict(m)


class RecommendSettings(Settings):
    """The app's [recommend] section (how to add a setting: core/settings.py).

    A field named like a RecSettings field (w_pop, mmr_lambda ...) reaches the engine unchanged
    (RecSettings.from_mapping), so exposing an engine knob is one line here with its range.
    """

    engine: Literal["hybrid", "simple"] = "hybrid"  # simple: keyword overlap + popularity, no model load
    k: Annotated[int, Field(ge=1, le=50)] = 5  # items per recommendation list
    ratings_prior: str = ""  # optional MovieLens-style ratings.csv used as a CF prior
    half_life_days: Annotated[float, Field(gt=0)] = HALF_LIFE_DAYS
    retrain_minutes: Annotated[float, Field(ge=0)] = 30.0  # CF refit from new feedback; 0 = never
    # 0: every tenant learns only from its own signals (plus the priors); k >= 2: tenants also share item
    # associations seen in at least k tenants (privacy trade-off: docs/recommender.md).
    pool_min_tenants: Annotated[int, Field(ge=0)] = 0
    # Learn item associations and accepted/rejected recommendations from the tenant's own stored
    # conversations at each refit (docs/recommender.md); false: only per-person rows.
    learn_from_conversations: bool = True

    @field_validator("pool_min_tenants")
    @classmethod
    def _not_one(cls, k: int) -> int:
        if k == 1:
            raise ValueError("must be 0 (learn per tenant) or >= 2 (pool associations seen in that many tenants)")
        return k

    def engine_settings(self) -> RecSettings:
        return RecSettings.from_mapping(self)
