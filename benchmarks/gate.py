"""Precision and recall of the fact gate on real SmolLM2-135M sentences labelled by hand.

tests/data/gate_labelled.jsonl: one request a line (the person's words, the five listed items' facts, the
model's raw output from benchmarks/gate_generate.py) and its sentences, each labelled ``ok`` true/false by
the rules in docs/generation.md ("The fact gate"). A sentence is *passed* when the gate (grounding.Grounder:
the older title/echo rules plus fact_gate.FactGate) keeps it. Positive class = fit to show:

    precision = labelled-ok among passed,  recall = passed among labelled-ok.

Requests with an even id are the dev half (the gate's thresholds were chosen looking at them), odd ids the
held-out half; both are reported, and "all". ``--rules`` prints how often each rule fired.

    PYTHONPATH=. python benchmarks/gate.py [--min-support 0.5] [--rules]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.generation.base import GenerationRequest, GroundedItem  # noqa: E402
from core.generation.grounding import Grounder  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "gate_labelled.jsonl"
OLD_RULES = {"format", "ping-or-link", "meta", "echo", "year", "quote", "unknown-name"}


def request_of(row: dict) -> GenerationRequest:
    items = tuple(GroundedItem(i["title"], i["year"], i["reason"], i["creator"], i["description"], i["domain"],
                               tuple(i["genres"]) + tuple(i["tags"])) for i in row["items"])
    return GenerationRequest(kind="recommend", user_text=row["user_text"], items=items)


def score(pairs: list[tuple[bool, bool]]) -> dict[str, float]:
    tp = sum(1 for ok, passed in pairs if ok and passed)
    passed = sum(1 for _, p in pairs if p)
    ok = sum(1 for o, _ in pairs if o)
    return {"n": len(pairs), "ok": ok, "passed": passed, "tp": tp,
            "precision": tp / passed if passed else float("nan"), "recall": tp / ok if ok else float("nan")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--min-support", type=float, default=None, help="override FactGate.min_support")
    ap.add_argument("--rules", action="store_true")
    ap.add_argument("--show", choices=["fp", "fn"], help="print false positives / false negatives")
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    results: dict[str, list[tuple[bool, bool]]] = {"dev": [], "held-out": [], "all": []}
    old: list[tuple[bool, bool]] = []
    fired: Counter[str] = Counter()
    replies_with_prose = 0
    for row in rows:
        grounder = Grounder(request_of(row))
        if args.min_support is not None:
            grounder.facts.min_support = args.min_support
        kept = 0
        for s in row["sentences"]:
            reasons = grounder.reasons(s["text"])
            passed = grounder.check(s["text"]) is not None
            kept += passed
            fired.update(reasons)
            pair = (bool(s["ok"]), passed)
            results["dev" if row["request_id"] % 2 == 0 else "held-out"].append(pair)
            results["all"].append(pair)
            old.append((bool(s["ok"]), not (set(reasons) & OLD_RULES)))
            if args.show == "fp" and passed and not s["ok"] or args.show == "fn" and s["ok"] and not passed:
                print(f"#{row['request_id']} {reasons} {s['text']!r}  ({s.get('note', '')})")
        replies_with_prose += kept > 0
    print(f"{len(rows)} replies, {len(results['all'])} sentences, "
          f"{sum(o for o, _ in results['all'])} labelled fit to show")
    print("| set | sentences | fit to show | passed | precision | recall |")
    print("|---|---|---|---|---|---|")
    for name, pairs in [*results.items(), ("all, old rules only", old)]:
        r = score(pairs)
        print(f"| {name} | {r['n']} | {r['ok']} | {r['passed']} | {r['precision']:.2f} | {r['recall']:.2f} |")
    print(f"replies where at least one model sentence would be shown: {replies_with_prose} of {len(rows)}")
    if args.rules:
        for rule, n in fired.most_common():
            print(f"  {rule}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
