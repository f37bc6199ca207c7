"""ReDial conversational recommendation, zero-shot: recbot's engine ranks all 6,924 ReDial movies.

    python benchmarks/redial.py --dialogs ../shared/data/redial/dev.jsonl \\
        --movies ../shared/data/redial/movies_with_mentions.csv \\
        --movielens ../shared/data/movielens-small --out preds.jsonl

For every recommender message that mentions movies, the engine sees only the earlier messages:
movies mentioned (with the seeker's clause sentiment, VADER), genres/moods asked for (a word list
-> "+genre" critiques, plus the seeker's words as the content query, embedded with MiniLM), and
ranks every candidate with MovieLens CF (mapped titles), content similarity and the nbMentions
popularity prior. Movies already mentioned in the conversation are excluded by the engine (as the
bot does) and appended after rank `--repeat-at`, since the protocol also counts re-mentions as
targets ("all"); "new" targets are unaffected by that choice. Nothing is trained on ReDial dialogues;
the settings below were tuned on dev.jsonl (docs/bench_recommend.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import DATA, ROOT, setup, table, write_json

setup(threads=2)

from benchmarks.redial_data import (  # noqa: E402
    MENTION_RE,
    RedialCatalog,
    Turn,
    clauses,
    genre_requests,
    load_catalog,
    read_dialogs,
    strip_mentions,
    turns,
)
from core.recommend.catalog import Catalog  # noqa: E402
from core.recommend.cf import CFConfig  # noqa: E402
from core.recommend.engine import HybridRecommender, RecSettings  # noqa: E402
from core.recommend.preferences import PreferenceConfig  # noqa: E402
from core.recommend.text_index import TextIndex  # noqa: E402
from core.recommend.types import RecRequest, Signal  # noqa: E402


@dataclass(frozen=True)
class ContextParams:
    seeker_like: float = 0.6  # a movie the seeker mentions without negative words: mostly liked
    seeker_dislike: float = -0.6  # ... with a negative clause (VADER compound <= neg_threshold)
    neg_threshold: float = -0.3
    rec_prior: float = 0.3  # a movie the recommender mentioned earlier (context, mild)
    rec_reply_weight: float = 0.5  # the seeker's reply sentiment moves that by this much
    query_turns: int = 6  # the seeker's last N messages form the content query
    recommender_genres: bool = True  # genre words from the recommender's questions count too
    repeat_at: int = 10  # rank where already-mentioned movies are inserted (for "all" targets)
    # Era-weighted popularity (ReDial was collected in 2017-18): log-popularity gains pop_recent *
    # log1p(MovieLens ratings made since recent_since) and pop_era per decade of release after 2000.
    pop_recent: float = 0.0
    recent_since: int = 2015
    pop_era: float = 0.0


def engine_settings() -> RecSettings:
    """The engine settings used on ReDial (tuned on dev.jsonl; see docs/bench_recommend.md).

    Compared with the bot's defaults: popularity weighs much more (a crowd-sourced chat leans on
    well-known films), EASE is fit on every MovieLens rating (co-watched, not co-liked: people mention
    films they know), the MovieLens rating counts are not added to nbMentions, and evidence decays
    with a half-life of 5 messages (signal ts = message index in seconds).
    """
    return RecSettings(
        cf=CFConfig(ease_lambda=800.0, min_positive=-2.0, use_knn=False, use_als=False, w_ease=0.7, w_knn=0.0,
                    w_als=0.0, w_seq=0.2),
        prefs=PreferenceConfig(half_life_days=5 / 86400, neighbour_penalty=0.3),
        w_cf=1.0, w_profile=1.0, w_query=0.2, w_seed=0.0, w_critique=0.0, w_critique_tag=0.3, w_genre=1.0, w_title=1.0,
        genre_asked_weight=1.5, w_pop=2.0, w_pop_cold=1.0, w_pop_interactions=0.0, w_recency=0.0, workers=1,
    )


class Sentiment:
    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._vader = SentimentIntensityAnalyzer()

    def clause_score(self, text: str, movie_id: str) -> float:
        """Compound sentiment of the clause around @movie_id (the title itself replaced by 'it')."""
        for c in clauses(text):
            if f"@{movie_id}" in c:
                return float(self._vader.polarity_scores(MENTION_RE.sub("it", c))["compound"])
        return float(self._vader.polarity_scores(MENTION_RE.sub("it", text))["compound"])

    def score(self, text: str) -> float:
        return float(self._vader.polarity_scores(strip_mentions(text))["compound"])


def build_request(turn: Turn, cp: ContextParams, sent: Sentiment, known: set[str], k: int) -> RecRequest:
    signals: list[Signal] = []
    for mid, by_seeker, at in turn.mentioned:
        if mid not in known:
            continue
        text = turn.history[at][1]
        if by_seeker:
            s = sent.clause_score(text, mid)
            value = cp.seeker_dislike if s <= cp.neg_threshold else cp.seeker_like
        else:
            reply = next((t for seeker, t in turn.history[at + 1:] if seeker), "")
            value = cp.rec_prior + cp.rec_reply_weight * (sent.score(reply) if reply else 0.0)
        signals.append(Signal(mid, value, "mention", float(at)))
    seeker_texts = [strip_mentions(t) for s, t in turn.history if s]
    query = " ".join(t for t in seeker_texts[-cp.query_turns:] if t)
    crit: dict[str, int] = {}
    for seeker, text in turn.history:
        if seeker or cp.recommender_genres:
            for sign, genre in genre_requests(text):
                crit[genre] = sign if seeker or genre not in crit else crit[genre]
    critiques = tuple(("+" if s > 0 else "-") + g for g, s in crit.items())
    return RecRequest(tenant="redial", user=turn.conv_id, query=query, critiques=critiques,
                      signals=tuple(signals), k=k, diversify=False, now=float(len(turn.history)))


def ranked_ids(turn: Turn, result_ids: list[str], cp: ContextParams, n: int) -> list[str]:
    """Engine ranking with the conversation's earlier mentions (most recent first) put at repeat_at."""
    earlier = list(dict.fromkeys(mid for mid, _, _ in reversed(turn.mentioned)))
    fresh = [i for i in result_ids if i not in set(earlier)]
    out = fresh[: cp.repeat_at] + earlier + fresh[cp.repeat_at:]
    return list(dict.fromkeys(out))[:n]


