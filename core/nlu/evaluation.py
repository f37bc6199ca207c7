"""Scoring a parser against the labelled utterances in tests/data/nlu_labelled.jsonl.

Label format, one JSON object per line (absent slots mean "expected empty"):
  text, intent, ctx (last list, item ids), items ({item_id: +1 | -1 | 0 sentiment sign}),
  genres / not_genres / creators / not_creators / critiques (each a list whose entries are a value or a
  list of acceptable alternatives), genres_ok (extra tags that are fine but not required),
  year_min, year_max, domain, refs, refs_all, reject_refs, frustrated, language, tags (case kinds).

Slot F1 is micro-averaged over (slot, value) pairs; a group of alternatives counts once, as found if
any alternative was predicted. Item sentiment counts as the pair (item, sign) for non-neutral signs.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from core.nlu.request_rules import exclusion_heads
from core.nlu.types import Intent, NluContext, Parser, Understanding

SENT_EPS = 0.05  # |sentiment| below this is neutral


def load_labelled(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def context_of(row: dict[str, object]) -> NluContext:
    return NluContext(last_items=tuple(row.get("ctx") or ()))  # type: ignore[arg-type]


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _groups(value: object) -> list[set[str]]:
    return [set(v) if isinstance(v, list) else {str(v)} for v in (value or [])]  # type: ignore[union-attr]


def _grouped(gold: list[set[str]], pred: Iterable[str], ok: set[str] = frozenset()) -> Counts:  # type: ignore[assignment]
    pred = set(pred)
    c = Counts()
    for g in gold:
        if g & pred:
            c.tp += 1
        else:
            c.fn += 1
    allowed = set().union(*gold) | ok if gold else set(ok)
    c.fp = len(pred - allowed)
    return c


def _sets(gold: set[object], pred: set[object]) -> Counts:
    return Counts(len(gold & pred), len(pred - gold), len(gold - pred))


def _sign(x: float) -> int:
    return 0 if abs(x) < SENT_EPS else (1 if x > 0 else -1)


def score_slots(row: dict[str, object], u: Understanding) -> dict[str, Counts]:
    items: dict[str, int] = {k: int(v) for k, v in (row.get("items") or {}).items()}  # type: ignore[union-attr]
    pred_items = {m.item_id: m.sentiment for m in u.items}
    ok = {str(x) for x in (row.get("genres_ok") or [])}  # type: ignore[union-attr]
    out = {
        "items": _sets(set(items), set(pred_items)),
        "item_sentiment": _sets({(k, s) for k, s in items.items() if s}, {
            (k, _sign(s)) for k, s in pred_items.items() if _sign(s)}),
        "genres": _grouped(_groups(row.get("genres")), u.genres, ok),
        # Exclusions as said: "isn't scary" also keeps out horror and zombies (request_rules.py), and the
        # label names what was said, so the synonyms the parser adds are not counted as false positives.
        "not_genres": _grouped(_groups(row.get("not_genres")), exclusion_heads(u.not_genres)),
        "creators": _grouped(_groups(row.get("creators")), u.creators),
        "not_creators": _grouped(_groups(row.get("not_creators")), u.not_creators),
        "critiques": _grouped(_groups(row.get("critiques")), u.critiques),
        "years": _sets({(k, row[k]) for k in ("year_min", "year_max") if row.get(k) is not None},
                       {(k, v) for k, v in (("year_min", u.year_min), ("year_max", u.year_max)) if v is not None}),
        "domain": _sets({row["domain"]} if row.get("domain") else set(), {u.domain} if u.domain else set()),
        "refs": _sets({("ref", r) for r in row.get("refs") or []} | ({("all",)} if row.get("refs_all") else set())
                      | ({("reject",)} if row.get("reject_refs") else set()),  # type: ignore[union-attr]
                      {("ref", r) for r in u.refs} | ({("all",)} if u.refs_all else set())
                      | ({("reject",)} if u.reject_refs else set())),
        "frustrated": _sets({True} if row.get("frustrated") else set(), {True} if u.frustrated else set()),
    }
    return out


@dataclass
class Report:
    n: int
    intent_accuracy: float
    slot: Counts
    per_slot: dict[str, Counts]
    confusion: dict[str, Counter[str]]  # gold intent -> predicted intent counts
    per_tag: dict[str, tuple[int, int]]  # tag -> (intent correct, total)
    language_accuracy: float
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # text, gold, predicted intent

    def summary(self) -> str:
        return (f"n={self.n} intent_acc={self.intent_accuracy:.3f} slot_P={self.slot.precision:.3f} "
                f"slot_R={self.slot.recall:.3f} slot_F1={self.slot.f1:.3f} lang_acc={self.language_accuracy:.3f}")


def evaluate(parser: Parser, rows: list[dict[str, object]]) -> Report:
    us = parser.parse_batch([str(r["text"]) for r in rows], [context_of(r) for r in rows])
    return score(rows, us)


def score(rows: list[dict[str, object]], us: list[Understanding]) -> Report:
    per_slot: dict[str, Counts] = defaultdict(Counts)
    total = Counts()
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    per_tag: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    correct = lang_ok = 0
    errors: list[tuple[str, str, str]] = []
    for row, u in zip(rows, us, strict=True):
        gold = Intent(str(row["intent"]))
        confusion[gold.value][u.intent.value] += 1
        hit = u.intent == gold
        correct += hit
        lang_ok += u.language == (row.get("language") or "en")
        if not hit:
            errors.append((str(row["text"]), gold.value, u.intent.value))
        for tag in [*(row.get("tags") or []), "all"]:  # type: ignore[misc]
            per_tag[tag][0] += hit
            per_tag[tag][1] += 1
        for name, c in score_slots(row, u).items():
            per_slot[name].add(c)
            total.add(c)
    n = len(rows)
    return Report(n, correct / n if n else 0.0, total, dict(per_slot), dict(confusion),
                  {k: (v[0], v[1]) for k, v in per_tag.items()}, lang_ok / n if n else 0.0, errors)


@dataclass
class StanceReport:
    """Stance per mention (and per "it"/"that one") against tests/data/nlu_stance.jsonl labels."""

    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, Counts]
    invented_likes: int  # predicted "liked" where the person did not say they liked it
    wrong_stored: int  # predicted a storable stance (liked/disliked/seen) that is not the gold one
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # text, gold, predicted

    def summary(self) -> str:
        return (f"n={self.n} stance_acc={self.accuracy:.3f} macro_F1={self.macro_f1:.3f} "
                f"invented_likes={self.invented_likes} wrong_stored={self.wrong_stored}")


STORABLE = frozenset({"liked", "disliked", "seen"})


def stance_pairs(rows: list[dict[str, object]], us: list[Understanding]) -> list[tuple[str, str, str]]:
    """(text, gold, predicted) for every labelled mention and labelled reference."""
    out: list[tuple[str, str, str]] = []
    for row, u in zip(rows, us, strict=True):
        pred = {m.item_id: m.stance for m in u.items}
        for key, gold in (row.get("stances") or {}).items():  # type: ignore[union-attr]
            # "m-dune-2021|b-dune-1965": either version is a correct reading of an unmarked "Dune".
            found = next((pred[i] for i in str(key).split("|") if i in pred), "missing")
            out.append((str(row["text"]), str(gold), found))
        if row.get("ref_stance"):
            out.append((str(row["text"]), str(row["ref_stance"]), u.ref_stance))
    return out


def score_stance_pairs(pairs: list[tuple[str, str, str]]) -> StanceReport:
    classes = sorted({g for _, g, _ in pairs})
    per: dict[str, Counts] = {c: Counts() for c in classes}
    for _, g, p in pairs:
        if g == p:
            per[g].tp += 1
        else:
            per[g].fn += 1
            if p in per:
                per[p].fp += 1
    n = len(pairs)
    acc = sum(g == p for _, g, p in pairs) / n if n else 0.0
    macro = sum(c.f1 for c in per.values()) / len(per) if per else 0.0
    invented = sum(p == "liked" and g != "liked" for _, g, p in pairs)
    wrong = sum(p in STORABLE and p != g for _, g, p in pairs)
    return StanceReport(n, acc, macro, per, invented, wrong, [x for x in pairs if x[1] != x[2]])


def evaluate_stance(parser: Parser, rows: list[dict[str, object]]) -> StanceReport:
    us = parser.parse_batch([str(r["text"]) for r in rows], [context_of(r) for r in rows])
    return score_stance_pairs(stance_pairs(rows, us))
