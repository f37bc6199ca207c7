"""Yes/no questions about one item's character are answered from its own tags (core/item_answers.py)."""

from __future__ import annotations

import pytest

from core.item_answers import quality_answer
from core.recommend.catalog import Item

COCO = Item("coco", "Coco", "movie", 2017, "Lee Unkrich", ("animation", "family"), ("tearjerker", "music"))


@pytest.mark.parametrize("question,answer", [
    ("is Coco sad? my kid cries easily", "Yes: Coco is tagged tearjerker."),
    ("would Coco be ok for kids?", "Yes: Coco is tagged family."),
    ("is Coco scary?", "Not as far as I know: nothing in Coco's genres or tags says scary or horror."),
    ("Coco - is it sad?", "Yes: Coco is tagged tearjerker."),  # the question need not open the message
    ("what is Coco about?", ""),  # no yes/no question
    ("is Coco long?", ""),  # no quality the tags speak to: no claim either way
])
def test_the_answer_comes_from_the_tags(question: str, answer: str) -> None:
    assert quality_answer(COCO, question, "en") == answer


def test_how_questions_get_the_facts_without_yes_or_no() -> None:
    assert quality_answer(COCO, "how sad is Coco?", "en") == "Coco is tagged tearjerker."
    assert quality_answer(COCO, "how scary is Coco?", "en") == "Nothing in Coco's genres or tags says scary or horror."
