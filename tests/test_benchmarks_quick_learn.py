"""benchmarks/redial_learn.py (the learns-from-conversations track) in its quick mode, on the real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.common import DATA

ML = DATA / "movielens-small"
REDIAL = DATA / "redial"
needs_data = pytest.mark.skipif(not ((REDIAL / "dev.jsonl").exists() and (ML / "ratings.csv").exists()),
                                reason=f"ReDial/MovieLens not found under {DATA}")


def _args(tmp_path: Path, *extra: str) -> list[str]:
    return ["--movies", str(REDIAL / "movies_train_mentions.csv"), "--movielens", str(ML),
            "--cache-dir", str(tmp_path / "cache"), "--quick", *extra]


@needs_data
def test_cross_validation_quick_writes_predictions_in_the_protocol_format(tmp_path: Path) -> None:
    from benchmarks import redial_learn

    out = tmp_path / "preds.jsonl"
    m = redial_learn.main(_args(tmp_path, "--dialogs", str(REDIAL / "dev.jsonl"), "--out", str(out)))
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == int(m["turns"]) > 50
    assert set(lines[0]) == {"conversationId", "messageId", "ranked"}
    assert isinstance(lines[0]["conversationId"], str) and isinstance(lines[0]["messageId"], int)
    assert all(len(x["ranked"]) >= 50 and len(set(x["ranked"])) == len(x["ranked"]) for x in lines)
    assert m["R@50 all"] > 0.2 and m["R@10 new"] > 0.05
    assert m["targets dedup"] <= m["targets all"] and m["R@50 all-norule"] <= m["R@50 all"]


@needs_data
def test_learning_from_all_past_conversations_helps_on_other_conversations(tmp_path: Path) -> None:
    """The held-out mode: learn from one file of conversations, predict another (never the same)."""
    from benchmarks import redial_learn

    convs = (REDIAL / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    past, other = tmp_path / "past.jsonl", tmp_path / "other.jsonl"
    past.write_text("\n".join(convs[60:]) + "\n", encoding="utf-8")
    other.write_text("\n".join(convs[:60]) + "\n", encoding="utf-8")
    common = _args(tmp_path, "--train-dialogs", str(past), "--dialogs", str(other))
    learned = redial_learn.main(common)
    zero = redial_learn.main([*common, "--no-learn"])
    assert learned["turns"] == zero["turns"] > 50
    assert learned["R@10 new"] > zero["R@10 new"] and learned["R@50 dedup"] > zero["R@50 dedup"]


@needs_data
def test_the_leaky_popularity_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import redial_learn

    with pytest.raises(SystemExit):
        redial_learn.main(["--movies", str(REDIAL / "movies_with_mentions.csv"), "--quick"])
    assert "movies_train_mentions.csv" in capsys.readouterr().err


@needs_data
def test_predicting_the_conversations_it_learned_from_is_refused(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import redial_learn

    dev = str(REDIAL / "dev.jsonl")
    with pytest.raises(SystemExit):
        redial_learn.main(_args(tmp_path, "--train-dialogs", dev, "--dialogs", dev))
    assert "in both --train-dialogs and --dialogs" in capsys.readouterr().err
