"""Ordinary requests the parser used to misread, one class per test, several phrasings each (the
dialogue suite, tests/dialogues/suite_phrasings.json, checks the same classes end to end). Rule/lexicon
parser on the small catalog of tests/test_nlu_parser.py: no embedding model, fast and deterministic."""

from __future__ import annotations

import pytest

from core.nlu.parser import RuleParser, build_parser
from core.nlu.types import Intent, NluContext
from core.nlu.verdicts import split_ask
from core.recommend.catalog import Catalog, Item
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


# ----- refinements keep the request -----

@pytest.mark.parametrize("text,domain", [("books only", "book"), ("films instead?", "movie"),
                                         ("just movies", "movie"), ("novels please", "book")])
def test_a_domain_alone_after_a_list_refines(parser: RuleParser, text: str, domain: str) -> None:
    u = parser.parse(text, LAST)
    assert (u.intent, u.domain) == (Intent.REFINE, domain)


@pytest.mark.parametrize("text", ["even more", "yet more please", "ok, some more", "and more"])
def test_more_with_a_filler_word(parser: RuleParser, text: str) -> None:
    assert parser.parse(text, LAST).intent == Intent.MORE


@pytest.mark.parametrize("text", ["more books like that", "any more novels like that?", "films like that one"])
def test_more_like_that_is_a_request_not_a_verdict(parser: RuleParser, text: str) -> None:
    assert parser.parse(text, NluContext()).intent == Intent.RECOMMEND


@pytest.mark.parametrize("text", ["lighter", "a bit lighter", "something lighter please"])
def test_lighter_also_means_less_dark(parser: RuleParser, text: str) -> None:
    assert {"+light", "-dark", "-gory"} <= set(parser.parse(text, LAST).critiques)


# ----- an explicit year beats a relative era -----

@pytest.mark.parametrize("text,lo,hi", [("older ones please, before 1980", None, 1979),
                                        ("newer stuff, nothing before 2005", 2005, None),
                                        ("something more recent, after 2010", 2011, None)])
def test_explicit_year_beats_older_newer(parser: RuleParser, text: str, lo: int | None, hi: int | None) -> None:
    u = parser.parse(text, LAST)
    assert (u.year_min, u.year_max) == (lo, hi)
    assert not {"+old", "+recent", "-old", "-recent"} & set(u.critiques)  # no second, relative bound


@pytest.mark.parametrize("text", ["a bedtime story for a six year old", "something for my 8-year-old",
                                  "a book for a 10 year old"])
def test_an_age_is_not_an_era(parser: RuleParser, text: str) -> None:
    u = parser.parse(text, NluContext())
    assert (u.year_min, u.year_max) == (None, None)


# ----- domain words -----

def test_a_noun_naming_a_titles_version_is_not_the_request_domain(parser: RuleParser) -> None:
    u = parser.parse("I loved the Dune movie, anything similar I could read?", NluContext())
    assert [m.item_id for m in u.items] == ["dune-film"] and u.domain == "book"
    u = parser.parse("I liked the book Dune. is there a film I'd like?", NluContext())
    assert [m.item_id for m in u.items] == ["dune-book"] and u.domain == "movie"
    u = parser.parse("I loved the Dune movie, anything similar?", NluContext())
    assert u.domain == "movie"  # nothing else says a domain: the one named stands


@pytest.mark.parametrize("text,domain", [("what should i put on netflix tonight?", "movie"),
                                         ("a page turner for the beach", "book"),
                                         ("something for my kindle", "book")])
def test_domain_cues(parser: RuleParser, text: str, domain: str) -> None:
    assert parser.parse(text, NluContext()).domain == domain


# ----- exclusions and synonyms -----

@pytest.mark.parametrize("text,out", [("a sci-fi movie that isn't scary", {"scary", "horror"}),
                                      ("sci-fi but no horror", {"scary", "horror"}),
                                      ("no comedy please", {"comedy", "funny"})])
