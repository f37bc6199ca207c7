"""Generate the gate's labelled set: real SmolLM2-135M outputs through the real reply prompt.

Run once (CPU, a few minutes); the sentences are then labelled by hand in tests/data/gate_labelled.jsonl
(see docs/generation.md, "The fact gate"). Each request goes through the default understanding and
recommender (as in `recbot chat`), the picks' facts go into core.generation.prompt.build_messages, and
the model samples with the pool's settings (temperature 0.7, top-p 0.9, repetition penalty 1.1, 96 new
tokens), seeded per request so a rerun gives the same text.

    PYTHONPATH=. python benchmarks/gate_generate.py --out /tmp/gate_raw.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import setup  # noqa: E402

setup(threads=1)  # on a small shared host one torch thread is much faster (docs/bench_generation.md)

REQUESTS = [
    "five 80s comedies, nothing gory", "a sci-fi movie made before 1980", "something like Alien but less gory",
    "a funny book", "a fantasy novel for a long flight", "a scary movie for halloween", "a romantic comedy",
    "a thoughtful sci-fi book", "movies by Stanley Kubrick", "a classic novel about family",
    "a feel-good movie for a rainy sunday", "something like The Matrix", "a mystery book with a clever detective",
    "a war movie that isn't too depressing", "an animated film for kids", "a heist movie from the 90s",
    "a dark thriller", "a western", "a book like Dune", "a movie about space exploration",
    "a short funny novel", "something by Terry Pratchett", "a horror movie from the 70s",
    "a musical", "a crime drama", "a coming-of-age movie", "a dystopian novel", "a historical novel",
    "a movie my grandparents would enjoy", "an action movie with great fight scenes",
    "a sad movie that will make me cry", "a book about friendship", "movies like Jaws",
    "a 2010s sci-fi movie", "a silent film", "a spy novel", "a road trip movie", "a courtroom drama",
    "a superhero movie", "a mind-bending movie", "a cozy mystery", "a satire", "an epic fantasy series",
    "something light, I had a long day", "a movie directed by Steven Spielberg", "a gothic novel",
    "a movie about music", "a book set in Japan", "a documentary", "a monster movie but not too scary",
    "recommend a good book", "a 60s movie", "something with robots", "a movie about a heist gone wrong",
    "a novel with an unreliable narrator", "a film noir", "a comedy from the 2000s", "a zombie movie",
    "an adventure book for teenagers", "a tearjerker romance",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=len(REQUESTS))
    ap.add_argument("--batch", type=int, default=6)
    ap.add_argument("--start", type=int, default=0, help="skip the first N requests and append (resume)")
    args = ap.parse_args()

    import asyncio

    import torch

    from bot.config import Config
    from bot.wiring import build_catalog, build_embedder, build_parser, build_recommender
    from core.generation.base import GenerationRequest, GroundedItem
    from core.generation.model_loading import load_model
    from core.generation.transformers_backend import prompt_ids
    from core.nlu.types import NluContext
    from core.recommend.types import RecRequest
    from core.state import ConvState

    config = Config()
    config.data.dir = tempfile.mkdtemp(prefix="recbot-gate-")
    catalog = build_catalog(config)
    embedder = build_embedder(config)
    parser = build_parser(config, catalog, embedder)
    recommender = build_recommender(config, catalog, embedder)
    loaded = load_model("", "cpu")
    tok, model = loaded.tokenizer, loaded.model

    jobs = []
    for n, text in enumerate(REQUESTS[: args.limit]):
        if n < args.start:
            continue
        u = parser.parse(text, NluContext())
        state = ConvState()
        state.absorb(u, new_topic=True)
        seeds = tuple(m.item_id for m in u.items if m.sentiment >= 0)
        result = asyncio.run(recommender.recommend(RecRequest(
            tenant="t", user="u", query=" ".join(state.query), seeds=seeds, critiques=tuple(state.critiques),
            constraints=state.constraints(), k=5)))
        items = []
        for s in result.items:
            it = catalog.get(s.item_id)
            if it is not None:
                items.append({"title": it.title, "year": it.year, "creator": it.creator, "genres": list(it.genres),
                              "tags": list(it.tags), "description": it.description, "domain": it.domain,
                              "reason": s.reason})
        req = GenerationRequest(kind="recommend", user_text=text, items=tuple(
            GroundedItem(i["title"], i["year"], i["reason"], i["creator"], i["description"], i["domain"])
            for i in items))
        jobs.append((n, text, items, prompt_ids(tok, req)))

    with args.out.open("a" if args.start else "w", encoding="utf-8") as out:
        for start in range(0, len(jobs), args.batch):
            chunk = jobs[start : start + args.batch]
            width = max(len(ids) for *_, ids in chunk)
            pad = tok.pad_token_id
            ids = torch.tensor([[pad] * (width - len(p)) + p for *_, p in chunk])
            mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for *_, p in chunk])
            torch.manual_seed(args.start + start)
            with torch.no_grad():
                gen = model.generate(input_ids=ids, attention_mask=mask, do_sample=True, temperature=0.7,
                                     top_p=0.9, repetition_penalty=1.1, max_new_tokens=96, pad_token_id=pad)
            for (n, text, items, _), row in zip(chunk, gen, strict=True):
                raw = tok.decode(row[width:], skip_special_tokens=True)
                out.write(json.dumps({"request_id": n, "user_text": text, "items": items, "raw": raw},
                                     ensure_ascii=False) + "\n")
            out.flush()
            print(f"{args.start + start + len(chunk)}/{args.start + len(jobs)}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
