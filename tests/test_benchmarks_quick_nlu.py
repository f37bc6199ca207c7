"""The understanding benchmarks in --quick mode (CI): they run end to end and report sane figures.
Full runs and their results: docs/bench_nlu.md."""

from __future__ import annotations

import pytest

from benchmarks.common import DATA


def test_nlu_benchmark_quick_mode_scores_the_labelled_set() -> None:
    from benchmarks import nlu

    out = nlu.main(["--quick", "--no-embed"])
    lab = out["labelled/lexical (no embedder)"]
    assert lab["n"] >= 300  # the whole labelled set, not a sample
    # Floors well below docs/bench_nlu.md's figures: a broken parser fails, noise does not.
    assert lab["intent_accuracy"] > 0.8 and lab["slot_f1"] > 0.8
    assert "held-out/lexical (no embedder)" not in out  # quick mode skips the held-out set
    cost = out["cost/lexical (no embedder)"]
    assert cost["batched_ms"] > 0 and cost["unbatched_ms"] > 0


@pytest.mark.skipif(not DATA.is_dir(), reason=f"evaluation data not found at {DATA}")
def test_redial_sentiment_quick_mode_beats_the_majority_class_on_macro_f1() -> None:
    from benchmarks import redial_sentiment

    out = redial_sentiment.main(["--quick"])
    assert set(out) == {"majority", "parser", "spans"}
    for mode in ("parser", "spans"):
        assert 0.5 < out[mode]["accuracy"] <= 1.0 and out[mode]["covered"] > 0.3, mode
        assert out[mode]["macro_f1"] > out["majority"]["macro_f1"], mode