def test_an_exclusion_covers_its_synonyms(parser: RuleParser, text: str, out: set[str]) -> None:
    assert out <= set(parser.parse(text, LAST).not_genres)


def test_a_genre_the_domain_lacks_takes_its_synonyms() -> None:
    p = build_parser(_catalog(), None, now_year=2026)
    book = p.parse("a comedy book", NluContext())
    assert book.genre_groups == (("comedy", "funny"),)  # the books are tagged funny, never comedy
    film = p.parse("a comedy film", NluContext())
    assert film.genre_groups == (("comedy",),)  # films are tagged comedy: exactly that


@pytest.mark.parametrize("text", ["a horror or sci-fi movie", "horror/sci-fi please", "sci-fi, or maybe horror"])
def test_or_between_genres_is_one_choice(parser: RuleParser, text: str) -> None:
    groups = parser.parse(text, NluContext()).genre_groups
    assert len(groups) == 1 and {"horror", "sci-fi"} <= set(groups[0])


# ----- questions and help -----

@pytest.mark.parametrize("text", ["is Up sad? my kid cries easily", "is Alien scary? I scare easily",
                                  "what year did Heat come out?", "which year was Alien released?"])
def test_a_question_about_a_title_is_about_it(parser: RuleParser, text: str) -> None:
    u = parser.parse(text, NluContext())
    assert u.intent == Intent.ABOUT and not u.genres


@pytest.mark.parametrize("text", ["non fiction, but not business or self-help stuff",
                                  "nonfiction please, no self-help"])
def test_self_help_is_a_genre_not_a_call_for_help(text: str) -> None:
    books = [Item("habits", "Atomic Habits", "book", 2018, "James Clear", ("nonfiction", "self-help"), ()),
             Item("sapiens", "Sapiens", "book", 2011, "Yuval Noah Harari", ("nonfiction", "history"), ())]
    p = build_parser(Catalog([*_catalog(), *books]), None, now_year=2026)
    u = p.parse(text, NluContext())
    assert u.intent == Intent.RECOMMEND and "self-help" in u.not_genres and "nonfiction" in u.genres
    assert p.parse("help", NluContext()).intent == Intent.HELP


# ----- one opinion over a list of titles -----

def _stances(parser: RuleParser, text: str) -> dict[str, str]:
    return {m.item_id: m.stance for m in parser.parse(text, NluContext()).items}


@pytest.mark.parametrize("text,ids", [
    ("things I love: Heat, Alien and Up", ("heat", "alien", "up")),
    ("big fan of Inception and The Matrix", ("inception", "matrix")),
    ("my all-time favourites: Inception, The Matrix and Up", ("inception", "matrix", "up")),
])
def test_a_lead_opinion_covers_the_list(parser: RuleParser, text: str, ids: tuple[str, ...]) -> None:
    assert _stances(parser, text) == dict.fromkeys(ids, "liked")


@pytest.mark.parametrize("text,stance", [("watched Heat and Alien last week, both brilliant", "liked"),
                                         ("I've read Emma and Dune, both amazing", "liked"),
                                         ("saw Heat and Up, hated both of them", "disliked")])
def test_a_closing_both_covers_the_list(parser: RuleParser, text: str, stance: str) -> None:
    assert set(_stances(parser, text).values()) == {stance}


def test_a_list_member_with_words_of_its_own_keeps_them(parser: RuleParser) -> None:
    assert _stances(parser, "Heat was great and Alien was boring") == {"heat": "liked", "alien": "disliked"}
    assert _stances(parser, "I've seen Heat and Alien") == {"heat": "seen", "alien": "seen"}


# ----- requests for someone else, and for more of a kind -----

@pytest.mark.parametrize("text", ["my dad loves westerns, Heat is his favourite. what would he like?",
                                  "my mum adores romance novels, Emma is her favourite. what might she enjoy?"])
def test_what_would_they_like_is_a_request(parser: RuleParser, text: str) -> None:
    u = parser.parse(text, NluContext())
    assert u.intent == Intent.RECOMMEND and {m.stance for m in u.items} == {"others"}


