"""Tune the ReDial blend weights on one fixed half of dev.jsonl and report both halves (dev-tuned!).

    python benchmarks/redial_tune.py --tune-half a [--set KEY=VALUE ...] [--ctx KEY=VALUE ...]

The engine's score is a sum of separately scaled terms (core/recommend/engine.py), so each term is
computed once per turn with weight 1 (the real `HybridRecommender.score`, the real NLU requests of
benchmarks/redial.py), and the weights are then chosen by coordinate ascent on the tuning half
(objective: Recall@10 new + 0.3 Recall@50 new). The other half is scored with the chosen weights:
that is the honest estimate; the tuning half's own figure is optimistic. The printed `--set` line
reproduces the blend in benchmarks/redial.py (up to duplicate-title merging in the engine's
selection). Settings that change the history (half-life, sentiment thresholds) are fixed per run.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import DATA, ROOT, setup

setup(threads=2)

import numpy as np  # noqa: E402

from benchmarks.redial import (  # noqa: E402
    build_engine,
    context_params,
    engine_settings,
    half,
    metrics,
    override,
    ranked_ids,
)
from benchmarks.redial_context import NluReader, term_counts  # noqa: E402
from benchmarks.redial_data import REDIAL_YEAR, load_catalog, read_dialogs, turns  # noqa: E402
from core.recommend.cf import scale_top  # noqa: E402
from core.recommend.critiques import parse_critiques  # noqa: E402
from core.recommend.filters import constraint_mask  # noqa: E402
from core.recommend.preferences import build_history  # noqa: E402

# Term -> the RecSettings fields that switch it on alone (on a base with every weight 0).
TERMS: dict[str, dict[str, float]] = {
    "profile": {"w_profile": 1.0}, "query": {"w_query": 1.0}, "critique_tag": {"w_critique_tag": 1.0},
    "genre": {"w_genre": 1.0}, "title": {"w_title": 1.0}, "pop": {"w_pop": 1.0}, "pop_cold": {"w_pop_cold": 1.0},
    "year": {"w_year": 1.0}, "penalty": {"prefs.neighbour_penalty": 1.0},
}
CF_TERMS = ("ease", "knn", "als", "seq")
ZERO = ["w_cf=0", "w_profile=0", "w_query=0", "w_seed=0", "w_critique=0", "w_critique_tag=0", "w_genre=0",
        "w_title=0", "w_pop=0", "w_pop_cold=0", "w_recency=0", "w_year=0", "prefs.neighbour_penalty=0",
        "penalty_pool=1000000"]


# Candidate terms outside the blend, as log-popularity additions (their engine equivalents: the
# setting w_pop_interactions adds log1p(MovieLens counts) to the log-popularity; --ctx pop_era adds
# pop_era per decade of release after 2000). Tried with weight 0 first: they enter only if they help.
EXTRA = ("pop_ml", "era")


def extra_terms(rec) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    from core.recommend.engine import scale_centered

    ml = np.log1p(rec.cf.pop if rec.cf is not None else np.zeros(len(rec.catalog), dtype=np.float32))
    years = np.nan_to_num(rec.arrays.years, nan=2000.0)
    return {"pop_ml": scale_centered(ml.astype(np.float32)),
            "era": np.clip((years - 2000.0) / 10.0, -1.0, 1.8).astype(np.float32)}


def add_data_args(ap: argparse.ArgumentParser) -> None:
    """The data this script and redial_probe.py read (the defaults: dev.jsonl, train-only counts)."""
    ap.add_argument("--dialogs", type=Path, default=DATA / "redial" / "dev.jsonl")
    ap.add_argument("--movies", type=Path, default=DATA / "redial" / "movies_train_mentions.csv")
    ap.add_argument("--movielens", type=Path, default=DATA / "movielens-small")
    ap.add_argument("--cache-dir", type=Path, default=ROOT / ".data" / "cache" / "bench")


def nlu_requests(rc, turn_list, cp):  # type: ignore[no-untyped-def]
    """Every turn read by the bot's parser (lexicons only, no embedder: the term matrices are computed
    once for many weightings), as benchmarks/redial.py reads it."""
    from core.nlu.parser import build_parser

    reader = NluReader(build_parser(rc.catalog, None, now_year=REDIAL_YEAR), rc.names, cp, term_counts(rc.catalog))
    reader.prepare(turn_list)
    return [reader.request(t, set(rc.catalog.index_of), k=100) for t in turn_list]


def current_weights(st) -> dict[str, float]:  # type: ignore[no-untyped-def]
    w = {"profile": st.w_profile, "query": st.w_query, "critique_tag": st.w_critique_tag, "genre": st.w_genre,
         "title": st.w_title, "pop": st.w_pop, "pop_cold": st.w_pop_cold, "year": st.w_year,
         "penalty": st.prefs.neighbour_penalty}
    w.update({c: st.w_cf * getattr(st.cf, f"w_{c}") for c in CF_TERMS})
    w.update(dict.fromkeys(EXTRA, 0.0))
    return w


def compute_terms(rec, reqs, settings, variants=None):  # type: ignore[no-untyped-def]
    """Per-turn term vectors (turns x items, float16) and the seen mask, with the real engine code.

    variants: name -> another fitted CFModel whose EASE component is one more candidate term."""
    variants = variants or {}
    n, t = len(rec.catalog), len(reqs)
    texts = sorted({x for r in reqs for x in [r.query.strip(), *(c.term for c in parse_critiques(r.critiques))] if x})
    vec = dict(zip(texts, rec.embedder.encode(texts), strict=True)) if rec.embedder is not None and texts else {}
    out = {name: np.zeros((t, n), dtype=np.float16) for name in [*TERMS, *CF_TERMS]}
    extra = extra_terms(rec)
    seen = np.zeros((t, n), dtype=bool)
    term_settings = {name: override(override(settings, ZERO), [f"{k}={v}" for k, v in on.items()])
                     for name, on in TERMS.items()}
    for i, req in enumerate(reqs):
        crits = parse_critiques(req.critiques)
        hist = build_history(req.signals, rec.catalog.index_of, settings.prefs, req.now, req.seeds)
        seen[i, hist.seen] = True
        # As the engine: hard constraints (years) and already-mentioned movies filter first (no relaxing
        # needed: a year range always leaves candidates here); only the candidates are scored and scaled.
        ok = constraint_mask(rec.arrays, req.constraints, rec.catalog.index_of) & ~seen[i]
        seen[i] |= ~ok if ok.any() else False
        cand = np.flatnonzero(~seen[i])
        qvec = vec.get(req.query.strip()) if vec else None
        cvecs = np.stack([vec[c.term] for c in crits]) if vec and crits else None
        for name, st in term_settings.items():
            rec.settings = st
            out[name][i, cand] = rec.score(req, hist, crits, qvec, cvecs, req.now, cand)[0]
        for name, v in extra.items():
            out.setdefault(name, np.zeros((t, n), dtype=np.float16))[i, cand] = v[cand]
        if rec.cf is not None and not hist.empty:
            for name, v in rec.cf.components(hist.idx, hist.w, hist.recent, cand).items():
                out[name][i, cand] = scale_top(v)
            for name, model in variants.items():
                out.setdefault(name, np.zeros((t, n), dtype=np.float16))[i, cand] = scale_top(
                    model.ease_scores(hist.idx, hist.w)[cand])
    rec.settings = settings
    return out, seen


def blend(terms: dict[str, np.ndarray], seen: np.ndarray, w: dict[str, float], rows: np.ndarray) -> np.ndarray:
    """The engine's score of every item for the given turns: the weighted sum of the terms, seen items out."""
    total = np.zeros((rows.size, seen.shape[1]), dtype=np.float32)
    for name, x in w.items():
        if x:
            total += x * terms[name][rows].astype(np.float32)
    total[seen[rows]] = -np.inf
    return total


