"""Maximal marginal relevance: a list that is not ten near-copies of the best match."""

from __future__ import annotations

import numpy as np


def mmr(vectors: np.ndarray, cand: np.ndarray, rel: np.ndarray, k: int, lam: float) -> list[int]:
    """Trade relevance against similarity to what is already picked (lam = 1: relevance only)."""
    r = rel.astype(np.float64)
    span = float(r.max() - r.min())
    r = (r - r.min()) / span if span > 1e-12 else np.ones_like(r)
    v = vectors[cand]
    sim = v @ v.T
    picked = [0]
    best_sim = sim[0].copy()
    while len(picked) < min(k, cand.size):
        gain = lam * r - (1 - lam) * best_sim
        gain[picked] = -np.inf
        j = int(np.argmax(gain))
        picked.append(j)
        best_sim = np.maximum(best_sim, sim[j])
    return [int(cand[j]) for j in picked]


__all__ = ["mmr"]