@pytest.mark.parametrize("text", ["sci-fi like it", "horror like that please", "books similar to that",
                                  "Heat was brilliant, any books in that vein?"])
def test_a_kind_like_that_is_a_request(parser: RuleParser, text: str) -> None:
    assert parser.parse(text, NluContext()).intent == Intent.RECOMMEND


@pytest.mark.parametrize("text", ["I read Emma last year", "I saw Heat last year"])
def test_when_i_read_it_is_no_era(parser: RuleParser, text: str) -> None:
    u = parser.parse(text, NluContext())
    assert (u.year_min, u.year_max) == (None, None)
    assert parser.parse("a book from last year", NluContext()).year_min == 2021  # "recent": five years
    assert parser.parse("movies from the last few years", LAST).refs == ()  # "last" is no pick here


@pytest.mark.parametrize("text", ["what else have you got?", "what else ya got", "what else do you have?"])
def test_what_else_have_you_got_is_more(parser: RuleParser, text: str) -> None:
    assert parser.parse(text, LAST).intent == Intent.MORE


@pytest.mark.parametrize("text,stance", [("seen it already, next", "seen"), ("loved that one, more please", "liked")])
def test_a_verdict_on_it_with_an_ask_refines(parser: RuleParser, text: str, stance: str) -> None:
    u = parser.parse(text, LAST)
    assert (u.intent, u.ref_pronoun, u.ref_stance) == (Intent.REFINE, True, stance)
    assert parser.parse("loved it", LAST).intent == Intent.FEEDBACK  # no ask: which one is asked back


def test_a_request_moved_to_another_domain_takes_that_domains_words() -> None:
    from core.nlu.request_rules import TagFamilies

    fam = TagFamilies(_catalog())
    # The small catalog's books carry "funny", its films "comedy": the group follows the domain.
    assert fam.widen_request(["comedy"], [["comedy"]], "book") == (["comedy", "funny"], [["comedy", "funny"]])
    assert fam.widen_request(["comedy"], [["comedy"]], "movie") == (["comedy"], [["comedy"]])
    assert fam.widen_request(["comedy"], [["comedy"]], None) == (["comedy"], [["comedy"]])


def test_more_carries_no_genre_of_its_own(parser: RuleParser) -> None:
    u = parser.parse("a couple more", LAST)  # "couple" is no wish for romance
    assert (u.intent, u.genres, u.genre_groups) == (Intent.MORE, (), ())


def test_like_as_a_filler_is_no_ask(parser: RuleParser) -> None:
    u = parser.parse("#1 I have seen like ten times", LAST)
    assert (u.intent, u.refs, u.ref_stance) == (Intent.FEEDBACK, (0,), "seen")


@pytest.mark.parametrize("text,stance", [("my brother hated Inception, but I thought it was great", "liked"),
                                         ("my wife loved Heat, but I found it boring", "disliked"),
                                         ("my brother loves Inception but I haven't seen it", "others"),
                                         ("my dad loves Heat", "others")])
def test_my_own_word_after_someone_elses(parser: RuleParser, text: str, stance: str) -> None:
    assert [m.stance for m in parser.parse(text, NluContext()).items] == [stance]


@pytest.mark.parametrize("text,intent", [("is Heat violent? asking for my dad", Intent.ABOUT),
                                         ("is Heat good? recommend me something like it", Intent.RECOMMEND),
                                         ("is there a film like Heat?", Intent.RECOMMEND),
                                         ("is Dune any good?", Intent.ABOUT), ("is Heat any good for my dad?", Intent.ABOUT),
                                         ("any good thrillers?", Intent.RECOMMEND),
                                         ("are there any books like Dune?", Intent.RECOMMEND)])
def test_a_question_about_a_title_or_a_request(parser: RuleParser, text: str, intent: Intent) -> None:
    assert parser.parse(text, NluContext()).intent == intent


@pytest.mark.parametrize("text,refs,stance", [("I've watched 2 and 3", (1, 2), "seen"), ("loved 1, 2 and 5", (0, 1, 4), "liked"),
                                              ("#1 sucks", (0,), "disliked"), ("number 2 rocks", (1,), "liked"),
                                              ("the 1st and 3rd are faves", (0, 2), "liked")])
