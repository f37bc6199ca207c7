"""Year affinity: items released close to the years of what the person liked score higher.

Someone who names three 80s comedies is more likely to take a fourth 80s film than a 2017 one, and
someone naming recent blockbusters wants recent films; genres alone do not carry that. The score is
a weighted mean of exp(-|year_i - year_j| / scale) over the liked items j with a year; items without
a year score the mean (neutral after centring).
"""

from __future__ import annotations

import numpy as np


def year_affinity(years: np.ndarray, liked_idx: np.ndarray, liked_w: np.ndarray, scale: float,
                  cand: np.ndarray | None = None) -> np.ndarray | None:
    """Affinity over `cand` (all items when None); None when no liked item has a year or scale <= 0."""
    if scale <= 0 or liked_idx.size == 0:
        return None
    ly = years[liked_idx]
    ok = np.isfinite(ly) & (liked_w > 0)
    if not ok.any():
        return None
    ly, lw = ly[ok].astype(np.float32), liked_w[ok].astype(np.float32)
    lw = lw / float(lw.sum())
    y = (years if cand is None else years[cand]).astype(np.float32)
    known = np.isfinite(y)
    out = np.zeros(y.size, dtype=np.float32)
    if known.any():
        gaps = np.abs(y[known, None] - ly[None, :])
        out[known] = np.exp(-gaps / scale) @ lw
        out[~known] = float(out[known].mean())
    return out
