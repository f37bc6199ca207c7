"""Checks for scripted dialogues (tests/dialogues/*.json): list contents, stored preferences, and the
truth of every explanation line against the catalog and the user's stored likes.

A dialogue file holds a list of dialogues:
  {"name": ..., "turns": [{"say": TEXT, "expect": {...}}, ...], "stored": {...}}
Turn expectations (all optional):
  list: true/false (a list is / is not shown), min_items, domain ("movie"/"book"),
  has_any: [tags]          every item carries at least one of these genres/tags
  has_all: [[a, b], [c]]   every item carries one of each group
  lacks: [tags]            no item carries any of these
  year_min / year_max      every item's year within
  exclude: [item ids]      none of these listed
  fresh: true              nothing listed earlier in this dialogue comes back
  text_has / text_not: [substrings, case-insensitive] of the whole reply text
Stored (checked on the export after the last turn; values by item id):
  likes / dislikes / seen: [ids] that must be stored with that sign (seen: value 0, kind "seen")
  no_pref: [ids] with no stated row at all;  only: true -> no other liked item is stored
  n_likes / n_dislikes / n_seen: how many items (unknown ids: "the second one") end up so stored
Every list line must read "N. Title (Year) — reason" and is checked by `explanation_errors`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.recommend.catalog import Catalog, Item
from core.recommend.filters import CRITIQUE_TAGS

DIALOGUE_DIR = Path(__file__).parent / "dialogues"
LINE = re.compile(r"^\s*(\d+)\. (.+) \((\d{4})\) — (.+)$")
NOUNS = {"film": "movie", "book": "book"}


def load_dialogues(directory: Path = DIALOGUE_DIR) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.json")):
        for d in json.loads(path.read_text(encoding="utf-8")):
            d.setdefault("file", path.name)
            out.append(d)
    return out


def _facts(item: Item) -> set[str]:
    return {t.lower() for t in (*item.genres, *item.tags)}


def _vocabulary(catalog: Catalog) -> set[str]:
    return {t.lower() for it in catalog for t in (*it.genres, *it.tags)}


def explanation_errors(catalog: Catalog, item: Item, reason: str, liked_labels: set[str]) -> list[str]:
    """Claims in one list line's reason that are not true of its item or of the user's stored likes."""
    errors: list[str] = []
    vocab = _vocabulary(catalog)
    facts = _facts(item)
    if "asked for something" in reason:
        errors.append("claims what was asked instead of a fact")
    for part in (p.strip() for p in reason.split(";")):
        m = re.match(r"^because you (?:liked|rated highly) (.+)$", part)
        if m:
            if m.group(1) not in liked_labels:
                errors.append(f"'{m.group(1)}' is not a stored like")
            continue
        m = re.match(r"^not (.+)$", part)
        if m:
            tags = {t.strip() for t in m.group(1).split(" or ")}
            tags |= {x for t in tags for x in CRITIQUE_TAGS.get(t, ())}
            if facts & tags:
                errors.append(f"says '{part}' but is tagged {sorted(facts & tags)}")
            continue
        m = re.match(r"^(.+), as you asked$", part)
        if m:
            if m.group(1).lower() not in facts:
                errors.append(f"says '{part}' without the tag")
            continue
        m = re.match(r"^like (.+ \(\d{4}\)): also (.+)$", part)
        if m:
            other = next((x for x in catalog if x.label() == m.group(1)), None)
            shared = {w.strip() for w in m.group(2).split(",")}
            if other is None or not shared <= facts or not shared <= _facts(other):
                errors.append(f"'{part}' names something not shared")
            continue
        # The portrait: "a dark, violent crime film by Michael Mann[, a popular pick to start with]",
        # optionally followed by the start of the item's own description ("...: A heist crew ...").
        portrait = part.split(", a popular pick")[0]
        lead = (item.description or "")[:40]
        if lead and lead in portrait:
            portrait = portrait[: portrait.index(lead)].rstrip(" .:;—-")
        by = re.search(r" by (.+)$", portrait)
        if by:
            named = {n.strip() for n in re.split(r",| and ", by.group(1)) if n.strip()}
            credited = {n.strip() for n in re.split(r",| and ", item.creator or "") if n.strip()}
            if not item.creator or not named <= credited:
                errors.append(f"creator '{by.group(1)}' is not {item.creator!r}")
            portrait = portrait[: by.start()]
        words = portrait.replace(",", " ").split()
        noun = words[-1] if words else ""
        if noun in NOUNS and NOUNS[noun] != item.domain:
            errors.append(f"called a {noun} but is a {item.domain}")
        rest = " ".join(words[:-1]).lower() if noun in NOUNS else " ".join(words).lower()
        for term in sorted(vocab, key=len, reverse=True):  # "historical fiction" before "fiction"
            pat = rf"(?<![\w-]){re.escape(term)}(?![\w-])"
            if re.search(pat, rest):
                # A multi-word genre backs its leading adjective ("historical fiction" -> "historical").
                if term not in facts and not any(f.startswith(term + " ") for f in facts):
                    errors.append(f"'{term}' is not a genre/tag of the item")
                rest = re.sub(pat, " ", rest)
    return errors


@dataclass
class Shown:
    item_id: str
    title: str
    year: int | None
    reason: str


@dataclass
class Run:
    """What one dialogue produced, turn by turn."""

    replies: list[list[Any]] = field(default_factory=list)  # core.events.Reply per turn
    shown: list[list[Shown]] = field(default_factory=list)


def check_turn(catalog: Catalog, expect: dict[str, Any], replies: list[Any], earlier: set[str],
               liked_labels: set[str]) -> list[str]:
    errors: list[str] = []
    text = "\n".join(r.text for r in replies)
    items = [v for r in replies for v in r.items]
    lines = [ln for ln in text.splitlines() if re.match(r"^\s*\d+\. ", ln)]
    if len(lines) != len(items):
        errors.append(f"{len(lines)} list lines for {len(items)} items")
    titles = [i.title.lower() for i in items]
    if len(set(titles)) != len(titles):
        errors.append(f"a title twice in one list: {titles}")
    for ln, v in zip(lines, items, strict=False):
        m = LINE.match(ln)
        if not m:
            errors.append(f"list line not 'N. Title (Year) — reason': {ln!r}")
            continue
        it = catalog.get(v.item_id)
        assert it is not None
        for e in explanation_errors(catalog, it, m.group(4), liked_labels):
            errors.append(f"{it.label()}: {e}")
    if "list" in expect and bool(items) != bool(expect["list"]):
        errors.append(f"expected list={expect['list']}, got {len(items)} items")
    if len(items) < expect.get("min_items", 0):
        errors.append(f"only {len(items)} items")
    for v in items:
        it = catalog.get(v.item_id)
        assert it is not None
        facts = _facts(it)
        if expect.get("domain") and it.domain != expect["domain"]:
            errors.append(f"{it.label()} is a {it.domain}")
        if expect.get("has_any") and not facts & set(expect["has_any"]):
            errors.append(f"{it.label()} has none of {expect['has_any']}")
        for group in expect.get("has_all", []):
            if not facts & set(group):
                errors.append(f"{it.label()} has none of {group}")
        if facts & set(expect.get("lacks", [])):
            errors.append(f"{it.label()} has {sorted(facts & set(expect['lacks']))}")
        if expect.get("year_min") and not (it.year and it.year >= expect["year_min"]):
            errors.append(f"{it.label()} before {expect['year_min']}")
        if expect.get("year_max") and not (it.year and it.year <= expect["year_max"]):
            errors.append(f"{it.label()} after {expect['year_max']}")
        if it.item_id in expect.get("exclude", []):
            errors.append(f"{it.label()} was to be excluded")
        if expect.get("fresh") and it.item_id in earlier:
            errors.append(f"{it.label()} repeated")
    low = text.lower()
    errors += [f"reply lacks {s!r}" for s in expect.get("text_has", []) if s.lower() not in low]
    errors += [f"reply has {s!r}" for s in expect.get("text_not", []) if s.lower() in low]
    return errors


def stated_rows(export: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in export.get("preferences", []) if p["kind"] in ("mention", "seen")]


def check_stored(expect: dict[str, Any], export: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    totals: dict[str, float] = {}
    kinds: dict[str, set[str]] = {}
    for p in stated_rows(export):
        totals[p["item_id"]] = totals.get(p["item_id"], 0.0) + float(p["value"])
        kinds.setdefault(p["item_id"], set()).add(p["kind"])
        if not p.get("evidence"):
            errors.append(f"stored {p['item_id']} without evidence")
    for iid in expect.get("likes", []):
        if totals.get(iid, 0.0) <= 0:
            errors.append(f"{iid} not stored as liked")
    for iid in expect.get("dislikes", []):
        if totals.get(iid, 0.0) >= 0:
            errors.append(f"{iid} not stored as disliked")
    for iid in expect.get("seen", []):
        if "seen" not in kinds.get(iid, set()) or totals.get(iid, 0.0) > 0:
            errors.append(f"{iid} not stored as seen")
    for iid in expect.get("no_pref", []):
        if iid in totals:
            errors.append(f"{iid} stored ({totals[iid]}) though never stated")
    for key, test in (("n_likes", lambda v: v > 0), ("n_dislikes", lambda v: v < 0)):
        if key in expect and sum(test(v) for v in totals.values()) != expect[key]:
            errors.append(f"{key}: expected {expect[key]}, stored {totals}")
    if "n_seen" in expect and sum("seen" in k for k in kinds.values()) != expect["n_seen"]:
        errors.append(f"n_seen: expected {expect['n_seen']}, stored {kinds}")
    if expect.get("only"):
        allowed = set(expect.get("likes", []))
        extra = [i for i, v in totals.items() if v > 0 and i not in allowed]
        if extra:
            errors.append(f"invented likes: {extra}")
    return errors
