"""NLU benchmark: intent accuracy, slot F1 and the confusion matrix on the labelled sets, and the
per-message cost of parsing, batched vs one call per message, on a fixed number of CPU threads.

    python benchmarks/nlu.py            # full run (both sets, lexical and full parser, timings)
    python benchmarks/nlu.py --quick    # labelled set only, fewer timing messages
    python benchmarks/nlu.py --stance   # stance sets, embedding-classifier ablations, p95 on one core

Prints Markdown (the tables in docs/bench_nlu.md come from here).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.nlu.evaluation import Report, StanceReport, context_of, evaluate_stance, load_labelled, score  # noqa: E402
from core.nlu.parser import RuleParser, build_parser  # noqa: E402
from core.nlu.types import Intent  # noqa: E402
from core.recommend.catalog import bundled_catalog  # noqa: E402

NOW = 2026  # labels' "recent" is relative to this year


def report_md(title: str, rep: Report) -> str:
    lines = [f"### {title}", "", f"`{rep.summary()}`", "", "| slot | P | R | F1 | tp | fp | fn |",
             "|---|---|---|---|---|---|---|"]
    for name, c in rep.per_slot.items():
        lines.append(f"| {name} | {c.precision:.3f} | {c.recall:.3f} | {c.f1:.3f} | {c.tp} | {c.fp} | {c.fn} |")
    lines += ["", "Intent accuracy by case kind: " + ", ".join(
        f"{k} {a}/{n}" for k, (a, n) in sorted(rep.per_tag.items()))]
    return "\n".join(lines)


def confusion_md(rep: Report) -> str:
    labels = [i.value for i in Intent]
    head = "| gold \\ predicted | " + " | ".join(labels) + " |"
    rows = [head, "|" + "---|" * (len(labels) + 1)]
    for g in labels:
        row = rep.confusion.get(g, {})
        rows.append(f"| **{g}** | " + " | ".join(str(row.get(p, 0) or ".") for p in labels) + " |")
    return "\n".join(rows)


def timing(parser: RuleParser, rows: list[dict[str, object]], repeats: int, prewarm: bool = False
           ) -> tuple[float, float]:
    """Median ms per message: one parse_batch over all rows vs one parse call per row."""
    texts, ctxs = [str(r["text"]) for r in rows], [context_of(r) for r in rows]
    # Warm up kernels; with prewarm, also fill the phrase cache (when the parser has one).
    parser.parse_batch(texts if prewarm else texts[:4], ctxs if prewarm else ctxs[:4])
    batched, single = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        parser.parse_batch(texts, ctxs)
        batched.append((time.perf_counter() - t) * 1000 / len(texts))
        t = time.perf_counter()
        for x, c in zip(texts, ctxs, strict=True):
            parser.parse(x, c)
        single.append((time.perf_counter() - t) * 1000 / len(texts))
    return statistics.median(batched), statistics.median(single)


def stance_md(title: str, rep: StanceReport) -> str:
    lines = [f"### {title}", "", f"`{rep.summary()}`", "", "| stance | P | R | F1 | n |", "|---|---|---|---|---|"]
    for name, c in sorted(rep.per_class.items()):
        lines.append(f"| {name} | {c.precision:.3f} | {c.recall:.3f} | {c.f1:.3f} | {c.tp + c.fn} |")
    if rep.errors:
        lines += ["", "Errors: " + "; ".join(f"\"{t}\" {g}->{p}" for t, g, p in rep.errors[:10])]
    return "\n".join(lines)


def p95_single_core(parser: RuleParser, rows: list[dict[str, object]]) -> dict[str, tuple[float, float]]:
    """p50/p95 ms of parse() per message, one message at a time (the dialogue's call), on one torch
    thread: wall clock and this thread's CPU time (the CPU figure does not grow when other processes
    share the cores), for a first pass with an empty phrase cache and a second, warm pass."""
    import torch

    torch.set_num_threads(1)
    texts, ctxs = [str(r["text"]) for r in rows], [context_of(r) for r in rows]
    out: dict[str, tuple[float, float]] = {}
    for label in ("cold", "warm"):
        wall: list[float] = []
        cpu: list[float] = []
        for x, c in zip(texts, ctxs, strict=True):
            t, tc = time.perf_counter(), time.thread_time()
            parser.parse(x, c)
            cpu.append((time.thread_time() - tc) * 1000)
            wall.append((time.perf_counter() - t) * 1000)
        for name, ms in ((f"{label} wall", wall), (f"{label} cpu", cpu)):
            ms.sort()
            out[name] = (ms[len(ms) // 2], ms[int(len(ms) * 0.95)])
    return out


def stance_main() -> None:
    """Stance per mention: rules (default) vs a classifier over embeddings; p95 cost on one core."""
    from benchmarks.nlu_classifier import intent_classifier, stance_classifier
    from core.embedding import SentenceEmbedder

    data = ROOT / "tests" / "data"
    catalog = bundled_catalog()
    dev, held = load_labelled(data / "nlu_stance.jsonl"), load_labelled(data / "nlu_stance_heldout.jsonl")
    emb = SentenceEmbedder()
    lexical = build_parser(catalog, None, now_year=NOW)
    full = build_parser(catalog, emb, now_year=NOW)
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores shared)\n")
    for name, rows in (("development (nlu_stance.jsonl)", dev), ("held-out (nlu_stance_heldout.jsonl)", held)):
        print(stance_md(f"rules, full parser -- {name}", evaluate_stance(full, rows)) + "\n")
    ml, rule = stance_classifier(emb.encode, full, dev, held)
    print(stance_md("ablation: logistic regression on MiniLM embeddings, trained on development, "
                    "tested on held-out", ml) + "\n")
    print(f"(rules on the same held-out examples: `{rule.summary()}`)\n")
    train, test = load_labelled(data / "nlu_labelled.jsonl"), load_labelled(data / "nlu_heldout.jsonl")
    acc, _ = intent_classifier(emb.encode, train, test)
    rules_acc = score(test, full.parse_batch([str(r["text"]) for r in test], [context_of(r) for r in test]))
    print(f"### ablation: intent\n\nheld-out intent accuracy: rules (default) {rules_acc.intent_accuracy:.3f}; "
          f"logistic regression on MiniLM embeddings trained on the labelled set {acc:.3f}\n")
    rows = load_labelled(data / "nlu_labelled.jsonl") + test + dev + held
    print(f"## Cost of understanding one message, one core ({len(rows)} messages)\n")
    print("| parser | pass | wall p50 ms | wall p95 ms | CPU p50 ms | CPU p95 ms |\n|---|---|---|---|---|---|")
    for name, p in (("lexical (no embedder)", lexical), ("full, default config (phrase cache on)",
                                                        build_parser(catalog, emb, now_year=NOW))):
        res = p95_single_core(p, rows)
        for label in ("cold", "warm"):
            (w50, w95), (c50, c95) = res[f"{label} wall"], res[f"{label} cpu"]
            print(f"| {name} | {label} | {w50:.1f} | {w95:.1f} | {c50:.1f} | {c95:.1f} |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Prints the Markdown report; returns {"<set>/<parser>": {intent_accuracy, slot_f1, n}, "cost/<parser>": ...}."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="labelled set only; 60 timing messages, 1 repeat")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads (the target machine has 2 cores)")
    ap.add_argument("--no-embed", action="store_true", help="lexical parser only (no model load)")
    ap.add_argument("--stance", action="store_true", help="stance sets, classifier ablations, one-core p95")
    ap.add_argument("--languages", default="zh,es,de", help="non-English labelled sets to score (comma list)")
    args = ap.parse_args(argv)
    results: dict[str, dict[str, float]] = {}
    if args.stance:
        stance_main()
        return results

    import torch

    torch.set_num_threads(args.threads)
    data = ROOT / "tests" / "data"
    sets = {"labelled": load_labelled(data / "nlu_labelled.jsonl")}
    if not args.quick:
        sets["held-out"] = load_labelled(data / "nlu_heldout.jsonl")
    for lang in args.languages.split(","):
        if lang:  # zh/es/de sets: the multilingual pivot in front of the same English parser
            sets[f"{lang}"] = load_labelled(data / f"nlu_{lang}.jsonl")
    catalog = bundled_catalog()
    t = time.perf_counter()
    parsers: dict[str, RuleParser] = {"lexical (no embedder)": build_parser(catalog, None, now_year=NOW)}
    build_ms = {"lexical (no embedder)": (time.perf_counter() - t) * 1000}
    if not args.no_embed:
        from core.embedding import SentenceEmbedder

        t = time.perf_counter()
        emb = SentenceEmbedder()
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        parsers["full (all-MiniLM-L6-v2)"] = build_parser(catalog, emb, now_year=NOW, cache_size=0)
        build_ms["full (all-MiniLM-L6-v2)"] = (time.perf_counter() - t) * 1000
        print(f"model load {load_s:.1f} s; torch threads {torch.get_num_threads()}; catalog {len(catalog)} items, "
              f"{len(catalog.tag_vocabulary())} tags\n")

    for set_name, rows in sets.items():
        print(f"## {set_name} set ({len(rows)} utterances)\n")
        for name, p in parsers.items():
            us = p.parse_batch([str(r["text"]) for r in rows], [context_of(r) for r in rows])
            rep = score(rows, us)
            results[f"{set_name}/{name}"] = {"n": float(rep.n), "intent_accuracy": rep.intent_accuracy,
                                             "slot_f1": rep.slot.f1}
            print(report_md(f"{name}", rep) + "\n")
            if name.startswith("full") or args.no_embed:
                print(f"Confusion matrix ({name}, {set_name}):\n\n{confusion_md(rep)}\n")
            if rep.errors:
                print("Intent errors: " + "; ".join(f"\"{t}\" {g}->{p}" for t, g, p in rep.errors[:12]) + "\n")

    rows = sets["labelled"][: 60 if args.quick else len(sets["labelled"])]
    repeats = 1 if args.quick else 3
    print(f"## Per-message cost ({len(rows)} messages, median of {repeats}, torch threads {args.threads}, "
          "phrase cache off)\n")
    print("| parser | build ms | batched ms/msg | unbatched ms/msg |\n|---|---|---|---|")
    for name, p in parsers.items():
        b, s = timing(p, rows, repeats)
        results[f"cost/{name}"] = {"batched_ms": b, "unbatched_ms": s}
        print(f"| {name} | {build_ms[name]:.0f} | {b:.2f} | {s:.2f} |")
    if "full (all-MiniLM-L6-v2)" in parsers:
        warm = build_parser(catalog, parsers["full (all-MiniLM-L6-v2)"].embedder, now_year=NOW)
        b, s = timing(warm, rows, repeats, prewarm=True)
        print(f"| full, phrase cache on and warm (repeated phrasing) | - | {b:.2f} | {s:.2f} |")
    return results


if __name__ == "__main__":
    main()
