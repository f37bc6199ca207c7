"""ReDial item sentiment: did the seeker like each movie they talked about, from their own messages only?

Gold: initiatorQuestions[movie].liked (1 yes, 0 no; 2 "did not say" is skipped). Evidence, from the
seeker's messages only:
  * a message that mentions the movie ("@123" in ReDial) -> the sentiment of the clause around it;
  * a seeker reply right after the recommender mentioned exactly that movie ("I loved that one") ->
    the reply's sentiment (the parser resolves "that one" against the one-item context).
A movie's score is the mean of its non-zero evidence; it is predicted "not liked" when the score is
below zero, else "liked" (no evidence falls back to the prior, "liked"). Fixed rule, not fitted on dev.

Two modes, both reported:
  parser  -- end to end: "@123" becomes the movie's title, a catalog of all 6.9k ReDial movies is built,
             and the real parser must find the title (fuzzy index) and score its clause;
  spans   -- the same sentiment code given the exact mention spans (isolates sentiment from matching).

    python benchmarks/redial_sentiment.py [--data ../shared/data/redial] [--limit N]
    python benchmarks/redial_sentiment.py --quick     # first 60 conversations (CI)
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.nlu.parser import build_parser  # noqa: E402
from core.nlu.sentiment import SentimentScorer  # noqa: E402
from core.nlu.slots import negated_spans  # noqa: E402
from core.nlu.types import NluContext  # noqa: E402
from core.recommend.catalog import Catalog, Item  # noqa: E402

_MENTION = re.compile(r"@(\d+)")
_YEAR = re.compile(r"^(.*?)\s*\((\d{4})\)\s*$")


def load_movies(path: Path) -> dict[str, tuple[str, int | None]]:
    out: dict[str, tuple[str, int | None]] = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            m = _YEAR.match(row["movieName"].strip())
            title, year = (m.group(1).strip(), int(m.group(2))) if m else (row["movieName"].strip(), None)
            out[row["movieId"]] = (re.sub(r"\s+", " ", title), year)
    return out


def label(title: str, year: int | None) -> str:
    return f"{title} ({year})" if year else title


def evidence(convs: list[dict], movies: dict[str, tuple[str, int | None]], mode: str
             ) -> dict[tuple[int, str], list[float]]:
    """(conversation index, movie id) -> evidence values from the seeker's messages."""
    scorer = SentimentScorer()
    parser = None
    if mode == "parser":
        catalog = Catalog([Item(mid, t, "movie", y) for mid, (t, y) in movies.items()])
        t0 = time.perf_counter()
        parser = build_parser(catalog, None)
        print(f"parser built over {len(catalog)} ReDial titles in {time.perf_counter() - t0:.2f} s")
    jobs: list[tuple[int, str, NluContext, list[str], list[tuple[int, int]], str | None]] = []
    for ci, d in enumerate(convs):
        seeker = d["initiatorWorkerId"]
        names = dict(movies)
        for mid, name in (d.get("movieMentions") or {}).items():
            m = _YEAR.match((name or "").strip())
            if m:
                names[mid] = (m.group(1).strip(), int(m.group(2)))
        last_other: list[str] = []  # movies the recommender mentioned in their latest message
        for msg in d["messages"]:
            raw = msg["text"] or ""
            ids = _MENTION.findall(raw)
            if msg["senderWorkerId"] != seeker:
                last_other = ids or ([] if _MENTION.search(raw) else last_other)
                continue
            # Replace each @id with its title; remember spans for the "spans" mode.
            parts: list[str] = []
            spans: list[tuple[int, int]] = []
            pos, length = 0, 0
            for m in _MENTION.finditer(raw):
                chunk = raw[pos : m.start()]
                parts.append(chunk)
                length += len(chunk)
                title = label(*names.get(m.group(1), ("that movie", None)))
                parts.append(title)
                spans.append((length, length + len(title)))
                length += len(title)
                pos = m.end()
            parts.append(raw[pos:])
            text = "".join(parts)
            follow = last_other[0] if not ids and len(last_other) == 1 else None
            jobs.append((ci, text, NluContext(last_items=tuple(last_other[:1]) if follow else ()), ids, spans, follow))
            last_other = []
    out: dict[tuple[int, str], list[float]] = defaultdict(list)
    if parser is not None:
        us = parser.parse_batch([j[1] for j in jobs], [j[2] for j in jobs])
        named = hit = 0
        for (ci, _text, _ctx, ids, _spans, follow), u in zip(jobs, us, strict=True):
            found = {m.item_id: m.sentiment for m in u.items}
            named += sum(mid in movies for mid in ids)
            hit += sum(mid in found for mid in ids)
            for mid in ids:
                if found.get(mid):
                    out[(ci, mid)].append(found[mid])
            if follow and u.sentiment and not u.items:
                out[(ci, follow)].append(u.sentiment)
        print(f"title index found {hit} of {named} seeker mentions ({hit / max(named, 1):.1%})")
    else:
        for ci, text, _ctx, ids, spans, follow in jobs:
            for mid, s in zip(ids, scorer.mention_scores(text, spans, negated_spans(text)), strict=True):
                if s:
                    out[(ci, mid)].append(s)
            if follow and (s := scorer.score(text)):
                out[(ci, follow)].append(s)
    return out


