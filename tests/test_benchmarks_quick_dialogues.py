"""The dialogue-suite benchmark's quick mode runs in CI so it cannot rot (figures are reported, not asserted),
and its bad arguments get a clear error, not a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_dialogue_benchmark_quick_mode_runs() -> None:
    out = subprocess.run([sys.executable, "benchmarks/dialogues.py", "--quick", "3"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["dialogues"] == 3
    assert 0 <= result["passed"] <= 3 and result["pass_rate"] == round(result["passed"] / 3, 3)
    assert sum(int(s.split("/")[1]) for s in result["per_file"].values()) == 3
    assert result["false_explanation_lines"] >= 0 and result["invented_likes"] >= 0


def test_counts_false_lines_and_invented_likes_from_the_checker_errors() -> None:
    sys.path.insert(0, str(ROOT))
    from benchmarks.dialogues import count_failures

    dialogue = {"turns": [{"say": "called a film, says 'not scary'"}, {"say": "more"}]}
    errors = [
        "turn 1 \"called a film, says 'not scary'\": only 2 items",  # the user's words are not a false line
        "turn 2 'more': Heat (1995): 'romantic' is not a genre/tag of the item",
        "turn 2 'more': Alien (1979): says 'not scary' but is tagged ['scary']",
        "turn 2 'more': Heat (1995) repeated",
        "stored: invented likes: ['m-heat-1995', 'm-alien-1979']",
    ]
    assert count_failures(dialogue, errors) == (2, 2)


@pytest.mark.parametrize("args", [["--quick", "0"], ["--file", "no_such_file.json"]])
def test_bad_arguments_get_a_clear_error(args: list[str]) -> None:
    out = subprocess.run([sys.executable, "benchmarks/dialogues.py", *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 2
    assert out.stderr.startswith("error:") and "Traceback" not in out.stderr
