"""Learning per tenant: each tenant's collaborative model comes from its own signals plus the
operator's global priors, never from another tenant's people.

A tenant's CF is a `CFBlend` of parts, each fitted on data that tenant may see:
- the global part: the operator's prior (a ratings file, `set_prior`) and rows handed to
  `fit_interactions` without a tenant (benchmarks, imported logs). Shared by every tenant.
- the tenant's own part: fitted on that tenant's stored interactions only.
- optionally a pooled part ([recommend] pool_min_tenants = k >= 2): item-item associations learned
  across tenants, where each tenant counts at most once per item pair and a pair counts only when
  at least k tenants show it (k-anonymity for associations; docs/recommender.md has the trade-off).
Popularity follows the same rule: the catalog's bundled popularity plus the parts' counts.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from core.recommend.cf import CFConfig, CFModel, InteractionLog

log = logging.getLogger(__name__)


@dataclass
class CFBlend:
    """Several fitted CF parts behind CFModel's scoring interface (score, contributions, pop).

    Each part's score is already top-scaled (CFModel.score); the blend averages them, so a tenant
    with one part scores exactly as that part alone and the CF term keeps its scale in the engine.
    """

    parts: tuple[CFModel, ...]

    @property
    def pop(self) -> np.ndarray:
        return np.sum([p.pop for p in self.parts], axis=0).astype(np.float32)

    @property
    def n_rows(self) -> int:
        return sum(p.n_rows for p in self.parts)

    def score(self, idx: np.ndarray, w: np.ndarray, recent: np.ndarray,
              weights: dict[str, float] | None = None, cand: np.ndarray | None = None) -> np.ndarray:
        total = self.parts[0].score(idx, w, recent, weights, cand)
        for p in self.parts[1:]:
            total = total + p.score(idx, w, recent, weights, cand)
        return total / len(self.parts)

    def contributions(self, idx: np.ndarray, w: np.ndarray, targets: np.ndarray) -> np.ndarray | None:
        found = [c for p in self.parts if (c := p.contributions(idx, w, targets)) is not None]
        return np.sum(found, axis=0) if found else None


CFScorer = CFModel | CFBlend


def group_by_tenant(rows: Iterable[Sequence[object]]) -> dict[str, list[tuple[object, ...]]]:
    """(tenant, user, item, value[, ts]) -> tenant: [(user, item, value[, ts])]."""
    out: dict[str, list[tuple[object, ...]]] = defaultdict(list)
    for row in rows:
        if len(row) >= 4:
            out[str(row[0])].append(tuple(row[1:]))
    return dict(out)


@dataclass(frozen=True)
class TenantModel:
    fingerprint: int  # of the rows it was fitted on
    model: CFModel | None  # None: none of its rows name a catalog item


def fit_tenants(rows_by_tenant: dict[str, list[tuple[object, ...]]], index_of: dict[str, int], cfg: CFConfig,
                previous: dict[str, TenantModel] | None = None) -> dict[str, TenantModel]:
    """One model per tenant on its own rows only. A tenant whose rows are unchanged since `previous`
    keeps its model (the fit is deterministic), so a periodic refit only fits the tenants that moved."""
    out: dict[str, TenantModel] = {}
    for tenant, rows in rows_by_tenant.items():
        fingerprint = hash(tuple(rows))
        old = (previous or {}).get(tenant)
        if old is not None and old.fingerprint == fingerprint:
            out[tenant] = old
            continue
        ilog = InteractionLog.from_rows(rows, index_of)
        out[tenant] = TenantModel(fingerprint, CFModel.fit_log(ilog, cfg) if ilog.users.size else None)
    return out


def fit_pooled(rows_by_tenant: dict[str, list[tuple[object, ...]]], index_of: dict[str, int], cfg: CFConfig,
               min_tenants: int) -> CFModel | None:
    """Item-item neighbours from associations seen in at least `min_tenants` tenants.

    Support of a pair (i, j) = the number of tenants in which one person liked both; an item's own
    support = the number of tenants in which someone liked it. Only pairs and items with support >=
    min_tenants enter, and their strength is that tenant count, so no single tenant's volume shows.
    """
    n = len(index_of)
    support = sp.csr_matrix((n, n), dtype=np.float32)
    for rows in rows_by_tenant.values():
        x = InteractionLog.from_rows(rows, index_of).matrix()
        x.data = (x.data > cfg.min_positive).astype(np.float32)
        x.eliminate_zeros()
        if x.nnz:
            co = (x.T @ x).tocsr()
            co.data = np.ones_like(co.data)  # this tenant counts once per pair, however many people
            support = support + co
    support = support.tocsr()
    support.data = np.where(support.data >= min_tenants, support.data, 0.0).astype(np.float32)
    support.eliminate_zeros()
    if support.nnz == 0:
        return None
    diag = support.diagonal()
    off = support - sp.diags(diag)
    off.eliminate_zeros()
    coo = off.tocoo()
    norm = np.sqrt(np.maximum(diag, 1e-9))
    # Cosine over tenant counts, shrunk by one tenant: a pair seen in few tenants stays weak.
    sim = sp.csr_matrix((coo.data / (norm[coo.row] * norm[coo.col] + 1.0), (coo.row, coo.col)),
                        shape=(n, n), dtype=np.float32)
    # Only the neighbour part: no EASE/ALS/sequence model, which could not keep the support rule.
    pooled_cfg = replace(cfg, w_ease=0.0, w_knn=1.0, w_als=0.0, w_seq=0.0, use_als=False, use_seq=False)
    model = CFModel(n_items=n, cfg=pooled_cfg, knn=sim, pop=diag.astype(np.float32), n_rows=int(support.nnz))
    model.ease_pos = np.full(n, -1, dtype=np.int64)
    log.info("pooled CF: %d item pairs seen in >= %d tenants", coo.nnz, min_tenants)
    return model


def blend_for(global_cf: CFModel | None, own: CFModel | None, pooled: CFModel | None) -> CFScorer | None:
    parts = tuple(p for p in (global_cf, own, pooled) if p is not None)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else CFBlend(parts)


class TenantCF:
    """An engine's per-tenant CF: the store's rows by tenant, and the scorer each tenant gets."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[object, ...]]] = {}
        self._own: dict[str, TenantModel] = {}  # kept while a tenant's rows are unchanged
        self._by_tenant: dict[str, CFScorer] = {}
        self._default: CFScorer | None = None  # tenants without signals of their own

    def set_rows(self, rows: Iterable[Sequence[object]]) -> None:
        self.rows = group_by_tenant(rows)

    def set_tenant_rows(self, tenant: str, rows: Iterable[Sequence[object]]) -> None:
        """Replace one tenant's rows (user, item, value[, ts]), e.g. after someone there was forgotten."""
        kept = [tuple(r) for r in rows]
        self.rows = {**{t: r for t, r in self.rows.items() if t != tenant}, **({tenant: kept} if kept else {})}

    def refit(self, global_cf: CFModel | None, index_of: dict[str, int], cfg: CFConfig, min_tenants: int) -> None:
        own = fit_tenants(self.rows, index_of, cfg, self._own)
        pooled = fit_pooled(self.rows, index_of, cfg, min_tenants) if min_tenants else None
        by_tenant = {t: blend_for(global_cf, m.model, pooled) for t, m in own.items() if m.model is not None}
        # Assigned whole: a concurrent request sees an old or a new model, never half of one.
        self._own = own
        self._by_tenant = {t: m for t, m in by_tenant.items() if m is not None}
        self._default = blend_for(global_cf, None, pooled)

    def get(self, tenant: str) -> CFScorer | None:
        return self._by_tenant.get(tenant, self._default)


__all__ = ["CFBlend", "CFScorer", "TenantCF", "TenantModel", "blend_for", "fit_pooled", "fit_tenants",
           "group_by_tenant"]
