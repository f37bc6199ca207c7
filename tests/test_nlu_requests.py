"""Ordinary requests the parser used to misread, one class per test, several phrasings each (the
dialogue suite, tests/dialogues/suite_phrasings.json, checks the same classes end to end). Rule/lexicon
parser on the small catalog of tests/test_nlu_parser.py: no embedding model, fast and deterministic."""

from __future__ import annotations

import pytest

from core.nlu.parser import RuleParser, build_parser
from core.nlu.types import Intent, NluContext
from core.nlu.verdicts import split_ask
from tests.test_nlu_parser import _catalog

LAST = NluContext(last_items=("alien", "heat", "up", "matrix", "emma"))


@pytest.fixture(scope="module")
def parser() -> RuleParser:
    return build_parser(_catalog(), None, now_year=2026)


# ----- verdicts on numbered picks -----

@pytest.mark.parametrize("text,refs,stance", [
    ("the first one is a favourite of mine", (0,), "liked"),
    ("number two is one of my all-time favourites", (1,), "liked"),
    ("seen the first one already", (0,), "seen"),
    ("read the last one already", (4,), "seen"),
    ("the second one isn't for me", (1,), "disliked"),
    ("the 3rd one wasn't really my thing", (2,), "disliked"),
    ("the last two are trash", (3, 4), "disliked"),
])
def test_a_verdict_on_a_numbered_pick_is_feedback(parser: RuleParser, text: str, refs: tuple[int, ...],
                                                  stance: str) -> None:
    u = parser.parse(text, LAST)
    assert (u.intent, u.refs, u.ref_stance) == (Intent.FEEDBACK, refs, stance)


@pytest.mark.parametrize("text,refs,stance", [
    ("seen the first two already, what else?", (0, 1), "seen"),
    ("already watched the first three, anything else?", (0, 1, 2), "seen"),
    ("not the first one, I've seen it. something else?", (0,), "seen"),
    ("loved the second one, more like that please", (1,), "liked"),
])
def test_a_verdict_with_an_ask_refines(parser: RuleParser, text: str, refs: tuple[int, ...], stance: str) -> None:
    u = parser.parse(text, LAST)
    assert (u.intent, u.refs, u.ref_stance) == (Intent.REFINE, refs, stance)


@pytest.mark.parametrize("text", ["the first one?", "is the second one scary?", "the third one sounds good",
                                  "tell me about the first one"])
def test_a_question_or_interest_is_no_verdict(parser: RuleParser, text: str) -> None:
    u = parser.parse(text, LAST)
    assert u.intent == Intent.ABOUT and u.ref_stance not in ("liked", "disliked", "seen")


def test_split_ask_keeps_the_statement() -> None:
    assert split_ask("seen the first two already, what else?") == ("seen the first two already,", True)
    assert split_ask("what else?") == ("what else?", False)  # nothing but the ask: the text stays
    assert split_ask("the first one is one of my favourites") == ("the first one is one of my favourites", False)
