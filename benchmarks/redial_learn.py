"""ReDial, learns-from-conversations track: the bot also learns from conversations it has already had.

    # cross-validation inside dev.jsonl (the only past logs available here)
    python benchmarks/redial_learn.py --dialogs ../shared/data/redial/dev.jsonl --folds 5
    # how a held-out file is scored: learn from ALL of dev.jsonl, predict the other dialogs
    python benchmarks/redial_learn.py --train-dialogs ../shared/data/redial/dev.jsonl \\
        --dialogs HELDOUT.jsonl --out preds.jsonl

The zero-shot engine of benchmarks/redial.py (MovieLens prior, catalog, train-only mention counts,
the same settings and conversation reader) plus the product feature of
core/recommend/conversation_learning.py: every past conversation becomes one row of the tenant's
collaborative model, built from what a deployed bot stores (the films each side named, in order, and
whether the seeker liked each one: ReDial's initiatorQuestions, the counterpart of a reaction or a
button on a recommendation). The engine then refits only that tenant (HybridRecommender.refit_tenant),
exactly as the bot does at its periodic retrain.

With --folds K the conversations of --dialogs are split into K folds; each fold is predicted by an
engine that learned from the other K-1 folds only (a conversation never learns from itself). The
figures are reported next to the same pipeline without learning (--no-learn), and separately from
the zero-shot track. Popularity comes only from movies_train_mentions.csv (the training split).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import DATA, ROOT, setup, table, write_json

setup(threads=2)

from benchmarks.redial import (  # noqa: E402
    SUBSETS,
    build_engine,
    context_params,
    engine_settings,
    metrics,
    override,
    rank_all,
    ranked_ids,
)
from benchmarks.redial_context import ContextParams, LegacyReader, NluReader, term_counts  # noqa: E402
from benchmarks.redial_data import (  # noqa: E402
    MENTION_RE,
    REDIAL_YEAR,
    RedialCatalog,
    Turn,
    genre_requests,
    load_catalog,
    read_dialogs,
    render,
    turns,
)
from core.embedding import Embedder  # noqa: E402
from core.nlu.parser import build_parser  # noqa: E402
from core.nlu.types import NluContext  # noqa: E402
from core.recommend.conversation_learning import ConversationEvidence  # noqa: E402
from core.recommend.engine import HybridRecommender  # noqa: E402
from core.recommend.request_learning import ConversationRequest, request_terms  # noqa: E402
from core.recommend.types import RecRequest  # noqa: E402

TENANT = "redial"  # benchmarks/redial.py's requests are all in this tenant
LEAKY_PRIOR = "movies_with_mentions.csv"
# initiatorQuestions[movie]["liked"]: 0 no, 1 yes, 2 did not say (a film named, so mildly positive)
LIKED_VALUE = {0: -1.0, 1: 1.0, 2: 0.5}
# The tenant part's CF (fitted on the past conversations), chosen by 5-fold cross-validation inside
# dev.jsonl (docs/bench_recommend.md): a few hundred conversations want far less regularisation than
# MovieLens' 100k ratings (lambda 50, not 800), and the part weighs more than the MovieLens prior in
# the blend (its components are top-scaled, so these weights are relative to the prior's 0.7/0.2).
TENANT_CF = ("ease_lambda=50", "w_ease=4", "w_seq=1", "use_knn=true", "w_knn=2")


def conversation_evidence(conv: dict, tenant: str = TENANT) -> list[ConversationEvidence]:
    """What the bot would have stored of one past conversation: each film named, in message order.

    A film the seeker names is a mention with their stated opinion; a film the recommender names is a
    recommendation, and the seeker's answer (liked / not) is its accept or reject, the way a reaction
    or a button is stored by the bot.
    """
    seeker = conv.get("initiatorWorkerId")
    questions = conv.get("initiatorQuestions")
    answers = questions if isinstance(questions, dict) else {}
    key = f"{tenant}:{conv.get('conversationId')}"
    out: list[ConversationEvidence] = []
    for k, m in enumerate(conv.get("messages", [])):
        by_seeker = m.get("senderWorkerId") == seeker
        for mid in dict.fromkeys(MENTION_RE.findall(str(m.get("text", "")))):
            liked = (answers.get(mid) or {}).get("liked", 2)
            value = LIKED_VALUE.get(liked, 0.5)
            out.append(ConversationEvidence(tenant, key, mid, value, "mention" if by_seeker else "reaction", float(k)))
    return out


class Reader:
    """benchmarks/redial.py's conversation reader (the bot's parser, core.nlu), so that learning is the
    only difference between the two tracks; `--understanding legacy` is the old rules + VADER reader."""

    def __init__(self, rc: RedialCatalog, cp: ContextParams, embedder: Embedder | None, legacy: bool = False) -> None:
        self.names = rc.names
        self.parser = None if legacy else build_parser(rc.catalog, embedder, now_year=REDIAL_YEAR)
        self.reader: NluReader | LegacyReader = (
            LegacyReader(cp) if self.parser is None else NluReader(self.parser, rc.names, cp, term_counts(rc.catalog)))
        self._asked: dict[str, tuple[str, ...]] = {}

    def requests(self, ts: list[Turn], known: set[str]) -> list[RecRequest]:
        self.reader.prepare(ts)
        return [self.reader.request(t, known, k=100) for t in ts]

    def past_requests(self, convs: list[dict], tenant: str = TENANT) -> list[ConversationRequest]:
        """What the bot's state would hold as each past conversation's request: the genres and "+"
        critiques the seeker asked for (ConvState.genres / critiques), read by the same reader."""
        todo = [c for c in convs if str(c.get("conversationId")) not in self._asked]
        seeker_texts = [(str(c.get("conversationId")), str(m.get("text", ""))) for c in todo
                        for m in c.get("messages", []) if m.get("senderWorkerId") == c.get("initiatorWorkerId")]
        state: dict[str, dict[str, list[str]]] = {str(c.get("conversationId")): {"genres": [], "critiques": []}
                                                  for c in todo}
        if self.parser is not None and seeker_texts:
            texts = [render(t, self.names) for _, t in seeker_texts]
            for (cid, _), u in zip(seeker_texts, self.parser.parse_batch(texts, [NluContext()] * len(texts)),
                                   strict=True):
                state[cid]["genres"] += list(u.genres)
                state[cid]["critiques"] += list(u.critiques)
        else:
            for cid, text in seeker_texts:
                state[cid]["genres"] += [g for sign, g in genre_requests(text) if sign > 0]
        self._asked.update({cid: request_terms(st) for cid, st in state.items()})  # type: ignore[arg-type]
        return [ConversationRequest(tenant, f"{tenant}:{c.get('conversationId')}",
                                    self._asked[str(c.get("conversationId"))]) for c in convs]


def folds_of(convs: list[dict], k: int, seed: int) -> list[list[dict]]:
    order = list(range(len(convs)))
    random.Random(seed).shuffle(order)
    return [[convs[i] for i in sorted(order[f::k])] for f in range(k)]


def predict(rec: HybridRecommender, reader: Reader, cp: ContextParams, past: list[dict], convs: list[dict],
            learn: bool) -> tuple[list[Turn], list[list[str]], list[list[str]]]:
    """Refit the tenant on `past` (the product's refit_tenant), then rank every turn of `convs`."""
    evidence = [e for c in past for e in conversation_evidence(c)] if learn else []
    asked = reader.past_requests(past) if learn else []
    rec.refit_tenant(TENANT, [], evidence, asked)
    turn_list = [t for c in convs for t in turns(c)]
    results = asyncio.run(rank_all(rec, reader.requests(turn_list, set(rec.catalog.index_of))))
    preds = [ranked_ids(t, r, cp, 100) for t, r in zip(turn_list, results, strict=True)]  # type: ignore[arg-type]
    return turn_list, preds, [r[:100] for r in results]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dialogs", type=Path, default=DATA / "redial" / "dev.jsonl",
                    help="the conversations to predict (cross-validated when --train-dialogs is not given)")
    ap.add_argument("--train-dialogs", type=Path, default=None,
                    help="learn from ALL of these past conversations and predict --dialogs (no folds)")
    ap.add_argument("--movies", type=Path, default=DATA / "redial" / "movies_train_mentions.csv")
    ap.add_argument("--movielens", type=Path, default=DATA / "movielens-small")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0, help="how conversations are dealt into folds")
    ap.add_argument("--no-learn", action="store_true", help="the same pipeline without learning (baseline)")
    ap.add_argument("--out", type=Path, default=None, help="predictions, the data README's format")
    ap.add_argument("--cache-dir", type=Path, default=ROOT / ".data" / "cache" / "bench")
    ap.add_argument("--quick", action="store_true", help="first 60 conversations, 3 folds, no content embeddings")
    ap.add_argument("--no-content", action="store_true", help="skip the MiniLM item index and query embeddings")
    ap.add_argument("--limit", type=int, default=0, help="only the first N conversations of --dialogs")
    ap.add_argument("--json", type=Path, default=None, help="write the metrics here")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="engine override (redial.py)")
    ap.add_argument("--tenant-set", action="append", default=[], metavar="KEY=VALUE",
                    help="CFConfig of the tenant's own part (what the conversations train), e.g. ease_lambda=50")
    ap.add_argument("--ctx", action="append", default=[], metavar="KEY=VALUE", help="context override (redial.py)")
    ap.add_argument("--understanding", choices=("nlu", "legacy"), default="nlu",
                    help="nlu: the bot's parser, as benchmarks/redial.py; legacy: the old rules + VADER reader")
    args = ap.parse_args(argv)
    if args.movies.name == LEAKY_PRIOR:
        ap.error(f"{LEAKY_PRIOR} counts mentions in the test split too; use movies_train_mentions.csv")
    if args.folds < 2 and args.train_dialogs is None:
        ap.error("--folds must be at least 2 (or give --train-dialogs)")
    for p in (args.dialogs, args.movies, args.movielens, args.train_dialogs):
        if p is not None and not p.exists():
            ap.error(f"not found: {p}")
    t0 = time.time()
    rc = load_catalog(args.movies, args.movielens)
    cp = context_params(args.ctx)
    settings = override(engine_settings(), args.set)
    # The conversation part's own CF settings (TENANT_CF, then --tenant-set overrides)
    kw = {k: v.lower() in ("1", "true") if isinstance(getattr(settings.cf, k), bool) else
          type(getattr(settings.cf, k))(v) for k, _, v in (p.partition("=") for p in [*TENANT_CF, *args.tenant_set])}
    settings = replace(settings, tenant_cf=replace(settings.cf, **kw))
    rec = build_engine(rc, args.cache_dir, settings, progress=not args.quick,
                       content=not (args.quick or args.no_content), cp=cp)
    reader = Reader(rc, cp, rec.embedder, legacy=args.understanding == "legacy")  # the parser as in redial.py
    convs = list(read_dialogs(args.dialogs))
    limit = 60 if args.quick else args.limit
    convs = convs[:limit] if limit else convs
    learn = not args.no_learn
    turn_list: list[Turn] = []
    preds: list[list[str]] = []
    plain: list[list[str]] = []
    try:
        if args.train_dialogs is not None:
            past = list(read_dialogs(args.train_dialogs))
            shared = {str(c.get("conversationId")) for c in past} & {str(c.get("conversationId")) for c in convs}
            if shared:  # a conversation that learned from itself would score its own targets
                ap.error(f"{len(shared)} conversations are in both --train-dialogs and --dialogs "
                         f"(e.g. {sorted(shared)[0]}); use --folds to cross-validate one file")
            turn_list, preds, plain = predict(rec, reader, cp, past, convs, learn)
            how = f"learned from {len(past)} conversations of {args.train_dialogs.name}" if learn else "no learning"
        else:
            k = 3 if args.quick else args.folds
            for f, fold in enumerate(folds_of(convs, k, args.seed)):
                past = [c for g, other in enumerate(folds_of(convs, k, args.seed)) if g != f for c in other]
                tl, pr, pl = predict(rec, reader, cp, past, fold, learn)
                turn_list += tl
                preds += pr
                plain += pl
            how = f"{k}-fold cross-validation inside {args.dialogs.name}" + ("" if learn else " (learning off)")
    finally:
        rec.close()
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w", encoding="utf-8") as fh:
            for t, ranked in zip(turn_list, preds, strict=True):
                fh.write(json.dumps({"conversationId": t.conv_id, "messageId": t.message_id, "ranked": ranked}) + "\n")
    m = metrics(turn_list, preds, plain)
    m["seconds"] = time.time() - t0
    m["turns"] = float(len(turn_list))
    print(f"{len(convs)} conversations, {len(turn_list)} recommender turns, {how} ({m['seconds']:.0f}s)")
    print(table([(s, m[f"R@1 {s}"], m[f"R@10 {s}"], m[f"R@50 {s}"], int(m[f"targets {s}"])) for s in SUBSETS],
                ["targets", "Recall@1", "Recall@10", "Recall@50", "n"]))
    write_json(args.json, m)
    return m


if __name__ == "__main__":
    main()
