"""Collaborative filtering in numpy: EASE, ItemKNN, implicit ALS, popularity, and their blend.

All models here score items from a *weighted history vector* (item index -> weight, negatives
allowed) instead of a fitted per-user row. That is what lets a reaction change the very next
recommendation: the engine rebuilds the history from the request's signals, no refit needed.
EASE and ItemKNN are item-item matrices (score = x @ B); ALS folds the history into a user vector
with one regularised least-squares solve against the fixed item factors.

Why EASE is the main model and ALS/ItemKNN are blended in: see docs/recommender.md (measured on
MovieLens by benchmarks/movielens.py).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

log = logging.getLogger(__name__)

Csr = sp.csr_matrix


@dataclass(frozen=True, slots=True)
class CFConfig:
    # Defaults = what validated best on MovieLens (benchmarks/movielens.py, docs/bench_recommend.md).
    ease_lambda: float = 100.0
    # Interactions with value above this train the item-item models (ratings: 0.25 = 4 stars and up).
    min_positive: float = 0.0
    # EASE inverts an (n x n) Gram matrix; beyond this many active items only the most-interacted
    # ones get an EASE row (the rest still get ItemKNN/ALS/popularity scores).
    max_ease_items: int = 12000
    knn_neighbours: int = 100
    knn_shrink: float = 10.0
    als_factors: int = 32
    als_regularization: float = 1.0
    als_alpha: float = 5.0
    als_iterations: int = 15
    # Item-to-next-item transitions within this many later interactions of the same user.
    seq_window: int = 10
    use_als: bool = True
    use_knn: bool = True
    use_seq: bool = True
    seed: int = 7
    threads: int = 1
    # Blend weights (each component is scaled to its top-10 magnitude first, see `scale_top`).
    w_ease: float = 1.0
    w_knn: float = 0.2
    w_als: float = 0.2
    w_seq: float = 0.6
    # The user's most recent interactions feed the sequence component, decayed by position.
    seq_recent: int = 20
    seq_decay: float = 5.0


@dataclass
class InteractionLog:
    """Interaction rows mapped to indices: user row, catalog item index, value (-1..1), timestamp."""

    users: np.ndarray
    items: np.ndarray
    values: np.ndarray
    ts: np.ndarray
    n_users: int
    n_items: int

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[object]], index_of: dict[str, int]) -> InteractionLog:
        """Rows (user, item id, value[, ts]); unknown items are skipped, missing ts keep row order."""
        ukeys: dict[str, int] = {}
        us: list[int] = []
        its: list[int] = []
        vs: list[float] = []
        tss: list[float] = []
        for n, row in enumerate(rows):
            if len(row) < 3:
                continue
            idx = index_of.get(str(row[1]))
            if idx is None:
                continue
            try:
                value = float(row[2])  # type: ignore[arg-type]
                ts = float(row[3]) if len(row) > 3 and row[3] is not None else float(n)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
            if not (math.isfinite(value) and math.isfinite(ts)):
                continue
            us.append(ukeys.setdefault(str(row[0]), len(ukeys)))
            its.append(idx)
            vs.append(value)
            tss.append(ts)
        return cls(
            users=np.asarray(us, dtype=np.int64), items=np.asarray(its, dtype=np.int64),
            values=np.asarray(vs, dtype=np.float32), ts=np.asarray(tss, dtype=np.float64),
            n_users=len(ukeys), n_items=len(index_of),
        )

    def matrix(self) -> Csr:
        """(users x items) summed values; several rows for one pair add up, clipped to -1..1."""
        x = sp.csr_matrix((self.values, (self.users, self.items)), shape=(self.n_users, self.n_items),
                          dtype=np.float32)
        x.sum_duplicates()
        x.data = np.clip(x.data, -1.0, 1.0)
        return x

    def transitions(self, window: int) -> Csr:
        """Row-normalised counts of item j following item i within `window` steps of one user."""
        n = self.n_items
        if self.users.size < 2:
            return sp.csr_matrix((n, n), dtype=np.float32)
        order = np.lexsort((self.ts, self.users))
        u, it = self.users[order], self.items[order]
        rows, cols, vals = [], [], []
        for d in range(1, window + 1):
            same = u[:-d] == u[d:]
            rows.append(it[:-d][same])
            cols.append(it[d:][same])
            vals.append(np.full(int(same.sum()), 1.0 / d, dtype=np.float32))
        t = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n),
                          dtype=np.float32)
        t.setdiag(0.0)
        t.eliminate_zeros()
        rs = np.asarray(t.sum(axis=1)).ravel()
        return (sp.diags(1.0 / np.maximum(rs, 1e-9)).astype(np.float32) @ t).tocsr()


def _column_counts(x: Csr) -> np.ndarray:
    return np.asarray((x != 0).sum(axis=0)).ravel()


def fit_ease(x: Csr, lam: float, items: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """EASE (Steck 2019): B = I - P diagMat(1/diag(P)), P = (X'X + lam I)^-1, on the given columns.

    Returns (active column indices, B restricted to them) so big sparse catalogs stay cheap.
    """
    if items is None:
        items = np.flatnonzero(_column_counts(x))
    if items.size == 0:
        return items, np.zeros((0, 0), dtype=np.float32)
    xs = x[:, items]
    g = np.asarray((xs.T @ xs).todense(), dtype=np.float64)
    g[np.diag_indices_from(g)] += lam
    p = np.linalg.inv(g)
    b = p / (-np.diag(p))
    b[np.diag_indices_from(b)] = 0.0
    return items, b.astype(np.float32)


def fit_itemknn(x: Csr, k: int, shrink: float) -> Csr:
    """Cosine item-item similarity with shrinkage, top-k neighbours per item (row = source item)."""
    xb = x.copy().tocsc().astype(np.float64)
    norms = np.sqrt(np.asarray(xb.multiply(xb).sum(axis=0)).ravel())
    co = (xb.T @ xb).tocsr()
    co.setdiag(0.0)
    co.eliminate_zeros()
    co = co.tocoo()
    denom = norms[co.row] * norms[co.col] + shrink
    sim = sp.csr_matrix((co.data / np.maximum(denom, 1e-9), (co.row, co.col)), shape=co.shape)
    # keep the k strongest neighbours of each row
    rows, cols, vals = [], [], []
    for r in range(sim.shape[0]):
        start, end = sim.indptr[r], sim.indptr[r + 1]
        if start == end:
            continue
        d, c = sim.data[start:end], sim.indices[start:end]
        if d.size > k:
            top = np.argpartition(-d, k)[:k]
            d, c = d[top], c[top]
        rows.append(np.full(d.size, r))
        cols.append(c)
        vals.append(d)
    if not rows:
        return sp.csr_matrix(sim.shape, dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=sim.shape, dtype=np.float32
    )


def fit_als(x: Csr, cfg: CFConfig) -> np.ndarray | None:
    """Implicit-feedback ALS (Hu, Koren, Volinsky 2008) with the `implicit` library; item factors only."""
    if x.nnz == 0 or min(x.shape) < 2:
        return None
    import warnings

    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits  # a dependency of implicit

    factors = max(2, min(cfg.als_factors, min(x.shape) - 1))
    # ALS confidences must be positive; negatives are handled at scoring time.
    pos = x.copy()
    pos.data = np.maximum(pos.data, 0.0)
    pos.eliminate_zeros()
    # implicit runs its own threads; a BLAS thread pool underneath only fights them (it warns about it).
    with threadpool_limits(1, "blas"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*OpenBLAS is configured.*")
        model = AlternatingLeastSquares(
            factors=factors, regularization=cfg.als_regularization, alpha=cfg.als_alpha,
            iterations=cfg.als_iterations, random_state=cfg.seed, num_threads=cfg.threads,
        )
        model.fit(pos.astype(np.float32).tocsr(), show_progress=False)
    return np.asarray(model.item_factors, dtype=np.float32)


def als_fold_in(y: np.ndarray, yty: np.ndarray, idx: np.ndarray, w: np.ndarray, alpha: float,
                reg: float) -> np.ndarray:
    """User factors for a history (idx, positive weights w): (Y'CY + reg I)^-1 Y'Cp with C = 1 + alpha w."""
    yi = y[idx]
    c = alpha * w
    a = yty + (yi.T * c) @ yi + reg * np.eye(y.shape[1], dtype=np.float32)
    b = (yi.T * (1.0 + c)).sum(axis=1)
    return np.linalg.solve(a, b).astype(np.float32)


@dataclass
class CFModel:
    """Fitted CF over catalog indices 0..n_items-1 (items without interactions score 0)."""

    n_items: int
    cfg: CFConfig = field(default_factory=CFConfig)
    ease_items: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    ease_b: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    ease_pos: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    knn: Csr | None = None
    als_y: np.ndarray | None = None
    als_yty: np.ndarray | None = None
    seq: Csr | None = None
    pop: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    n_rows: int = 0

    @classmethod
    def fit_log(cls, log_: InteractionLog, cfg: CFConfig | None = None) -> CFModel:
        cfg = cfg or CFConfig()
        m = cls.fit(log_.matrix(), cfg)
        if cfg.use_seq and log_.users.size:
            m.seq = log_.transitions(cfg.seq_window)
        return m

    @classmethod
    def fit(cls, x: Csr, cfg: CFConfig | None = None) -> CFModel:
        """x: (users x items) weights; positive = liked, negative = disliked (used only at scoring)."""
        cfg = cfg or CFConfig()
        x = sp.csr_matrix(x, dtype=np.float32)
        n = x.shape[1]
        m = cls(n_items=n, cfg=cfg, n_rows=int(x.nnz))
        m.pop = np.zeros(n, dtype=np.float32)
        if x.nnz == 0:
            return m
        pos = x.copy()
        pos.data = np.where(pos.data > cfg.min_positive, pos.data, 0.0).astype(np.float32)
        pos.eliminate_zeros()
        counts = _column_counts(pos)
        m.pop = counts.astype(np.float32)
        active = np.flatnonzero(counts)
        if active.size > cfg.max_ease_items:
            active = np.sort(active[np.argsort(-counts[active], kind="stable")[: cfg.max_ease_items]])
        binary = pos.copy()
        binary.data = np.ones_like(binary.data)
        m.ease_items, m.ease_b = fit_ease(binary, cfg.ease_lambda, active)
        m.ease_pos = np.full(n, -1, dtype=np.int64)
        m.ease_pos[m.ease_items] = np.arange(m.ease_items.size)
        if cfg.use_knn and pos.nnz:
            m.knn = fit_itemknn(binary, cfg.knn_neighbours, cfg.knn_shrink)
        if cfg.use_als:
            m.als_y = fit_als(binary, cfg)
            if m.als_y is not None:
                m.als_yty = m.als_y.T @ m.als_y
        log.info("CF fitted: %d rows, %d items, %d in EASE", x.nnz, n, m.ease_items.size)
        return m

    @property
    def empty(self) -> bool:
        return self.ease_items.size == 0

    def ease_scores(self, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
        out = np.zeros(self.n_items, dtype=np.float32)
        if self.ease_items.size == 0 or idx.size == 0:
            return out
        p = self.ease_pos[idx]
        keep = p >= 0
        if keep.any():
            out[self.ease_items] = w[keep].astype(np.float32) @ self.ease_b[p[keep]]
        return out

    def knn_scores(self, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
        if self.knn is None or idx.size == 0:
            return np.zeros(self.n_items, dtype=np.float32)
        rows = self.knn[idx]
        return np.asarray(rows.T @ w.astype(np.float32), dtype=np.float32).ravel()

    def als_scores(self, idx: np.ndarray, w: np.ndarray, cand: np.ndarray | None = None) -> np.ndarray:
        """Fold the history into a user vector; score all items, or only `cand` (big catalogs)."""
        size = self.n_items if cand is None else cand.size
        if self.als_y is None or self.als_yty is None or idx.size == 0:
            return np.zeros(size, dtype=np.float32)
        good = w > 0
        u = np.zeros(self.als_y.shape[1], dtype=np.float32)
        if good.any():
            u += als_fold_in(self.als_y, self.als_yty, idx[good], w[good], self.cfg.als_alpha,
                             self.cfg.als_regularization)
        if (~good).any():
            # Disliked items: subtract their (normalised) factor direction, like a negative query.
            neg = (self.als_y[idx[~good]].T @ -w[~good]).astype(np.float32)
            u -= neg / max(1.0, float(np.linalg.norm(neg)))
        y = self.als_y if cand is None or cand.size > 0.3 * self.n_items else self.als_y[cand]
        out = y @ u
        return out[cand] if cand is not None and y is self.als_y else out

    def contributions(self, idx: np.ndarray, w: np.ndarray, targets: np.ndarray) -> np.ndarray | None:
        """(targets x history) EASE contributions w_j * B[j, t], to name the strongest evidence."""
        if self.ease_items.size == 0 or idx.size == 0 or targets.size == 0:
            return None
        pj, pt = self.ease_pos[idx], self.ease_pos[targets]
        out = np.zeros((targets.size, idx.size), dtype=np.float32)
        okj, okt = pj >= 0, pt >= 0
        if okj.any() and okt.any():
            sub = self.ease_b[np.ix_(pj[okj], pt[okt])] * w[okj, None]
            out[np.ix_(np.flatnonzero(okt), np.flatnonzero(okj))] = sub.T
        return out

    def seq_scores(self, recent: np.ndarray) -> np.ndarray:
        """What people engaged with next after this user's latest items (oldest first in `recent`)."""
        if self.seq is None or recent.size == 0:
            return np.zeros(self.n_items, dtype=np.float32)
        last = recent[-self.cfg.seq_recent:]
        w = np.exp(-np.arange(last.size, dtype=np.float32)[::-1] / self.cfg.seq_decay)
        return np.asarray(self.seq[last].T @ w, dtype=np.float32).ravel()

    def components(self, idx: np.ndarray, w: np.ndarray, recent: np.ndarray,
                   cand: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Raw per-component scores for one history, over all items or aligned with `cand`."""
        pick = (lambda v: v) if cand is None else (lambda v: v[cand])
        out: dict[str, np.ndarray] = {"ease": pick(self.ease_scores(idx, w))}
        if self.knn is not None and self.cfg.w_knn:
            out["knn"] = pick(self.knn_scores(idx, w))
        if self.als_y is not None and self.cfg.w_als:
            out["als"] = self.als_scores(idx, w, cand)
        if self.seq is not None and self.cfg.w_seq:
            out["seq"] = pick(self.seq_scores(recent))
        return out

    def score(self, idx: np.ndarray, w: np.ndarray, recent: np.ndarray,
              weights: dict[str, float] | None = None, cand: np.ndarray | None = None) -> np.ndarray:
        """The blended CF score (over `cand` when given): top-scaled components with their weights."""
        cfg = self.cfg
        wts = weights or {"ease": cfg.w_ease, "knn": cfg.w_knn, "als": cfg.w_als, "seq": cfg.w_seq}
        total = np.zeros(self.n_items if cand is None else cand.size, dtype=np.float32)
        for name, v in self.components(idx, w, recent, cand).items():
            if wts.get(name, 0.0):
                total += wts[name] * scale_top(v)
        return total


def scale_top(v: np.ndarray, k: int = 10) -> np.ndarray:
    """Divide by the mean magnitude of the k largest scores, so components blend on one scale.

    Top-k scaling measured better than z-scoring on MovieLens: CF scores are heavy-tailed and only
    the head of each list matters for a top-10. CF vectors are mostly zeros, which makes a full
    np.partition slow (introselect and many ties), so the positives are selected first.
    """
    if v.size == 0:
        return v
    k = min(k, v.size)
    pos = v[v > 0]
    if pos.size >= k:
        top = np.partition(pos, pos.size - k)[pos.size - k:]
    else:
        top = np.partition(v, v.size - k)[v.size - k:]
    m = float(np.mean(np.abs(top)))
    return v / m if m > 1e-12 else np.zeros_like(v)
