"""The recommender benchmarks in --quick mode (CI): they run end to end on the real data and their
numbers are in a sane range. Full runs and their results: docs/bench_recommend.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.common import DATA

ML = DATA / "movielens-small"
REDIAL = DATA / "redial"

# Skip only when the shared data folder is absent altogether; when it is there, a missing or renamed
# file makes the benchmark fail loudly instead of the test skipping silently.
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"evaluation data not found at {DATA}")
needs_ml = needs_redial = needs_data


@needs_ml
def test_movielens_quick(tmp_path: Path) -> None:
    from benchmarks import movielens

    report = movielens.main(["--movielens", str(ML), "--quick", "--json", str(tmp_path / "ml.json")])
    test = report["test"]
    assert set(test) == {"popularity", "ItemKNN", "ALS (implicit)", "EASE", "recbot"}
    for name, m in test.items():
        assert 0.0 < m["recall@10"] < 1.0 and 0.0 < m["ndcg@10"] < 1.0, name
    # Personalised models beat popularity even on the 100-user slice; recbot is at least as good as EASE.
    assert test["EASE"]["ndcg@10"] > test["popularity"]["ndcg@10"]
    assert test["recbot"]["recall@10"] > test["popularity"]["recall@10"]
    saved = json.loads((tmp_path / "ml.json").read_text())
    assert saved["quick"] is True
    # Quick mode still runs the validation search for EASE's lambda, widened until its optimum is interior.
    lam = saved["search"]["EASE"]["lam"]
    assert lam["interior"] and lam["tried"][0] < lam["best"] < lam["tried"][-1]
    assert saved["chosen"]["EASE"]["lam"] == lam["best"]
    margin = saved["margin_vs_best_baseline"]["ndcg@10"]
    assert margin["se"] > 0 and abs(margin["diff_over_se"] - margin["diff"] / margin["se"]) < 1e-9


def test_movielens_search_widens_an_axis_until_the_optimum_is_interior() -> None:
    from benchmarks.tuning import Axis, search

    calls: list[float] = []

    def score(p: dict) -> tuple[float]:
        calls.append(p["x"])
        return (-abs(p["x"] - 7.0),)

    best, rec = search([Axis("x", (1.0, 2.0, 4.0), 0.5, 100.0)], {"x": 2.0}, score)
    assert best == {"x": 8.0} and rec["x"]["tried"] == [1.0, 2.0, 4.0, 8.0, 16.0] and rec["x"]["interior"]
    assert len(calls) == len(set(calls))  # every setting is evaluated once
    # A hard limit stops the widening, and the record says the optimum is not interior.
    best, rec = search([Axis("x", (1.0, 2.0, 4.0), 0.5, 4.0)], {"x": 2.0}, score)
    assert best == {"x": 4.0} and not rec["x"]["interior"] and "limit" in rec["x"]["note"]


@needs_ml
@needs_redial
def test_redial_quick_writes_predictions_in_the_protocol_format(tmp_path: Path) -> None:
    from benchmarks import redial

    out = tmp_path / "preds.jsonl"
    m = redial.main(["--dialogs", str(REDIAL / "dev.jsonl"), "--movies", str(REDIAL / "movies_train_mentions.csv"),
                     "--movielens", str(ML), "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--quick"])
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == int(m["turns"]) > 50
    first = lines[0]
    assert set(first) == {"conversationId", "messageId", "ranked"}
    assert isinstance(first["conversationId"], str) and isinstance(first["messageId"], int)
    assert all(len(x["ranked"]) >= 50 and len(set(x["ranked"])) == len(x["ranked"]) for x in lines)
    # Far above chance (50 / 6924 = 0.007) even without content embeddings.
    assert m["R@50 all"] > 0.2 and m["R@10 new"] > 0.05
    assert m["R@1 all"] <= m["R@10 all"] <= m["R@50 all"]
    # The bot's parser read the conversations and found nearly every seeker mention by its title.
    assert m["parser_found_mentions"] > 0.9
    # Re-mentions are reported apart: "dedup" drops them (the same set as "new"), and "all" without the
    # repeat-earlier-movies rule is what the engine alone recommends.
    assert m["targets dedup"] == m["targets new"] < m["targets all"] == m["targets all-norule"]
    assert m["R@50 all-norule"] < m["R@50 all"]


@needs_redial
def test_redial_refuses_the_whole_dataset_mention_counts(tmp_path: Path) -> None:
    from benchmarks import redial

    with pytest.raises(SystemExit, match="test dialogues"):
        redial.main(["--movies", str(REDIAL / "movies_with_mentions.csv"), "--out", str(tmp_path / "p.jsonl"),
                     "--quick"])


@needs_redial
def test_redial_legacy_understanding_is_an_ablation_that_still_runs(tmp_path: Path) -> None:
    from benchmarks import redial

    m = redial.main(["--out", str(tmp_path / "p.jsonl"), "--quick", "--understanding", "legacy", "--limit", "10"])
    assert "parser_found_mentions" not in m and m["targets new"] > 0


@needs_redial
def test_redial_probe_quick_reports_contexts_and_the_reranker_check(tmp_path: Path) -> None:
    from benchmarks import redial_probe

    out = redial_probe.main(["--quick", "--json", str(tmp_path / "probe.json")])
    ctx = out["by_context"]
    assert {"a liked film named", "target maps to MovieLens"} <= set(ctx)
    assert sum(v["targets"] for k, v in ctx.items() if k.startswith("target")) == sum(
        v["targets"] for k, v in ctx.items() if not k.startswith("target"))  # every target counted once per view
    assert len(out["reranker"]) == 10 and all(0.0 <= r["reranked"] <= 1.0 for r in out["reranker"])
    assert "trees depth 3, trained on half a" in {r["model"] for r in out["reranker"]}
    years = {r["year"]: r for r in out["drift"]["years"]}
    assert "2018+" in years and sum(r["targets"] for r in years.values()) == sum(v["targets"] for k, v in ctx.items()
                                                                                if k.startswith("target"))
    assert json.loads((tmp_path / "probe.json").read_text())["reranker"] == out["reranker"]


def test_speed_quick(tmp_path: Path) -> None:
    from benchmarks import speed

    out = speed.main(["--quick", "--json", str(tmp_path / "speed.json")])
    assert out["items"] == 10_000 and out["mean_results"] == 10.0 and out["relaxed"] == 0
    assert out["p95_ms"] > 0 and out["vectors_mb"] > 0  # timings are reported, not asserted


def test_redial_nlu_reader_turns_the_bots_understanding_into_the_request() -> None:
    from benchmarks.redial_context import ContextParams, NluReader, term_counts
    from benchmarks.redial_data import turns
    from core.nlu.parser import build_parser
    from core.recommend.catalog import Catalog, Item

    films = [("1", "Jaws", 1975, ("horror", "thriller"), ("shark",)), ("2", "Alien", 1979, ("horror", "sci-fi"), ()),
             ("3", "Heat", 1995, ("crime",), ("good",)), ("4", "The Thing", 1982, ("horror",), ())]
    cat = Catalog([Item(item_id=i, title=t, year=y, genres=g, tags=tg) for i, t, y, g, tg in films])
    conv = {"conversationId": "c1", "initiatorWorkerId": 1, "respondentWorkerId": 2, "messages": [
        {"senderWorkerId": 1, "messageId": 10, "text": "I hated @1 but I loved @2. Any good horror from the 80s?"},
        {"senderWorkerId": 2, "messageId": 11, "text": "Have you seen @3 ?"},
        {"senderWorkerId": 1, "messageId": 12, "text": "Yes, I loved it!"},
        {"senderWorkerId": 2, "messageId": 13, "text": "Then try @4"},
    ]}
    names = {i: f"{t} ({y})" for i, t, y, _, _ in films}
    cp = ContextParams(use_years=True)
    reader = NluReader(build_parser(cat, None, now_year=2018), names, cp, term_counts(cat))
    tl = list(turns(conv))
    reader.prepare(tl)
    req = reader.request(tl[-1], set(names), k=10)
    value = {s.item_id: s.value for s in req.signals}
    assert value["1"] == cp.seeker_dislike and value["2"] == cp.seeker_like  # per-mention sentiment
    assert value["3"] > cp.rec_prior  # the recommender's suggestion, moved up by the seeker's happy reply
    assert "~+horror" in req.critiques  # a leaning: weighs the blend, never filters or reorders the list
    assert not any(c.endswith("good") for c in req.critiques)  # a one-film tag is not a request
    assert (req.constraints.year_min, req.constraints.year_max) == (1980, 1989)
    assert reader.found == reader.mentions == 2


def test_redial_dialog_reader_names_the_bad_line(tmp_path: Path) -> None:
    from benchmarks.redial_data import read_dialogs

    f = tmp_path / "d.jsonl"
    f.write_text('{"conversationId": "1", "messages": []}\n\n{"conversationId": "2", "messages": [\n', encoding="utf-8")
    with pytest.raises(SystemExit, match=r"d.jsonl:3: not valid JSON"):
        list(read_dialogs(f))
    f.write_text('["not", "a", "conversation"]\n', encoding="utf-8")
    with pytest.raises(SystemExit, match=r"d.jsonl:1: expected a conversation object"):
        list(read_dialogs(f))
