"""Where the zero-shot ReDial ranking wins and loses, and whether its blend is the limit (dev-tuned!).

    python benchmarks/redial_probe.py [--terms terms.npz]      (--quick: CI)

Computes every term of the engine's score per turn once (benchmarks/redial_tune.py's
`compute_terms`: the real engine, the real NLU requests), or loads them from `redial_tune.py --save`,
and reports with the preset weights:
  1. Recall@10 on new targets by what the turn's conversation had said (a liked film / only genres /
     nothing) and by whether the target maps to MovieLens (an unmapped film has no CF, genres or tags);
  2. learned re-rankers on the same terms: logistic regression over the terms (plus the
     popularity/genre/CF terms crossed with "a liked film was named" and "a genre was asked") and
     gradient-boosted trees (depth 1: one learned curve per term; depth 3: interactions), trained on
     one fixed half's top-500 candidates and scored on the other half's. If none beats the hand-set
     linear blend on the half it never saw, neither the weights nor a bend in a term's scale is what
     limits the score. (With `--ctx release_lift=0` the trees do beat it: that is how the release
     lag of docs/bench_recommend.md was found.)
  0. (first, and alone with --drift-only) how the dialogues' targets spread over release years against
     the train counts: each year's share of the new targets divided by its share of the train-split
     mentions, and the latest year's most-named films; the evidence for the release lag
     (`--ctx release_lift`) in docs/bench_recommend.md.
All are diagnostics on dev.jsonl (the blend's weights were tuned there), never a setting of the bot.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import setup, table, write_json

setup(threads=2)

import numpy as np  # noqa: E402

from benchmarks.redial import build_engine, context_params, engine_settings, half  # noqa: E402
from benchmarks.redial_data import REDIAL_YEAR, load_catalog, read_dialogs, turns  # noqa: E402
from benchmarks.redial_tune import add_data_args, blend, compute_terms, current_weights, nlu_requests  # noqa: E402

POOL = 500  # the re-ranker reorders the blend's top-500 (what it is trained on)


def recall10(scores: np.ndarray, targets: list[list[int]]) -> tuple[int, int]:
    top = np.argpartition(-scores, 10, axis=1)[:, :10]
    hits = sum(int(g in set(top[k].tolist())) for k, ts in enumerate(targets) for g in ts)
    return hits, sum(len(ts) for ts in targets)


def release_drift(catalog: object, turn_list: list, top: int = 5) -> dict:
    """Per release year: share of the new targets / share of the train counts (1 = as the counts say)."""
    items = {it.item_id: it for it in catalog}  # type: ignore[attr-defined]
    last = max(REDIAL_YEAR - 4, 0)

    def bucket(year: int | None) -> str:
        return "unknown" if year is None else f"<= {last}" if year <= last else f"{REDIAL_YEAR}+" if year >= REDIAL_YEAR else str(year)

    targets = Counter(g for t in turn_list for g in t.new_targets)
    by_target, by_count = Counter(), Counter()
    for g, n in targets.items():
        by_target[bucket(items[g].year)] += n
    for it in items.values():
        by_count[bucket(it.year)] += it.popularity
    nt, nc = sum(by_target.values()), sum(by_count.values())
    rows = [(b, by_target[b], int(by_count[b]), (by_target[b] / nt) / (by_count[b] / nc) if by_count[b] else 0.0)
            for b in ["unknown", f"<= {last}", *(str(y) for y in range(last + 1, REDIAL_YEAR)), f"{REDIAL_YEAR}+"]]
    latest = sorted((g for g in targets if (items[g].year or 0) >= REDIAL_YEAR), key=lambda g: -targets[g])[:top]
    films = [(f"{items[g].title} ({items[g].year})", int(items[g].popularity), targets[g]) for g in latest]
    print(table(rows, ["release year", "new targets", "train mentions", "target share / count share"]))
    print(table(films, [f"most-named {REDIAL_YEAR}+ films", "train mentions", "new targets here"]))
    return {"years": [dict(zip(("year", "targets", "train", "ratio"), r, strict=True)) for r in rows],
            "latest": [dict(zip(("film", "train", "targets"), f, strict=True)) for f in films]}


def features(terms: dict[str, np.ndarray], names: list[str], r: int, cols: np.ndarray, liked: float,
             asked: float) -> np.ndarray:
    x = np.stack([terms[n][r, cols].astype(np.float32) for n in names], axis=1)
    cross = [x[:, names.index(n)] * flag for n, flag in (("pop", liked), ("pop", asked), ("genre", liked),
                                                          ("ease", asked)) if n in names]
    return np.concatenate([x, np.stack(cross, axis=1)], axis=1) if cross else x


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_args(ap)
    ap.add_argument("--terms", type=Path, default=None, help="terms saved by redial_tune.py --save (else computed)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N conversations")
    ap.add_argument("--no-content", action="store_true", help="skip the MiniLM item index")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--ctx", action="append", default=[], metavar="KEY=VALUE",
                    help="override a ContextParams field as in redial.py, e.g. --ctx release_lift=0")
    ap.add_argument("--drift-only", action="store_true", help="only the release-year table (seconds)")
    ap.add_argument("--quick", action="store_true", help="first 60 conversations, no content index (CI)")
    args = ap.parse_args(argv)
    if args.quick:
        args.limit, args.no_content = args.limit or 60, True
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    t0 = time.time()
    rc = load_catalog(args.movies, args.movielens)
    cp = context_params(args.ctx)
    settings = engine_settings()
    convs = list(read_dialogs(args.dialogs))[: args.limit or None]
    turn_list = [t for c in convs for t in turns(c)]
    out: dict = {"drift": release_drift(rc.catalog, turn_list)}
    if args.drift_only:
        write_json(args.json, out)
        return out
    reqs = nlu_requests(rc, turn_list, cp)
    if args.terms is not None:
        saved = np.load(args.terms)
        terms = {k: saved[k] for k in saved.files if k != "seen"}
        seen = saved["seen"]
    else:
        rec = build_engine(rc, args.cache_dir, settings, progress=False, content=not args.no_content, cp=cp)
        terms, seen = compute_terms(rec, reqs, settings)
        rec.close()
    idx = rc.catalog.index_of
    new = [[idx[g] for g in t.new_targets if g in idx] for t in turn_list]
    liked = np.array([any(s.value > 0.5 for s in r.signals) for r in reqs], dtype=np.float32)
    asked = np.array([any(c.lstrip("~").startswith("+") for c in r.critiques) for r in reqs], dtype=np.float32)
    mapped = {idx[g] for g in rc.to_ml if g in idx}
    w = current_weights(settings)
    rows = {h: np.array([i for i, t in enumerate(turn_list) if t.conv_id in {c["conversationId"] for c in half(convs, h)}])
            for h in ("a", "b")}
    # 1. by context
    everything = np.arange(len(turn_list))
    scores = blend(terms, seen, w, everything)
    top = np.argpartition(-scores, 10, axis=1)[:, :10]
    groups: dict[str, list[int]] = {}
    for r in everything:
        ctx = "a liked film named" if liked[r] else "only genres asked" if asked[r] else "nothing said yet"
        hit = set(top[r].tolist())
        for g in new[r]:
            for key in (ctx, "target maps to MovieLens" if g in mapped else "target not in MovieLens"):
                groups.setdefault(key, []).append(int(g in hit))
    ctx_rows = [(k, len(v), sum(v) / len(v)) for k, v in groups.items()]
    print(table(ctx_rows, ["turns whose targets ...", "targets", "R@10 new"]))
    out["by_context"] = {k: {"targets": n, "R@10 new": r} for k, n, r in ctx_rows}
    # 2. a learned re-ranker on the same terms, across halves
    names = [n for n in ("pop", "ease", "seq", "genre", "profile", "query", "title", "critique_tag", "penalty", "year",
                          "pop_ml", "era")
             if n in terms]
    rng = np.random.default_rng(0)
    rr_rows = []
    for train, test in (("a", "b"), ("b", "a")):
        tr = rows[train]
        sc = blend(terms, seen, w, tr)
        xs, ys = [], []
        for k, r in enumerate(tr):
            pool = np.argpartition(-sc[k], POOL)[:POOL]
            if not set(new[r]) & set(pool.tolist()):
                continue
            xs.append(features(terms, names, r, pool, liked[r], asked[r]))
            ys.append(np.isin(pool, new[r]).astype(np.int8))
        x, y = np.concatenate(xs), np.concatenate(ys)
        te = rows[test]
        base = blend(terms, seen, w, te)
        h_base, n = recall10(base, [new[r] for r in te])
        models = {f"logistic C={c}": LogisticRegression(C=c, max_iter=3000, random_state=int(rng.integers(1 << 30)))
                  for c in (0.01, 0.1, 1.0)}
        models.update({f"trees depth {d}": HistGradientBoostingClassifier(
            learning_rate=0.05, max_iter=300, max_depth=d, min_samples_leaf=100, l2_regularization=1.0,
            random_state=0) for d in (1, 3)})
        for label, model in models.items():
            model.fit(x, y)
            learned = np.full_like(base, -np.inf)
            for k, r in enumerate(te):
                pool = np.argpartition(-base[k], POOL)[:POOL]
                learned[k, pool] = model.decision_function(features(terms, names, r, pool, liked[r], asked[r]))
            h, _ = recall10(learned, [new[r] for r in te])
            rr_rows.append((f"{label}, trained on half {train}", test, h_base / n, h / n))
    print(table(rr_rows, ["re-ranker", "scored on half", "R@10 new, preset blend", "R@10 new, re-ranked"]))
    out["reranker"] = [dict(zip(("model", "half", "blend", "reranked"), r, strict=True)) for r in rr_rows]
    out["seconds"] = time.time() - t0
    write_json(args.json, out)
    return out


if __name__ == "__main__":
    main()
