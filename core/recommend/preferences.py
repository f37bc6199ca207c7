"""The preference model: turn a request's signals into a weighted, time-decayed item history.

u (the user's taste) is kept as a history, not a fixed vector: item index -> weight, negatives for
dislikes. CF scores it directly (x @ B), the content model averages the item embeddings with the
same weights. Weights and decay are stated in docs/recommender.md; change them in settings.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from core.recommend.types import Signal

DAY = 86400.0


def _default_kind_weights() -> dict[str, float]:
    return {
        "mention": 1.0,  # said in words; value carries the clause sentiment
        "button": 1.0,  # like / dislike button: explicit and unambiguous
        "reaction": 0.8,  # emoji on a recommendation message
        "rating": 1.0,  # imported ratings, value = (stars - 3) / 2
        "click": 0.5,  # opened / asked about an item: interest, not approval
        "seed": 1.0,  # "something like X" in this request
        "shown": 0.15,  # shown and ignored: a weak negative (stored as -0.1, or -0.3 after frustration)
    }


@dataclass(frozen=True)
class PreferenceConfig:
    kind_weights: dict[str, float] = field(default_factory=_default_kind_weights)
    unknown_kind_weight: float = 0.5
    channel_weight: float = 0.5  # evidence from this channel's other members counts half
    half_life_days: float = 180.0  # a signal's weight halves every this many days (0 = no decay)
    max_abs_weight: float = 2.0  # several signals on one item add up to at most this
    # Content neighbours of a disliked item (cosine >= neighbour_sim) lose neighbour_penalty x sim.
    neighbour_sim: float = 0.6
    neighbour_penalty: float = 0.5


@dataclass
class History:
    """Aggregated evidence over catalog indices."""

    idx: np.ndarray  # unique catalog indices with non-zero weight
    w: np.ndarray  # their weights (negative = dislike)
    recent: np.ndarray  # engaged items, oldest first (not "shown"), for the sequence model
    seen: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # every signalled item
    unknown: int = 0  # signals whose item is not in the catalog (ignored, counted for logs)
    reasons: dict[int, str] = field(default_factory=dict)  # strongest kind per item, for explanations

    @property
    def empty(self) -> bool:
        return self.idx.size == 0

    def liked(self) -> tuple[np.ndarray, np.ndarray]:
        keep = self.w > 0
        return self.idx[keep], self.w[keep]

    def disliked(self) -> tuple[np.ndarray, np.ndarray]:
        keep = self.w < 0
        return self.idx[keep], -self.w[keep]


def decay(age_s: float, half_life_days: float) -> float:
    if half_life_days <= 0 or age_s <= 0:
        return 1.0
    return 0.5 ** (age_s / (half_life_days * DAY))


def build_history(signals: Iterable[Signal], index_of: dict[str, int], cfg: PreferenceConfig,
                  now: float | None = None, seeds: Iterable[str] = ()) -> History:
    """Aggregate signals (and request seeds) into one weighted history; never raises on bad input."""
    now = time.time() if now is None else now
    acc: dict[int, float] = {}
    best: dict[int, tuple[float, str]] = {}
    engaged: list[tuple[float, int]] = []
    unknown = 0
    for s in signals:
        i = index_of.get(s.item_id)
        try:
            value, ts = float(s.value), float(s.ts)
        except (TypeError, ValueError):
            unknown += 1
            continue
        if i is None or not math.isfinite(value):
            unknown += 1
            continue
        ts = ts if math.isfinite(ts) else now
        kw = cfg.kind_weights.get(s.kind, cfg.unknown_kind_weight)
        scope = cfg.channel_weight if s.scope == "channel" else 1.0
        w = max(-1.0, min(1.0, value)) * kw * scope * decay(now - ts, cfg.half_life_days)
        acc[i] = acc.get(i, 0.0) + w
        if abs(w) > best.get(i, (0.0, ""))[0]:
            best[i] = (abs(w), s.kind)
        if s.kind != "shown":
            engaged.append((ts, i))
    for sid in seeds:
        i = index_of.get(sid)
        if i is None:
            unknown += 1
            continue
        w = cfg.kind_weights.get("seed", 1.0)
        acc[i] = acc.get(i, 0.0) + w
        best[i] = (max(w, best.get(i, (0.0, ""))[0]), "seed")
        engaged.append((now, i))
    keys = [i for i, v in acc.items() if abs(v) > 1e-9]
    idx = np.asarray(keys, dtype=np.int64)
    w = np.clip(np.asarray([acc[i] for i in keys], dtype=np.float32), -cfg.max_abs_weight, cfg.max_abs_weight)
    engaged.sort(key=lambda t: t[0])
    recent = np.asarray([i for _, i in engaged], dtype=np.int64)
    seen = np.asarray(sorted(best.keys() | acc.keys()), dtype=np.int64)
    return History(idx=idx, w=w, recent=recent, seen=seen, unknown=unknown,
                   reasons={i: k for i, (_, k) in best.items()})


def content_profile(vectors: np.ndarray, hist: History) -> np.ndarray | None:
    """u in embedding space: weighted mean of liked minus disliked item vectors, unit length."""
    if hist.empty or vectors.shape[0] == 0:
        return None
    u = hist.w.astype(np.float32) @ vectors[hist.idx]
    n = float(np.linalg.norm(u))
    return u / n if n > 1e-9 else None


def neighbour_penalty(sims: np.ndarray, dislike_w: np.ndarray, cfg: PreferenceConfig) -> np.ndarray:
    """Extra push-down for items close to something disliked (the dislike spreads to neighbours).

    sims: (candidates x disliked items) cosine similarities; dislike_w: how strongly each was disliked.
    """
    over = np.clip(sims - cfg.neighbour_sim, 0.0, None) / max(1e-6, 1.0 - cfg.neighbour_sim)
    return cfg.neighbour_penalty * (over * np.minimum(dislike_w, 1.0)).max(axis=1)


def genre_profile(genres: sp.csr_matrix, genre_index: dict[str, int], hist: History,
                  asked: Iterable[tuple[int, str]] = (), asked_weight: float = 1.5) -> np.ndarray | None:
    """Cosine between each item's genres and the user's: liked-minus-disliked genres plus asked ones.

    asked: (+1/-1, normalised genre) from this conversation's critiques ("+horror", "less romance").
    """
    g = np.zeros(genres.shape[1], dtype=np.float32)
    if not hist.empty:
        g += np.asarray(genres[hist.idx].T @ hist.w.astype(np.float32)).ravel()
    for sign, name in asked:
        j = genre_index.get(name)
        if j is not None:
            g[j] += sign * asked_weight
    norm = float(np.linalg.norm(g))
    if norm < 1e-9:
        return None
    return np.asarray(genres @ (g / norm), dtype=np.float32).ravel()