def test_more_verdict_wordings(parser: RuleParser, text: str, refs: tuple[int, ...], stance: str) -> None:
    u = parser.parse(text, LAST)
    assert (u.intent, u.refs, u.ref_stance) == (Intent.FEEDBACK, refs, stance)


@pytest.mark.parametrize("text", ["gimme more", "next batch", "show me 5 more", "five more please"])
def test_more_wordings(parser: RuleParser, text: str) -> None:
    assert parser.parse(text, LAST).intent == Intent.MORE


@pytest.mark.parametrize("text", ["can I get books instead?", "I'd rather have a book", "a book instead of a film"])
def test_instead_refines(parser: RuleParser, text: str) -> None:
    u = parser.parse(text, LAST)
    assert (u.intent, u.domain) == (Intent.REFINE, "book")


@pytest.mark.parametrize("text,lo,hi", [("from before the 90s", None, 1989), ("pre-80s horror", None, 1979),
                                        ("after the 80s", 1990, None), ("since the 90s", 1990, None),
                                        ("older, before the 2000s please", None, 1999), ("from the 90s", 1990, 1999)])
def test_a_decade_with_before_or_after_is_a_bound(parser: RuleParser, text: str, lo: int | None,
                                                  hi: int | None) -> None:
    u = parser.parse(text, LAST)
    assert (u.year_min, u.year_max) == (lo, hi) and "+old" not in u.critiques


def test_a_later_title_with_its_own_plain_words_takes_no_verdict(parser: RuleParser) -> None:
    assert _stances(parser, "I loved Heat, Alien is next on my list") == {"heat": "liked", "alien": "neutral"}
    assert _stances(parser, "I loved Heat and Inception was great too") == {"heat": "liked", "inception": "liked"}


def test_a_question_about_it_means_the_item_under_discussion(parser: RuleParser) -> None:
    assert parser.parse("is it sad?", NluContext(focus="up")).intent == Intent.ABOUT
    assert parser.parse("is it sad?", NluContext()).intent != Intent.ABOUT  # nothing under discussion
    assert parser.parse("how scary is Alien?", NluContext()).intent == Intent.ABOUT


def test_a_verb_or_noun_next_to_a_title_names_its_version(parser: RuleParser) -> None:
    u = parser.parse("I watched Dune. any books like that?", NluContext())
    assert [m.item_id for m in u.items] == ["dune-film"] and u.domain == "book"
    u = parser.parse("loved Dune the novel, what film should I see?", NluContext())
    assert [m.item_id for m in u.items] == ["dune-book"] and u.domain == "movie"


@pytest.mark.parametrize("text,stance", [("I heard Inception is brilliant", "others"),
                                         ("apparently Heat is great", "others"),
                                         ("any films as great as The Matrix?", "reference"),
                                         ("something as scary as Alien", "reference")])
def test_hearsay_and_comparisons_are_no_verdict(parser: RuleParser, text: str, stance: str) -> None:
    assert [m.stance for m in parser.parse(text, NluContext()).items] == [stance]


def test_a_question_about_it_after_a_title(parser: RuleParser) -> None:
    u = parser.parse("not sure I'd like Dune, is it slow?", NluContext())
    assert u.intent == Intent.ABOUT and [m.stance for m in u.items] != ["liked"]


@pytest.mark.parametrize("text,stance", [("I need to read Dune", "neutral"), ("I'll watch Heat tonight", "neutral"),
                                         ("I read Dune and want to watch the film", "seen"),
                                         ("I'm obsessed with Inception", "liked")])
def test_a_plan_is_no_experience(parser: RuleParser, text: str, stance: str) -> None:
    assert [m.stance for m in parser.parse(text, NluContext()).items] == [stance]


