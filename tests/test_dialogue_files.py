"""The scripted dialogues (tests/dialogues/*.json) only name items, genres and tags the bundled catalog has:
an expectation on a tag no item carries, or on an id that does not exist, would pass or fail for nothing."""

from __future__ import annotations

from pathlib import Path

from core.recommend.catalog import bundled_catalog
from tests.dialogue_checks import load_dialogues

DIALOGUES = load_dialogues()
ROOT = Path(__file__).resolve().parent.parent
TURN_KEYS = {"list", "min_items", "domain", "has_any", "has_all", "lacks", "year_min", "year_max", "exclude", "fresh",
             "text_has", "text_not"}
STORED_KEYS = {"likes", "dislikes", "seen", "no_pref", "only", "n_likes", "n_dislikes", "n_seen"}


def test_every_id_tag_and_key_a_dialogue_names_exists() -> None:
    catalog = bundled_catalog()
    ids = {it.item_id for it in catalog}
    vocab = {t.lower() for it in catalog for t in (*it.genres, *it.tags)}
    problems: list[str] = []
    for d in DIALOGUES:
        stored = d.get("stored", {})
        problems += [f"{d['name']}: stored key {k!r}" for k in set(stored) - STORED_KEYS]
        problems += [f"{d['name']}: unknown id {i}" for k in ("likes", "dislikes", "seen", "no_pref")
                     for i in stored.get(k, []) if i not in ids]
        for turn in d["turns"]:
            e = turn.get("expect", {})
            problems += [f"{d['name']}: turn key {k!r}" for k in set(e) - TURN_KEYS]
            problems += [f"{d['name']}: unknown id {i}" for i in e.get("exclude", []) if i not in ids]
            tags = [*e.get("has_any", []), *e.get("lacks", []), *(t for g in e.get("has_all", []) for t in g)]
            problems += [f"{d['name']}: no item is tagged {t!r}" for t in tags if t not in vocab]
            if e.get("domain") not in (None, "movie", "book"):
                problems.append(f"{d['name']}: domain {e['domain']!r}")
        if "known_failure" in d and not str(d["known_failure"]).strip():
            problems.append(f"{d['name']}: known_failure without a diagnosis")
    assert not problems, "\n".join(problems)
