"""Collaborative filtering: EASE, ItemKNN, ALS fold-in, sequences, and robustness to bad rows."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from core.recommend.cf import CFConfig, CFModel, InteractionLog, fit_ease, scale_top
from tests.rec_catalog import CLUSTERS, interactions, small_catalog


def _model(**cfg: object) -> tuple[CFModel, dict[str, int]]:
    cat = small_catalog()
    log = InteractionLog.from_rows(interactions(), cat.index_of)
    return CFModel.fit_log(log, CFConfig(**cfg)), cat.index_of  # type: ignore[arg-type]


def _top(scores: np.ndarray, index_of: dict[str, int], exclude: set[str], k: int = 3) -> list[str]:
    ids = {i: s for s, i in index_of.items()}
    order = [ids[int(i)] for i in np.argsort(-scores, kind="stable")]
    return [x for x in order if x not in exclude][:k]


def test_ease_closed_form_matches_definition() -> None:
    rng = np.random.default_rng(0)
    x = sp.csr_matrix((rng.random((30, 8)) > 0.6).astype(np.float32))
    items, b = fit_ease(x, lam=5.0)
    xs = x[:, items].toarray().astype(np.float64)
    g = xs.T @ xs + 5.0 * np.eye(items.size)
    # EASE minimises ||X - XB||^2 + lam ||B||^2 with diag(B) = 0; its gradient vanishes off the diagonal.
    grad = g @ b - xs.T @ xs
    off = ~np.eye(items.size, dtype=bool)
    assert np.allclose(grad[off], 0.0, atol=1e-3)
    assert np.allclose(np.diag(b), 0.0)


def test_each_component_recommends_within_the_liked_cluster() -> None:
    m, idx = _model()
    liked = ["alien", "aliens", "the-thing"]
    hi = np.array([idx[x] for x in liked])
    w = np.ones(hi.size, dtype=np.float32)
    for name, scores in m.components(hi, w, hi).items():
        top = _top(scores, idx, set(liked), k=2)
        assert set(top) <= set(CLUSTERS["space"]), (name, top)
    blended = _top(m.score(hi, w, hi), idx, set(liked), k=3)
    assert set(blended) <= set(CLUSTERS["space"])


def test_negative_history_pushes_the_cluster_down() -> None:
    m, idx = _model()
    hi = np.array([idx["airplane"]])
    up = m.score(hi, np.array([1.0], dtype=np.float32), hi)
    down = m.score(hi, np.array([-1.0], dtype=np.float32), np.array([], dtype=np.int64))
    for other in ("naked-gun", "hot-shots"):
        assert up[idx[other]] > 0 > down[idx[other]]


def test_sequence_model_predicts_what_comes_next() -> None:
    m, idx = _model(w_ease=0.0, w_knn=0.0, w_als=0.0, w_seq=1.0)
    recent = np.array([idx["heat"]])
    top = _top(m.seq_scores(recent), idx, {"heat"}, k=1)
    assert top == ["godfather"]  # in every crime fan's log, The Godfather follows Heat


def test_interaction_log_skips_unknown_and_malformed_rows() -> None:
    index_of = {"a": 0, "b": 1}
    rows = [("u1", "a", 1.0), ("u1", "ghost", 1.0), ("u2", "b", "not a number"), ("u3",), ("u2", "a", float("nan")),
            ("u2", "b", 0.5, 10.0), ("u2", "b", 0.9, 11.0)]
    log = InteractionLog.from_rows(rows, index_of)  # type: ignore[arg-type]
    assert log.users.size == 3 and log.n_users == 2
    x = log.matrix()
    assert x[log.users[-1], 1] == 1.0  # two rows on one pair add up, clipped to 1


def test_empty_and_tiny_inputs_give_zero_scores() -> None:
    m = CFModel.fit(sp.csr_matrix((3, 5), dtype=np.float32))
    assert m.empty
    s = m.score(np.array([1]), np.array([1.0], dtype=np.float32), np.array([1]))
    assert s.shape == (5,) and not s.any()
    one = CFModel.fit(sp.csr_matrix(np.array([[1.0, 0.0, 0.0]], dtype=np.float32)))
    assert np.isfinite(one.score(np.array([0]), np.array([1.0], dtype=np.float32), np.array([0]))).all()


def test_contributions_name_the_history_item_behind_a_score() -> None:
    m, idx = _model()
    hist = np.array([idx["toy-story"], idx["heat"]])
    c = m.contributions(hist, np.ones(2, dtype=np.float32), np.array([idx["finding-nemo"], idx["godfather"]]))
    assert c is not None and c.shape == (2, 2)
    assert c[0, 0] > c[0, 1]  # Finding Nemo: because of Toy Story
    assert c[1, 1] > c[1, 0]  # The Godfather: because of Heat


def test_scale_top() -> None:
    v = np.array([0.0, 1.0, 2.0, 4.0])
    assert np.isclose(scale_top(v, k=2).max(), 4.0 / 3.0)
    assert not scale_top(np.zeros(4)).any()