def test_a_mood_no_item_of_the_genre_has_does_not_empty_the_list() -> None:
    from core.nlu.request_rules import TagFamilies

    fam = TagFamilies(_catalog())
    # No book in the small catalog is both funny and horror: the genre stays, the mood goes unsaid.
    assert fam.soften_moods([("funny",), ("horror",)], [("funny", ("funny",))], "book") == ([("horror",)], [])
    # One film is both: the mood orders the sci-fi films (that one first) instead of filtering to it.
    one = Item("paul", "Paul", "movie", 2011, "Greg Mottola", ("sci-fi", "comedy"), ("funny",))
    few = TagFamilies(Catalog([*_catalog(), one]))
    assert few.soften_moods([("funny",), ("sci-fi",)], [("funny", ("funny",))], "movie") == ([("sci-fi",)], ["+funny"])
    # A genre word is a kind, never a mood to drop ("mystery" in "a cozy mystery").
    assert fam.soften_moods([("horror",), ("comedy",)], [("horror", ("horror",))], None)[0] == [("horror",), ("comedy",)]


def test_a_genre_a_domain_never_uses_takes_what_that_domain_calls_it() -> None:
    from core.nlu.request_rules import TagFamilies

    noir = Item("sleep", "The Big Sleep", "book", 1939, "Raymond Chandler", ("mystery",), ("noir", "detective"))
    fam = TagFamilies(Catalog([*_catalog(), noir]))
    assert fam.widen_for_domain(("crime",), "book") == ("crime", "detective", "noir", "mystery")
    assert fam.widen_for_domain(("crime",), "movie") == ("crime",)  # films are tagged crime: exactly that


@pytest.mark.parametrize("text,stance", [("number 3 was boring. any comedies?", "disliked"),
                                         ("I've read the 2nd and 4th. older ones?", "seen"),
                                         ("loved #2, got anything newer?", "liked")])
def test_a_verdict_followed_by_any_question_refines(parser: RuleParser, text: str, stance: str) -> None:
    u = parser.parse(text, LAST)
    assert (u.intent, u.ref_stance) == (Intent.REFINE, stance)


@pytest.mark.parametrize("text,domain", [("anything for my e-reader?", "book"), ("something to binge this weekend", "movie"),
                                         ("what's on tv tonight, something scary", "movie"),
                                         ("a gift from the bookstore for my dad", "book")])
def test_more_domain_cues(parser: RuleParser, text: str, domain: str) -> None:
    u = parser.parse(text, NluContext())
    assert (u.intent, u.domain) == (Intent.RECOMMEND, domain)


@pytest.mark.parametrize("text,intent", [("hated Heat, so slow. a comedy that's actually good?", Intent.RECOMMEND),
                                         ("didn't like Heat. some comedy please", Intent.RECOMMEND),
                                         ("Loved Heat. A classic!", Intent.FEEDBACK)])
def test_a_later_sentence_that_asks(parser: RuleParser, text: str, intent: Intent) -> None:
    assert parser.parse(text, NluContext()).intent == intent


@pytest.mark.parametrize("text", ["the second one is supposed to be great", "I've heard good things about the 4th",
                                  "I bet I'd love #2", "the last one might be fun"])
def test_an_expectation_about_a_pick_is_no_verdict(parser: RuleParser, text: str) -> None:
    assert parser.parse(text, LAST).ref_stance not in ("liked", "disliked", "seen")


# ----- a past-tense dislike of a genre; one opinion over titles written with their years -----

@pytest.mark.parametrize("text", [
    "I didn't like horror movies",
    "didn't enjoy horror films at all",
    "I did not like horror",
    "i didnt care for horror, something else?",
    # Japanese says the verdict last ("horror wa kirai"): the pivot puts it in front of its topic.
    "ホラーは嫌い", "ホラーが嫌いです", "ホラーは苦手", "ホラーは好きじゃない、コメディがいい",
    "我不喜欢恐怖片", "我讨厌恐怖片",
])
def test_a_dislike_of_a_genre_excludes_it(parser: RuleParser, text: str) -> None:
    u = parser.parse(text, NluContext())
    assert "horror" in u.not_genres and "horror" not in u.genres, (text, u.genres, u.not_genres)