def metrics(gold: list[int], pred: list[int]) -> dict[str, float]:
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    f1s = []
    per: dict[str, float] = {}
    for c in (0, 1):
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, pred, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, pred, strict=True))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per.update({f"P{c}": prec, f"R{c}": rec, f"F1_{c}": f1})
        f1s.append(f1)
    return {"accuracy": acc, "macro_f1": sum(f1s) / 2, **per}


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Prints the Markdown table; returns {"majority" | "parser" | "spans": metrics (+ "covered")}."""
    from benchmarks.common import DATA

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA / "redial")
    ap.add_argument("--limit", type=int, default=0, help="first N conversations only (0: all)")
    ap.add_argument("--quick", action="store_true", help="first 60 conversations (CI)")
    args = ap.parse_args(argv)
    if args.quick:
        args.limit = 60
    if not (args.data / "dev.jsonl").is_file():
        raise SystemExit(f"not found: {args.data / 'dev.jsonl'}")
    convs = [json.loads(line) for line in (args.data / "dev.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    if args.limit:
        convs = convs[: args.limit]
    # Names only (the counts are not used here); the train-split file has the same 6,924 movies.
    movies = load_movies(args.data / "movies_train_mentions.csv")
    targets = [(ci, mid, int(q["liked"])) for ci, d in enumerate(convs)
               if isinstance(d.get("initiatorQuestions"), dict)
               for mid, q in d["initiatorQuestions"].items() if int(q.get("liked", 2)) in (0, 1)]
    gold = [g for _, _, g in targets]
    base = metrics(gold, [1] * len(gold))
    results: dict[str, dict[str, float]] = {"majority": base}
    print(f"{len(convs)} conversations, {len(targets)} (movie, seeker) labels: "
          f"{gold.count(1)} liked, {gold.count(0)} not liked\n")
    print("| method | accuracy | macro-F1 | P(not liked) | R(not liked) | F1(not liked) | F1(liked) | with evidence |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| majority class (always liked) | {base['accuracy']:.3f} | {base['macro_f1']:.3f} | - | 0.000 | 0.000 | "
          f"{base['F1_1']:.3f} | - |")
    for mode in ("parser", "spans"):
        t0 = time.perf_counter()
        ev = evidence(convs, movies, mode)
        secs = time.perf_counter() - t0
        pred = []
        covered = 0
        for ci, mid, _g in targets:
            vals = ev.get((ci, mid), [])
            covered += bool(vals)
            pred.append(0 if vals and sum(vals) / len(vals) < 0 else 1)
        m = metrics(gold, pred)
        results[mode] = {**m, "covered": covered / len(targets), "seconds": secs}
        print(f"| {mode} ({secs:.1f} s) | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | {m['P0']:.3f} | {m['R0']:.3f} | "
              f"{m['F1_0']:.3f} | {m['F1_1']:.3f} | {covered}/{len(targets)} |")
    return results


if __name__ == "__main__":
    main()
