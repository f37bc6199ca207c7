"""The scripted dialogue suite (tests/dialogues/*.json) outside pytest: pass rate overall and per file,
false explanation lines and invented likes (liked items stored that a dialogue with `only` does not
expect).

The dialogues run exactly as in tests/test_dialogues.py (its `run_dialogue` is imported, not copied):
DialogueCore with the default engines and the template generator, each dialogue in its own tenant.

    python benchmarks/dialogues.py                 # the whole suite
    python benchmarks/dialogues.py --quick 10      # the first 10 dialogues (what CI runs)
    python benchmarks/dialogues.py --file suite_flow.json --verbose   # one file, every failure spelt out

The last line of stdout is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import setup  # noqa: E402

setup(threads=1)

from bot.config import load_config  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from tests.dialogue_checks import load_dialogues  # noqa: E402
from tests.test_dialogues import run_dialogue  # noqa: E402

# How run_dialogue words the two failures the issue counts separately (tests/dialogue_checks.py).
FALSE_LINE_MARKERS = ("is not a genre/tag", "is not a stored like", "says '", "names something not shared",
                      "creator '", "called a ", "claims what was asked")


def count_failures(dialogue: dict[str, Any], errors: list[str]) -> tuple[int, int]:
    """(false explanation lines, invented likes) in one dialogue's error list."""
    # Strip "turn K 'what the user said': " first, so words in the user's message are never counted.
    prefixes = [f"turn {k + 1} {t['say']!r}: " for k, t in enumerate(dialogue["turns"])]
    details = [e[len(p):] for e in errors for p in prefixes if e.startswith(p)]
    false_lines = sum(1 for e in details if any(m in e for m in FALSE_LINE_MARKERS))
    invented = 0
    for e in errors:
        if e.startswith("stored: invented likes: "):
            invented += len(json.loads(e.split(": ", 2)[2].replace("'", '"')))
    return false_lines, invented


async def run_suite(dialogues: list[dict[str, Any]], verbose: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="recbot-dialogues-") as tmp:
        cfg = Path(tmp) / "recbot.toml"
        cfg.write_text(f'[data]\ndir = "{Path(tmp) / "data"}"\n[generation]\nbackend = "template"\n',
                       encoding="utf-8")
        app = await build_app(load_config(cfg))
        try:
            passed: Counter[str] = Counter()
            total: Counter[str] = Counter()
            known = {"passed": 0, "total": 0}
            false_lines = invented = 0
            failed: list[str] = []
            start = time.perf_counter()
            for n, d in enumerate(dialogues):
                errors = await run_dialogue(app, n, d)
                total[d["file"]] += 1
                fl, inv = count_failures(d, errors)
                false_lines += fl
                invented += inv
                if d.get("known_failure"):
                    known["total"] += 1
                    known["passed"] += not errors
                if errors:
                    failed.append(d["name"])
                    if verbose:
                        kf = f"  [known: {d['known_failure']}]" if d.get("known_failure") else ""
                        print(f"FAIL {d['file']}::{d['name']}{kf}")
                        for e in errors:
                            print(f"    {e}")
                else:
                    passed[d["file"]] += 1
            seconds = time.perf_counter() - start
        finally:
            await app.aclose()
    n_all = sum(total.values())
    return {
        "dialogues": n_all, "passed": sum(passed.values()),
        "pass_rate": round(sum(passed.values()) / n_all, 3) if n_all else 0.0,
        "per_file": {f: f"{passed[f]}/{total[f]}" for f in sorted(total)},
        "false_explanation_lines": false_lines, "invented_likes": invented,
        "known_failures": known["total"], "known_failures_now_passing": known["passed"],
        "failed": failed, "seconds": round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", type=int, nargs="?", const=10, default=None, metavar="N",
                    help="run only the first N dialogues (default 10)")
    ap.add_argument("--file", action="append", default=[], help="only dialogues from this file (repeatable)")
    ap.add_argument("--name", action="append", default=[], help="only the dialogue with this name (repeatable)")
    ap.add_argument("--verbose", action="store_true", help="print every failing dialogue's errors")
    args = ap.parse_args(argv)
    dialogues = load_dialogues()
    if args.file:
        unknown = set(args.file) - {d["file"] for d in dialogues}
        if unknown:
            print(f"error: no dialogue file {sorted(unknown)} in tests/dialogues", file=sys.stderr)
            return 2
        dialogues = [d for d in dialogues if d["file"] in args.file]
    if args.name:
        dialogues = [d for d in dialogues if d["name"] in args.name]
    if args.quick is not None:
        if args.quick < 1:
            print("error: --quick needs a positive number of dialogues", file=sys.stderr)
            return 2
        dialogues = dialogues[: args.quick]
    result = asyncio.run(run_suite(dialogues, args.verbose))
    print(f"{result['passed']}/{result['dialogues']} dialogues pass ({result['pass_rate']:.1%}); "
          f"{result['false_explanation_lines']} false explanation lines; {result['invented_likes']} invented likes; "
          f"{result['seconds']} s")
    for f, score in result["per_file"].items():
        print(f"  {f}: {score}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