@pytest.mark.parametrize("text", [
    "I liked Alien (1979) and Heat (1995)",
    'I liked "Alien" (1979) and "Heat" (1995)',
    'loved "Alien", "Up" and "Heat"',
])
def test_every_title_of_a_list_written_with_years_or_quotes_gets_its_opinion(parser: RuleParser, text: str) -> None:
    u = parser.parse(text, NluContext())
    assert u.items and all(m.stance == "liked" for m in u.items), [(m.item_id, m.stance) for m in u.items]
    assert {"alien", "heat"} <= {m.item_id for m in u.items}


@pytest.mark.parametrize("text,liked", [
    ("I don't like horror", False), ("hated horror films, honestly", False), ("didn't like the horror genre", False),
    ("ホラーは嫌い", False), ("我不喜欢恐怖片", False), ("I like horror", True),
])
def test_a_taste_in_a_genre_after_a_list_refines_it(parser: RuleParser, text: str, liked: bool) -> None:
    # Not a verdict on a pick (nothing shown is named): the running request changes.
    u = parser.parse(text, LAST)
    assert u.intent == Intent.REFINE, (text, u.intent)
    assert ("horror" in u.genres) is liked and ("horror" in u.not_genres) is not liked


@pytest.mark.parametrize("text", ["hated it, too much horror", "loved the first one", "loved it"])
def test_a_verdict_on_something_shown_stays_feedback(parser: RuleParser, text: str) -> None:
    assert parser.parse(text, LAST).intent == Intent.FEEDBACK


@pytest.mark.parametrize("text,lang", [("no me gustan las de terror", "es"), ("je n'aime pas les films d'horreur", "fr"),
                                       ("ich mag keine Horrorfilme", "de"), ("ich hasse Horror", "de")])
def test_a_dislike_of_a_genre_in_spanish_french_or_german_is_read_in_that_language(
        parser: RuleParser, text: str, lang: str) -> None:
    # After an English turn too: the sentence itself says its language, so the reply follows it.
    u = parser.parse(text, NluContext(language="en", last_items=LAST.last_items))
    assert (u.language, u.intent) == (lang, Intent.REFINE) and "horror" in u.not_genres, (u.language, u.intent)


@pytest.mark.parametrize("text", ["not too scary horror", "not too scary horror please", "あまり怖くないホラー"])
def test_not_too_x_softens_only_x_and_keeps_the_genre_asked_for(parser: RuleParser, text: str) -> None:
    u = parser.parse(text, NluContext())
    assert "horror" in u.genres and "horror" not in u.not_genres and "-scary" in u.critiques, (u.genres, u.not_genres)


def test_nothing_too_x_or_y_still_softens_or_excludes_both(parser: RuleParser) -> None:
    u = parser.parse("nothing too dark or violent", NluContext())
    assert "violent" not in u.genres and "-dark" in u.critiques


@pytest.mark.parametrize("text,critique,excluded", [("もう少しグロくないのがいい", "-gory", None),
                                                   ("もうちょっと暗くないのある?", "-dark", None),
                                                   ("怖くない映画がいい", None, "scary")])
def test_a_japanese_adjective_negated_with_kunai(parser: RuleParser, text: str, critique: str | None,
                                                 excluded: str | None) -> None:
    # "グロくない" is not gory; "もう少し" (a bit more) before it asks for less, never for more.
    u = parser.parse(text, NluContext(language="ja", last_items=LAST.last_items))
    assert not any(c.startswith("+") for c in u.critiques), u.critiques
    assert critique is None or critique in u.critiques
    assert excluded is None or excluded in u.not_genres


def test_not_so_much_x_is_a_plain_negation(parser: RuleParser) -> None:
    assert "horror" in parser.parse("not so much horror please", NluContext()).not_genres
    u = parser.parse("I liked Heat, not so much Alien", NluContext())
    assert {m.item_id: m.stance for m in u.items}.get("alien") in ("disliked", "rejected"), u.items