def evaluate(terms, seen, w, rows, turn_list, cp, ids):  # type: ignore[no-untyped-def]
    total = blend(terms, seen, w, rows)
    top = np.argpartition(-total, 100, axis=1)[:, :100]
    order = np.take_along_axis(top, np.argsort(-np.take_along_axis(total, top, axis=1), axis=1), axis=1)
    sub = [turn_list[r] for r in rows]
    fresh = [[ids[j] for j in o] for o in order]
    preds = [ranked_ids(t, f, cp, 100) for t, f in zip(sub, fresh, strict=True)]
    return metrics(sub, preds, fresh)


def objective(m: dict[str, float]) -> float:
    return m["R@10 new"] + 0.3 * m["R@50 new"]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_args(ap)
    ap.add_argument("--tune-half", choices=("a", "b"), default="a")
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--ease-variant", action="append", default=[], metavar="LAMBDA:MIN_POSITIVE",
                    help="fit one more EASE on the MovieLens prior and offer it as a term, e.g. 200:0.25")
    ap.add_argument("--save", type=Path, default=None, help="save the term matrices here (.npz) for analysis")
    ap.add_argument("--ctx", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    t0 = time.time()
    rc = load_catalog(args.movies, args.movielens)
    cp = context_params(args.ctx)
    settings = override(engine_settings(), args.set)
    # Fit every CF component so each can be weighed (the benchmark's own settings fit only some).
    fit = replace(settings, cf=replace(settings.cf, use_knn=True, use_als=True, w_knn=1.0, w_als=1.0, w_seq=1.0))
    rec = build_engine(rc, args.cache_dir, fit, progress=False, cp=cp)
    convs = list(read_dialogs(args.dialogs))
    if args.limit:
        convs = convs[: args.limit]
    halves = {h: {c["conversationId"] for c in half(convs, h)} for h in ("a", "b")}
    turn_list = [t for c in convs for t in turns(c)]
    reqs = nlu_requests(rc, turn_list, cp)
    variants = {}
    if args.ease_variant:
        from core.recommend.cf import CFModel, InteractionLog

        ilog = InteractionLog.from_rows(rc.prior_rows, rec.catalog.index_of)
        for spec in args.ease_variant:
            lam, _, minpos = spec.partition(":")
            cfg = replace(settings.cf, ease_lambda=float(lam), min_positive=float(minpos or -2.0), use_knn=False,
                          use_als=False, use_seq=False)
            variants[f"ease_{spec}"] = CFModel.fit_log(ilog, cfg)
    terms, seen = compute_terms(rec, reqs, settings, variants)
    if args.save:
        np.savez(args.save, seen=seen, **terms)
    rec.close()
    print(f"terms for {len(turn_list)} turns ({time.time() - t0:.0f}s)", flush=True)
    ids = [it.item_id for it in rec.catalog]
    rows = {h: np.array([i for i, t in enumerate(turn_list) if t.conv_id in hs]) for h, hs in halves.items()}
    tune = rows[args.tune_half]
    w = current_weights(settings)
    w.update(dict.fromkeys(variants, 0.0))
    start = {h: evaluate(terms, seen, w, r, turn_list, cp, ids) for h, r in rows.items()}
    best = objective(evaluate(terms, seen, w, tune, turn_list, cp, ids))
    for _ in range(args.passes):
        for name in w:
            cur = w[name]
            for x in ([0.0, 0.5 * cur, 0.75 * cur, 1.33 * cur, 2.0 * cur] if cur else [0.1, 0.3, 1.0]):
                trial = {**w, name: x}
                score = objective(evaluate(terms, seen, trial, tune, turn_list, cp, ids))
                if score > best + 1e-4:
                    best, w = score, trial
        print("pass:", {k: round(v, 3) for k, v in w.items()}, f"objective {best:.4f}", flush=True)
    end = {h: evaluate(terms, seen, w, r, turn_list, cp, ids) for h, r in rows.items()}
    for h in ("a", "b"):
        tag = "tuned on it" if h == args.tune_half else "held out from tuning"
        for label, m in (("start", start[h]), ("tuned", end[h])):
            print(f"half {h} ({tag}) {label}: R@10 new {m['R@10 new']:.4f}  R@50 new {m['R@50 new']:.4f}  "
                  f"R@50 all {m['R@50 all']:.4f}  R@10 all {m['R@10 all']:.4f}")
    print("weights:", {k: round(v, 3) for k, v in w.items()})
    return {"weights": w, "start": start, "end": end}


if __name__ == "__main__":
    main()
