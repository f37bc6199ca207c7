"""A served model's request reading and reranking: validity, slot accuracy and latency.

Against any OpenAI-compatible server (vLLM, SGLang, `transformers serve`; scripts/gpu-bench.sh starts one
when a GPU and a model are there). Understanding: every labelled request of tests/data/nlu_labelled.jsonl
that names a domain, genres or years is read by the model alone (RequestReading mapped through
understanding_map with an empty rule-based reading), and its slots are compared with the labels; the
rule-based SimpleParser is scored the same way for reference. Rerank: for the same requests, the simple
recommender's top candidates go to the model; we count valid answers (JSON in the schema, only candidate
ids) and time them. Rerank *quality* needs a ranking benchmark with targets (ReDial, benchmarks/redial.py),
not done here.

    PYTHONPATH=. python benchmarks/assist.py --base-url http://127.0.0.1:8000/v1 --model Qwen/Qwen2.5-1.5B-Instruct
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.generation.assist import Candidate, build_assist  # noqa: E402
from core.generation.understanding_map import CatalogTerms, apply_reading  # noqa: E402
from core.nlu.types import Intent, NluContext, Understanding  # noqa: E402
from core.recommend.catalog import load_catalog  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "nlu_labelled.jsonl"


def slot_hits(u: Understanding, row: dict) -> dict[str, bool]:
    hits: dict[str, bool] = {}
    if "domain" in row:
        hits["domain"] = u.domain == row["domain"]
    if "genres" in row:
        hits["genres"] = all(any(g in u.genres for g in group) for group in row["genres"])
    if "year_min" in row or "year_max" in row:
        hits["years"] = (u.year_min, u.year_max) == (row.get("year_min"), row.get("year_max"))
    return hits


def summarize(name: str, results: list[dict[str, bool]], times: list[float], valid: int, n: int) -> None:
    slots = sorted({k for r in results for k in r})
    acc = {k: sum(r[k] for r in results if k in r) / max(1, sum(k in r for r in results)) for k in slots}
    lat = f"p50 {statistics.median(times):.2f} s, p95 {sorted(times)[int(0.95 * (len(times) - 1))]:.2f} s" if times else "-"
    print(f"| {name} | {n} | {valid}/{n} | " + " | ".join(f"{acc.get(k, float('nan')):.2f}" for k in
                                                       ("domain", "genres", "years")) + f" | {lat} |")


async def run(base_url: str, model: str, limit: int, deadline_s: float) -> None:
    from core.nlu.simple import SimpleParser
    from core.recommend.simple import SimpleRecommender
    from core.recommend.types import RecRequest

    catalog = load_catalog(True, [])
    terms = CatalogTerms(catalog)
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("intent") == "recommend" and ({"domain", "genres", "year_min", "year_max"} & set(r))]
    rows = rows[:limit] if limit else rows
    assist = build_assist(base_url, model, "OPENAI_API_KEY", understand=True, rerank=True, deadline_s=deadline_s,
                          rerank_top=20)
    assert assist is not None
    parser, rec = SimpleParser(catalog), SimpleRecommender(catalog)
    model_hits, rule_hits, times = [], [], []
    valid = 0
    rerank_valid, rerank_times = 0, []
    for row in rows:
        rule_hits.append(slot_hits(parser.parse(row["text"], NluContext()), row))
        t0 = time.perf_counter()
        reading = await assist.read_request(row["text"])
        times.append(time.perf_counter() - t0)
        valid += reading is not None
        u = apply_reading(Understanding(intent=Intent.RECOMMEND), reading, terms) if reading else \
            Understanding(intent=Intent.RECOMMEND)
        model_hits.append(slot_hits(u, row))
        result = await rec.recommend(RecRequest(tenant="b", user="b", query=row["text"], k=20))
        cands = [Candidate(s.item_id, it.label(), it.creator or "", it.genres)
                 for s in result.items if (it := catalog.get(s.item_id))]
        t0 = time.perf_counter()
        order = await assist.rerank_ids(row["text"], cands)
        rerank_times.append(time.perf_counter() - t0)
        rerank_valid += order is not None
    await assist.aclose()
    print(f"model {model} at {base_url}; {len(rows)} labelled requests")
    print("| reader | requests | valid answers | domain | genres | years | latency |")
    print("|---|---|---|---|---|---|---|")
    summarize("model (understand)", model_hits, times, valid, len(rows))
    summarize("rules (SimpleParser)", rule_hits, [], len(rows), len(rows))
    lat = f"p50 {statistics.median(rerank_times):.2f} s" if rerank_times else "-"
    print(f"rerank: {rerank_valid}/{len(rows)} valid answers (JSON in schema, only candidate ids), {lat}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--deadline-s", type=float, default=20.0)
    args = ap.parse_args()
    asyncio.run(run(args.base_url, args.model, args.limit, args.deadline_s))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
