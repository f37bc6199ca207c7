"""The hybrid recommender: CF + content + critiques + context + popularity, then MMR and explanations.

score(item) = w_cf * CF(history)                         EASE/ItemKNN/ALS/sequence blend (cf.py)
            + w_profile * sim(item, u)                   u = weighted mean of liked - disliked vectors
            + w_query * sim(item, query)                 this conversation's request text
            + w_seed * sim(item, seeds)                  "something like X"
            + sum_c sign_c * (w_critique * sim(item, term_c) + w_critique_tag * has_tag(item, term_c))
            + w_genre * cos(item genres, liked genres + asked genres)
            + w_title * shared distinctive title words with liked items (sequels, franchises)
            + w_request * what answered the same request terms in this tenant's past conversations
            + (w_pop + w_pop_cold / (1 + evidence)) * log-popularity    (cold start leans on it)
            + w_recency * closeness of the item's year to now
            + w_year * closeness of the item's year to the liked items' years (year_affinity.py)
            - neighbour penalty for items close to something disliked
Every term is centred and scaled to its own top-10 first (`scale_centered`), so weights are
comparable. Hard filters are masks; when they leave nothing, they are relaxed step by step.
All numpy work runs in a thread pool: the event loop never blocks on ranking.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from core.embedding import Embedder
from core.recommend.catalog import Catalog
from core.recommend.cf import CFModel, InteractionLog
from core.recommend.conversation_learning import ConversationEvidence, conversation_rows
from core.recommend.critique_tags import CritiqueTags
from core.recommend.critiques import (
    Critique,
    parse_critiques,
    put_more_first,
    remove_less,
)
from core.recommend.diversity import mmr
from core.recommend.explain import Evidence, explain
from core.recommend.filters import CatalogArrays, constraint_mask, norm_tag, relax
from core.recommend.franchise import TitleWords
from core.recommend.preferences import (
    History,
    build_history,
    content_profile,
    genre_profile,
    neighbour_penalty,
)
from core.recommend.request_learning import ConversationRequest, RequestAssociations, fit_request_associations
from core.recommend.settings import RecSettings
from core.recommend.tenancy import CFScorer, TenantCF
from core.recommend.text_index import QueryBatcher, TextIndex
from core.recommend.types import RecRequest, RecResult, Scored
from core.recommend.year_affinity import year_affinity

log = logging.getLogger(__name__)


def scale_centered(v: np.ndarray, k: int = 10) -> np.ndarray:
    """(v - mean) / mean of the top-k deviations: 0 = average item, ~1 = the head of this list."""
    if v.size == 0:
        return v
    c = v - float(v.mean())
    k = min(k, c.size)
    top = float(np.partition(c, c.size - k)[c.size - k:].mean())
    return c / top if top > 1e-9 else np.zeros_like(c)


class HybridRecommender:
    """Implements core.recommend.types.Recommender."""

    def __init__(self, catalog: Catalog, settings: RecSettings | None = None, index: TextIndex | None = None,
                 embedder: Embedder | None = None) -> None:
        self.catalog = catalog
        self.settings = settings or RecSettings()
        self.arrays = CatalogArrays.build(catalog)
        self.vectors = index.vectors if index is not None and len(index) == len(catalog) else None
        self.embedder = embedder if self.vectors is not None else None
        self.batcher = QueryBatcher(embedder) if self.embedder is not None else None
        self.cf: CFModel | None = None  # the global part: the operator's prior and untenanted rows
        self.tenants = TenantCF()  # learning per tenant: each tenant's own part blended with self.cf
        self._requests: dict[str, RequestAssociations] = {}  # per tenant (request_learning.py)
        self._prior_rows: list[Sequence[object]] = []
        self._rows: list[Sequence[object]] = []
        self._new_rows = 0
        self._fit_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max(1, self.settings.workers), thread_name_prefix="recbot-rank")
        self._catalog_pop = np.log1p(np.array([max(0.0, it.popularity) for it in catalog], dtype=np.float32))
        self.critique_tags = CritiqueTags(self.arrays, catalog, embedder if self.vectors is not None else None,
                                          self.settings.critique_tag_sim)
        self._pop_cache: dict[tuple[int, float], tuple[CFScorer | None, np.ndarray]] = {}
        self._title_words = TitleWords(catalog)

    # ---- interactions / CF -------------------------------------------------------------------
    def set_prior(self, rows: Iterable[Sequence[object]]) -> None:
        """An imported log (e.g. MovieLens) that stays under whatever the store provides."""
        self._prior_rows = list(rows)
        self._refit()

    def fit_interactions(self, rows: Iterable[Sequence[object]]) -> None:  # type: ignore[override]
        """Replace the untenanted rows (user, item id, value[, ts]): an operator's log that every tenant
        learns from, like the prior. The store's rows go through fit_tenant_interactions. Refits CF
        (call it off the loop)."""
        self._rows = list(rows)
        self._refit()

    def fit_tenant_interactions(self, rows: Iterable[Sequence[object]],
                                conversations: Iterable[ConversationEvidence] = (),
                                requests: Iterable[ConversationRequest] = ()) -> None:
        """Replace the store's rows (tenant, user, item id, value[, ts]) and refit: each tenant's CF and
        popularity learn from its own rows only (plus pooled associations when configured). With
        learn_from_conversations, each stored conversation is one more row of its tenant's CF
        (core/recommend/conversation_learning.py), and its request terms learn which items answered
        them there (core/recommend/request_learning.py)."""
        convs = list(conversations)
        self.tenants.set_rows(chain(rows, self._conversation_rows(convs)))
        self._requests = self._request_associations(convs, requests)
        self._refit()

    def refit_tenant(self, tenant: str, rows: Iterable[Sequence[object]],
                     conversations: Iterable[ConversationEvidence] = (),
                     requests: Iterable[ConversationRequest] = ()) -> None:
        """Replace one tenant's rows (user, item id, value[, ts]), its conversations' evidence and
        requests, and refit only what depends on them (that tenant's part, and the pooled part if
        any): "forget me" reaches the model at once."""
        own = [c for c in conversations if c.tenant == tenant]  # never another tenant's conversations
        conv_rows = [r[1:] for r in self._conversation_rows(own)]
        learned = self._request_associations(own, requests, tenant).get(tenant)
        with self._fit_lock:
            self.tenants.set_tenant_rows(tenant, chain(rows, conv_rows))
            self.tenants.refit(self.cf, self.catalog.index_of, self.settings.tenant_cf or self.settings.cf,
                              self.settings.pool_min_tenants)
            others = {t: a for t, a in self._requests.items() if t != tenant}
            self._requests = {**others, tenant: learned} if learned is not None else others
            self._pop_cache = {}

    def _request_associations(self, convs: list[ConversationEvidence], requests: Iterable[ConversationRequest],
                              tenant: str | None = None) -> dict[str, RequestAssociations]:
        if not (self.settings.learn_from_conversations and self.settings.w_request):
            return {}
        return fit_request_associations(convs, requests, self.catalog.index_of, tenant)

    def _conversation_rows(self, conversations: Iterable[ConversationEvidence]) -> list[tuple[object, ...]]:
        if not self.settings.learn_from_conversations:
            return []
        return list(conversation_rows(conversations, self.settings.conversations))

    def _refit(self) -> None:
        with self._fit_lock:
            self._new_rows = 0
            ilog = InteractionLog.from_rows(chain(self._prior_rows, self._rows), self.catalog.index_of)
            # Swapped in one assignment: concurrent requests see the old or the new model, never half.
            self.cf = CFModel.fit_log(ilog, self.settings.cf) if ilog.users.size else None
            self.tenants.refit(self.cf, self.catalog.index_of, self.settings.tenant_cf or self.settings.cf,
                              self.settings.pool_min_tenants)
            self._pop_cache = {}

    def cf_for(self, tenant: str) -> CFScorer | None:
        """The CF this tenant's requests are scored with: never fitted on another tenant's rows."""
        return self.tenants.get(tenant)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ---- ranking -----------------------------------------------------------------------------
    async def recommend(self, req: RecRequest) -> RecResult:
        try:
            crits = parse_critiques(req.critiques)
            qvec, cvecs = None, None
            if self.batcher is not None:
                texts = [req.query.strip(), *(c.term for c in crits)]
                vecs = await self.batcher.encode_many(texts)
                qvec = vecs[0] if texts[0] else None
                cvecs = vecs[1:]
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self._rank, req, crits, qvec, cvecs)
        except Exception:  # noqa: BLE001 - a ranking bug must not take the conversation down
            log.exception("recommend failed; falling back to popularity")
            return self._fallback(req)

    def recommend_blocking(self, req: RecRequest) -> RecResult:
        """Synchronous ranking (benchmarks, scripts): the query is embedded here, unbatched."""
        crits = parse_critiques(req.critiques)
        qvec, cvecs = None, None
        if self.embedder is not None:
            texts = [req.query.strip() or " ", *(c.term for c in crits)]
            vecs = self.embedder.encode(texts)
            qvec = vecs[0] if req.query.strip() else None
            cvecs = vecs[1:]
        return self._rank(req, crits, qvec, cvecs)

    def _fallback(self, req: RecRequest) -> RecResult:
        if not len(self.catalog) or req.k <= 0:
            return RecResult(())
        mask = constraint_mask(self.arrays, req.constraints, self.catalog.index_of)
        if not mask.any():
            mask[:] = True
        order = np.flatnonzero(mask)[np.argsort(-self._catalog_pop[mask], kind="stable")][: req.k]
        return RecResult(tuple(Scored(self.catalog.items[i].item_id, 0.0, "a popular pick") for i in order))

    def _rank(self, req: RecRequest, crits: list[Critique], qvec: np.ndarray | None,
              cvecs: np.ndarray | None) -> RecResult:
        n = len(self.catalog)
        if n == 0:
            return RecResult((), relaxed="the catalog is empty, so there is nothing to recommend yet")
        if req.k <= 0:
            return RecResult(())
        now = req.now if req.now is not None else time.time()
        hist = build_history(req.signals, self.catalog.index_of, self.settings.prefs, now, req.seeds)
        fresh = np.ones(n, dtype=bool)
        fresh[hist.seen] = False  # anything with a signal (even a neutral one) was already seen
        # Filter first, then score only the candidates: with filters that is a fraction of the catalog.
        mask = constraint_mask(self.arrays, req.constraints, self.catalog.index_of) & fresh
        relaxed: str | None = None
        penalty: np.ndarray | None = None
        if not mask.any():
            mask, relaxed, penalty = relax(self.arrays, self.catalog.index_of, req.constraints, fresh, hist.disliked()[0])
        # Critiques act on the list, not just the wording (critiques.py): "less X" removes, "more X" leads.
        has_of = self.critique_tags.masks(crits, cvecs, req.constraints)
        mask, note = remove_less(mask, has_of, req.k)
        if not mask.any():
            return RecResult((), relaxed=note)
        relaxed = note or relaxed
        cand = np.flatnonzero(mask)
        scores, ev, qsim = self.score(req, hist, crits, qvec, cvecs, now, cand)
        ev.critique_has = [x for x in has_of if x[0].firm]  # "as you asked" only for what was asked
        if penalty is not None:
            scores = scores - penalty[cand]
        scores, note = put_more_first(scores, cand, has_of, req.k, self._rest_of_request(req, hist, crits, qvec, cvecs,
                                                                                          now, cand, penalty))
        relaxed = note or relaxed
        chosen = self._select(cand, scores, req.k, req.diversify)
        score_of = dict(zip(cand[chosen].tolist(), scores[chosen].tolist(), strict=True))
        return RecResult(self._explain(cand[chosen].tolist(), score_of, ev, hist, self.cf_for(req.tenant)),
                         relaxed)

    def _rest_of_request(self, req: RecRequest, hist: History, crits: list[Critique], qvec: np.ndarray | None,
                         cvecs: np.ndarray | None, now: float, cand: np.ndarray,
                         penalty: np.ndarray | None) -> np.ndarray | None:
        """The candidates' scores without the "more X" critiques: how well each fits everything else
        asked (put_more_first reorders only the best of these). None when there is no such critique."""
        keep = [j for j, c in enumerate(crits) if not (c.sign > 0 and c.firm)]
        if len(keep) == len(crits):
            return None
        rest_vecs = cvecs[keep] if cvecs is not None and len(cvecs) == len(crits) else None
        rest = self.score(req, hist, [crits[j] for j in keep], qvec, rest_vecs, now, cand)[0]
        return rest - penalty[cand] if penalty is not None else rest

    def score(self, req: RecRequest, hist: History, crits: list[Critique], qvec: np.ndarray | None,
              cvecs: np.ndarray | None, now: float,
              cand: np.ndarray | None = None) -> tuple[np.ndarray, Evidence, np.ndarray | None]:
        """Scores of the candidate items (all items when cand is None), plus what explanations need.

        Every term is normalised over the candidates, so filters do not distort the blend.
        """
        s = self.settings
        n = len(self.catalog)
        cand = np.arange(n) if cand is None else cand
        total = np.zeros(cand.size, dtype=np.float32)
        cf = self.cf_for(req.tenant)
        if cf is not None and not hist.empty:
            total += s.w_cf * cf.score(hist.idx, hist.w, hist.recent, cand=cand)
        qsim: np.ndarray | None = None
        seed_idx = np.array([self.catalog.index_of[x] for x in req.seeds if x in self.catalog.index_of],
                            dtype=np.int64)
        if self.vectors is not None and cand.size:
            v = self.vectors
            cols: list[tuple[str, float, np.ndarray]] = []
            prof = content_profile(v, hist)
            if prof is not None and s.w_profile:
                cols.append(("profile", s.w_profile, prof))
            if qvec is not None and s.w_query:
                cols.append(("query", s.w_query, qvec))
            if seed_idx.size and s.w_seed:
                cols.append(("seed", s.w_seed, v[seed_idx].mean(axis=0)))
            for c, cv in zip(crits, cvecs if cvecs is not None else [], strict=False):
                if s.w_critique:
                    cols.append(("critique", c.sign * s.w_critique, cv))
            if cols:
                mat = np.stack([c for _, _, c in cols]).astype(np.float32)  # one GEMM for all terms
                sims = (v @ mat.T)[cand] if cand.size > 0.3 * n else v[cand] @ mat.T
                for j, (name, w, _) in enumerate(cols):
                    sc = scale_centered(sims[:, j])
                    total += w * sc if w > 0 else w * np.clip(sc, 0, None)
                    if name == "query":
                        qsim = np.zeros(n, dtype=np.float32)
                        qsim[cand] = sims[:, j]
            self._penalise_neighbours(total, cand, hist)
        for j, c in enumerate(crits):
            has, _ = self.critique_tags.evidence(c.term, cvecs[j] if cvecs is not None and j < len(cvecs) else None)
            if has is not None:
                total += c.sign * s.w_critique_tag * has[cand]
        if s.w_genre:
            asked = [(c.sign, norm_tag(c.term)) for c in crits]
            gp = genre_profile(self.arrays.genres, self.arrays.genre_index, hist, asked, s.genre_asked_weight)
            if gp is not None:
                total += s.w_genre * gp[cand]
        if s.w_title:
            liked = np.union1d(hist.liked()[0], seed_idx)
            tw = self._title_words.overlap(liked) if liked.size else None
            if tw is not None:
                total += s.w_title * tw[cand]
        learned = self._requests.get(req.tenant) if s.w_request else None
        if learned is not None:
            rv = learned.scores([*req.constraints.genres, *(c.term for c in crits if c.sign > 0)])
            if rv is not None:
                total += s.w_request * rv[cand]
        if s.w_year:
            liked_idx, liked_w = hist.liked()
            ya = year_affinity(self.arrays.years, liked_idx, liked_w, s.year_scale, cand)
            if ya is not None:
                total += s.w_year * scale_centered(ya)
        evidence = hist.idx.size + seed_idx.size + (2 if qvec is not None else 0) + len(crits)
        total += (s.w_pop + s.w_pop_cold / (1.0 + evidence)) * self._popularity(cf)[cand]
        if s.w_recency:
            year_now = time.gmtime(now).tm_year
            gap = np.abs(year_now - np.nan_to_num(self.arrays.years[cand], nan=-1e4))
            total += s.w_recency * np.exp(-gap / s.recency_scale_years).astype(np.float32)
        ev = Evidence(hist=hist, critiques=crits, query=req.query, query_sim=qsim,
                      genres=req.constraints.genres, cold=hist.empty and qvec is None and not seed_idx.size,
                      user_likes=frozenset(self.catalog.index_of[x.item_id] for x in req.signals
                                           if x.scope == "user" and x.value > 0 and x.item_id in self.catalog.index_of),
                      seeds=tuple(int(i) for i in seed_idx))
        return total, ev, qsim

    def _penalise_neighbours(self, total: np.ndarray, cand: np.ndarray, hist: History) -> None:
        """Push down items close to dislikes, in place.

        Only the head of the list can be shown, so on big catalogs the penalty is computed for the
        top `penalty_pool` candidates (plus what they displace is re-ranked by the caller): one small
        GEMM instead of one over every item per disliked item.
        """
        dis_idx, dis_w = hist.disliked()
        cfg = self.settings.prefs
        if self.vectors is None or dis_idx.size == 0 or cfg.neighbour_penalty <= 0 or cand.size == 0:
            return
        strongest = np.argsort(-dis_w, kind="stable")[: self.settings.max_penalised_dislikes]
        dis_idx, dis_w = dis_idx[strongest], dis_w[strongest]
        pool = self.settings.penalty_pool
        pos = np.arange(cand.size) if cand.size <= pool else np.argpartition(-total, pool - 1)[:pool]
        sims = self.vectors[cand[pos]] @ self.vectors[dis_idx].T
        total[pos] -= neighbour_penalty(sims, dis_w, cfg)

    def _popularity(self, cf: CFScorer | None = None) -> np.ndarray:
        """Centred log-popularity (catalog prior + the tenant's CF interaction counts), cached per model
        (emptied at every refit, so it holds only the models in use)."""
        key = (id(cf), self.settings.w_pop_interactions)
        cached = self._pop_cache.get(key)
        if cached is None or cached[0] is not cf:  # the entry holds its model: an id is never reused
            pop = self._catalog_pop
            if cf is not None and self.settings.w_pop_interactions:
                pop = pop + self.settings.w_pop_interactions * np.log1p(cf.pop)
            cached = self._pop_cache[key] = (cf, scale_centered(pop).astype(np.float32))
        return cached[1]

    def _select(self, cand: np.ndarray, scores: np.ndarray, k: int, diversify: bool) -> list[int]:
        """Positions (into cand) of the k picks: top by score, one per title, MMR when asked."""
        m = cand.size
        pool_n = min(m, max(self.settings.mmr_pool, 3 * k) if diversify else k * 2 + 10)
        top = np.argpartition(-scores, pool_n - 1)[:pool_n] if pool_n < m else np.arange(m)
        top = top[np.argsort(-scores[top], kind="stable")]
        labels: set[str] = set()
        uniq: list[int] = []
        for p in top:  # one title once: a novel and its film ("The Notebook") never share a list
            lab = norm_tag(self.catalog.items[int(cand[p])].title)
            if lab not in labels:
                labels.add(lab)
                uniq.append(int(p))
        if not diversify or self.vectors is None or len(uniq) <= k:
            return uniq[:k]
        picked = mmr(self.vectors, cand[uniq], scores[uniq], k, self.settings.mmr_lambda)
        pos = {int(cand[p]): p for p in uniq}
        return [pos[i] for i in picked]

    def _explain(self, chosen: list[int], score_of: dict[int, float], ev: Evidence,
                 hist: History, cf: CFScorer | None) -> tuple[Scored, ...]:
        liked_idx, liked_w = hist.liked()
        sims = None
        if self.vectors is not None and liked_idx.size and chosen:
            sims = self.vectors[chosen] @ self.vectors[liked_idx].T
        contrib = cf.contributions(liked_idx, liked_w, np.asarray(chosen, dtype=np.int64)) if cf else None
        out = []
        for r, i in enumerate(chosen):
            reason = explain(self.catalog, i, ev, sims[r] if sims is not None else None,
                             contrib[r] if contrib is not None else None)
            sc = score_of.get(i, 0.0)
            out.append(Scored(self.catalog.items[i].item_id, sc if math.isfinite(sc) else 0.0, reason))
        return tuple(out)


def build_recommender(catalog: Catalog, embedder: Embedder | None, cache_dir: Path | str | None,
                      settings: RecSettings | Mapping[str, Any] | None = None,
                      progress: bool = False) -> HybridRecommender:
    """Index the catalog (cached per catalog version), load the CF prior if configured."""
    st = settings if isinstance(settings, RecSettings) else RecSettings.from_mapping(settings)
    cache = Path(cache_dir) if cache_dir is not None else None
    index = TextIndex.build(catalog, embedder, cache, progress=progress) if embedder is not None and len(catalog) else None
    rec = HybridRecommender(catalog, st, index, embedder)
    if st.movielens_dir:
        from core.recommend.prior import load_movielens_prior

        prior = load_movielens_prior(Path(st.movielens_dir), catalog)
        rec.set_prior(prior.rows)
    return rec


__all__ = ["HybridRecommender", "RecSettings", "build_recommender", "mmr", "scale_centered"]
