"""The fact gate on the false statements people saw, on true ones, and on the hand-labelled real outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.generation.base import GenerationRequest, GroundedItem
from core.generation.grounding import Grounder

EARTHSEA = GroundedItem("A Wizard of Earthsea", 1968, "a magic fantasy by Ursula K. Le Guin", "Ursula K. Le Guin",
                        "A gifted, arrogant boy on an island of wizards unleashes a shadow he must hunt down.", "book",
                        ("fantasy", "magic", "coming-of-age"))
COLOUR = GroundedItem("The Colour of Magic", 1983, "a funny fantasy by Terry Pratchett", "Terry Pratchett",
                      "An inept wizard guides the Discworld's first tourist across a flat world on a turtle.", "book",
                      ("fantasy", "humor", "funny"))
ORANGE = GroundedItem("A Clockwork Orange", 1971, "a violent dystopia by Stanley Kubrick", "Stanley Kubrick",
                      "A teenage thug who loves Beethoven volunteers for an experimental conditioning treatment.",
                      "movie", ("sci-fi", "dystopia", "violent"))
ENCOUNTERS = GroundedItem("Close Encounters of the Third Kind", 1977, "an aliens sci-fi by Steven Spielberg",
                          "Steven Spielberg", "An electrical worker becomes obsessed with a mysterious shape after a UFO.",
                          "movie", ("sci-fi", "aliens"))
LAMBS = GroundedItem("The Silence of the Lambs", 1991, "a scary thriller by Jonathan Demme", "Jonathan Demme",
                     "An FBI trainee seeks the help of an imprisoned cannibal psychiatrist to catch a serial killer.",
                     "movie", ("thriller", "horror", "scary", "psychological"))
TITANIC = GroundedItem("Titanic", 1997, "a romantic epic by James Cameron", "James Cameron",
                       "A poor artist and an upper-class young woman fall in love aboard the doomed ocean liner.",
                       "movie", ("drama", "romance", "tearjerker"))
HEAT = GroundedItem("Heat", 1995, "a suspenseful crime epic by Michael Mann", "Michael Mann",
                    "A meticulous thief plans one last score while an obsessive detective closes in.", "movie",
                    ("crime", "thriller", "heist", "suspenseful"))


def gate(user: str, *items: GroundedItem) -> Grounder:
    return Grounder(GenerationRequest(kind="recommend", user_text=user, items=items))


@pytest.mark.parametrize(("user", "items", "sentence"), [
    ("a fantasy book", (EARTHSEA, COLOUR), "This pick is A Wizard of Earthsea by Terry Pratchett, a funny fantasy."),
    ("a sci-fi movie made before 1980", (ORANGE, ENCOUNTERS), "A Clockwork Orange is a Spielberg film about a thug."),
    ("a scary movie", (LAMBS,), "The Silence of the Lambs is a monster survival horror by John Krasinski."),
    ("a sci-fi movie made before 1980", (ORANGE, ENCOUNTERS),
     "In summary, you provide some great suggestions for creative storytelling!"),
    ("a romantic movie", (TITANIC,), "In this box containing the 5 picks I'm given, you can choose the favorite "
                                     "product you're offered!"),
    ("a sad movie", (TITANIC,), "Titanic is a tragic tale of a high-society couple, and it's a big disappointment."),
    ("a funny book", (COLOUR,), "The Colour of Magic is a fun dickwagon dogger about a wizard."),
    ("a heist movie", (HEAT,), "Heat is a heist classic from the 80s starring Al Pacino."),
    ("a heist movie", (HEAT,), "Heat has three heists and a famous shootout."),
])
def test_false_or_off_request_sentences_are_dropped(user: str, items: tuple[GroundedItem, ...], sentence: str) -> None:
    g = gate(user, *items)
    assert g.check(sentence) is None, g.reasons(sentence)


@pytest.mark.parametrize(("user", "items", "sentence"), [
    ("a heist movie from the 90s", (HEAT,), "Heat is Michael Mann's suspenseful crime epic from 1995."),
    ("a fantasy book", (EARTHSEA, COLOUR), "A Wizard of Earthsea by Ursula K. Le Guin follows a gifted boy wizard."),
    ("a fantasy book", (EARTHSEA, COLOUR), "Pratchett's The Colour of Magic is a funny fantasy about an inept wizard."),
    ("a sci-fi movie made before 1980", (ORANGE, ENCOUNTERS),
     "Close Encounters of the Third Kind is Spielberg's 1977 film about a mysterious UFO."),
])
def test_true_sentences_stay(user: str, items: tuple[GroundedItem, ...], sentence: str) -> None:
    g = gate(user, *items)
    assert g.check(sentence) == sentence, g.reasons(sentence)


def test_profanity_list_does_not_ban_plot_words() -> None:
    kill = GroundedItem("To Kill a Mockingbird", 1962, "a courtroom drama", "Robert Mulligan",
                        "A principled lawyer defends a man falsely accused; a story about justice and prejudice.",
                        "movie", ("drama", "courtroom"))
    g = gate("a courtroom drama", kill)
    sentence = "To Kill a Mockingbird is a courtroom drama about justice and prejudice."
    assert g.check(sentence) == sentence, g.reasons(sentence)
    assert g.check("To Kill a Mockingbird is a fucking courtroom drama.") is None


def test_gate_on_real_labelled_outputs() -> None:
    """The 210 hand-labelled SmolLM2 sentences: the gate must keep passing almost nothing that is false."""
    from benchmarks.gate import request_of

    rows = [json.loads(line) for line in
            (Path(__file__).parent / "data" / "gate_labelled.jsonl").read_text(encoding="utf-8").splitlines()]
    passed_false = passed_true = labelled_true = 0
    for row in rows:
        g = Grounder(request_of(row))
        for s in row["sentences"]:
            kept = g.check(s["text"]) is not None
            passed_false += kept and not s["ok"]
            passed_true += kept and s["ok"]
            labelled_true += s["ok"]
    assert sum(len(r["sentences"]) for r in rows) >= 200 and labelled_true >= 3
    assert passed_false <= 3  # measured: 3 of 207 false sentences pass (docs/generation.md)
    assert passed_true >= 2