def metrics(turn_list: list[Turn], preds: list[list[str]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for subset in ("all", "new"):
        hits = {1: 0, 10: 0, 50: 0}
        total = 0
        for t, ranked in zip(turn_list, preds, strict=True):
            targets = t.targets if subset == "all" else t.new_targets
            pos = {mid: r for r, mid in enumerate(ranked)}
            for g in targets:
                total += 1
                for k in hits:
                    hits[k] += int(pos.get(g, 10**9) < k)
        for k, h in hits.items():
            out[f"R@{k} {subset}"] = h / total if total else 0.0
        out[f"targets {subset}"] = float(total)
    return out


def era_catalog(rc: RedialCatalog, cp: ContextParams) -> Catalog:
    """The catalog with popularity = nbMentions moved towards what was current when ReDial was collected.

    Multiplicative, so the engine's log-popularity gets additive terms: recent MovieLens attention
    (ratings made since `recent_since`) and a per-decade release-year trend.
    """
    if not (cp.pop_recent or cp.pop_era):
        return rc.catalog
    items = []
    for it in rc.catalog:
        years = rc.rating_years.get(it.item_id)
        recent = sum(c for y, c in years.items() if y >= cp.recent_since) if years else 0
        era = min(max(((it.year or 2000) - 2000) / 10.0, -1.0), 1.8)
        pop = (1.0 + it.popularity) * (1.0 + recent) ** cp.pop_recent * math.exp(cp.pop_era * era) - 1.0
        items.append(replace(it, popularity=max(0.0, pop)))
    return Catalog(items)


def build_engine(rc: RedialCatalog, cache_dir: Path, settings: RecSettings, progress: bool = True,
                 content: bool = True, cp: ContextParams | None = None) -> HybridRecommender:
    """The engine over the ReDial catalog; content=False skips the MiniLM index (CF/genre/popularity)."""
    embedder, index = None, None
    if content:
        from core.embedding import SentenceEmbedder

        embedder = SentenceEmbedder()
        # Embeddings are keyed by the plain catalog (titles); popularity changes must not re-embed.
        index = TextIndex.build(rc.catalog, embedder, cache_dir, progress=progress)
    rec = HybridRecommender(era_catalog(rc, cp or ContextParams()), settings, index, embedder)
    rec.set_prior(rc.prior_rows)
    return rec


async def rank_all(rec: HybridRecommender, reqs: list[RecRequest]) -> list[list[str]]:
    """All turns concurrently: the engine batches their query embeddings (QueryBatcher)."""
    results = await asyncio.gather(*(rec.recommend(r) for r in reqs))
    return [[s.item_id for s in res.items] for res in results]


def override(st: RecSettings, pairs: list[str]) -> RecSettings:
    """Apply --set key=value (float) overrides; 'cf.' and 'prefs.' prefixes reach the nested configs."""
    for pair in pairs:
        key, _, raw = pair.partition("=")
        if key.startswith(("cf.", "prefs.")):
            part, sub = key.split(".", 1)
            st = replace(st, **{part: replace(getattr(st, part), **{sub: float(raw)})})
        else:
            st = replace(st, **{key: float(raw)})
    return st


def context_params(pairs: list[str]) -> ContextParams:
    """ContextParams with --ctx key=value overrides, each cast to the field's type."""
    cp = ContextParams()
    types = {f.name: type(getattr(cp, f.name)) for f in fields(cp)}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        kind = types[key]
        cp = replace(cp, **{key: raw.lower() in ("1", "true", "yes") if kind is bool else kind(raw)})
    return cp


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dialogs", type=Path, default=DATA / "redial" / "dev.jsonl")
    ap.add_argument("--movies", type=Path, default=DATA / "redial" / "movies_with_mentions.csv")
    ap.add_argument("--movielens", type=Path, default=DATA / "movielens-small")
    ap.add_argument("--out", type=Path, default=Path("preds.jsonl"))
    ap.add_argument("--cache-dir", type=Path, default=ROOT / ".data" / "cache" / "bench",
                    help="where the item embeddings are cached (per catalog version)")
    ap.add_argument("--quick", action="store_true",
                    help="first 40 conversations, no content embeddings (CI; indexing 6,924 titles takes minutes)")
    ap.add_argument("--no-content", action="store_true", help="skip the MiniLM item index and query embeddings")
    ap.add_argument("--limit", type=int, default=0, help="only the first N conversations")
    ap.add_argument("--json", type=Path, default=None, help="write the metrics here")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override an engine setting for ablations, e.g. --set w_title=0 --set cf.w_ease=0")
    ap.add_argument("--ctx", action="append", default=[], metavar="KEY=VALUE",
                    help="override a ContextParams field (context rules, era popularity), e.g. --ctx pop_era=0.3")
    args = ap.parse_args(argv)
    t0 = time.time()
    rc = load_catalog(args.movies, args.movielens)
    print(f"catalog: {len(rc.catalog)} movies, {len(rc.to_ml)} mapped to MovieLens, "
          f"{len(rc.prior_rows)} prior ratings ({time.time() - t0:.0f}s)", flush=True)
    cp = context_params(args.ctx)
    rec = build_engine(rc, args.cache_dir, override(engine_settings(), args.set), progress=not args.quick,
                       content=not (args.quick or args.no_content), cp=cp)
    print(f"engine ready ({time.time() - t0:.0f}s)", flush=True)
    limit = 40 if args.quick else args.limit
    convs = list(read_dialogs(args.dialogs))
    if limit:
        convs = convs[:limit]
    turn_list = [t for c in convs for t in turns(c)]
    sent = Sentiment()
    known = set(rc.catalog.index_of)
    reqs = [build_request(t, cp, sent, known, k=100) for t in turn_list]
    results = asyncio.run(rank_all(rec, reqs))
    preds = [ranked_ids(t, r, cp, 100) for t, r in zip(turn_list, results, strict=True)]
    rec.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as f:
        for t, ranked in zip(turn_list, preds, strict=True):
            f.write(json.dumps({"conversationId": t.conv_id, "messageId": t.message_id, "ranked": ranked}) + "\n")
    m = metrics(turn_list, preds)
    m["seconds"] = time.time() - t0
    m["turns"] = float(len(turn_list))
    print(f"{len(convs)} conversations, {len(turn_list)} recommender turns -> {args.out} ({m['seconds']:.0f}s)")
    print(table([(s, m[f"R@1 {s}"], m[f"R@10 {s}"], m[f"R@50 {s}"], int(m[f"targets {s}"])) for s in ("all", "new")],
                ["targets", "Recall@1", "Recall@10", "Recall@50", "n"]))
    write_json(args.json, m)
    return m


if __name__ == "__main__":
    main()
