"""What the understanding layer returns: one intent and the slots of one message."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Intent(StrEnum):
    GREET = "greet"  # hello, thanks, small talk
    RECOMMEND = "recommend"  # a new request ("a funny movie from the 80s")
    REFINE = "refine"  # critique of the last list ("darker", "not that one", "more like the second")
    MORE = "more"  # "more", "something else", "others?"
    WHY = "why"  # "why that one?", "why did you pick Heat?"
    ABOUT = "about"  # "what is Heat about?"
    FEEDBACK = "feedback"  # "loved it", "already seen it", "Alien was great"
    PREFS = "prefs"  # "what do you know about me", "show my preferences"
    FORGET = "forget"  # "forget me", "delete my data"
    SUBSCRIBE = "subscribe"  # digest subscribe
    UNSUBSCRIBE = "unsubscribe"
    HISTORY = "history"  # "what did you recommend before?"
    RESET = "reset"  # "start over"
    HELP = "help"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ItemMention:
    item_id: str
    surface: str  # the text that matched
    score: float  # match confidence 0..100
    sentiment: float = 0.0  # -1..1, scoped to the clause around the mention
    # Whose opinion, and whether it is one (core/nlu/stance.py): only "liked"/"disliked"/"seen" from
    # the speaker may be stored as a preference; "reference" ("something like X") anchors a request.
    stance: str = "neutral"


@dataclass(frozen=True, slots=True)
class Understanding:
    intent: Intent
    confidence: float = 1.0
    items: tuple[ItemMention, ...] = ()
    genres: tuple[str, ...] = ()  # wanted genres/tags/moods (catalog vocabulary)
    not_genres: tuple[str, ...] = ()  # "no horror"
    # The wanted genres grouped by the words that asked for them: every group must match ("a funny sci-fi
    # movie" = (comedy|funny) AND (sci-fi)). Lexicon/vocabulary hits only; embedding guesses stay in
    # `genres`, which the recommender ORs and uses when the groups leave nothing.
    genre_groups: tuple[tuple[str, ...], ...] = ()
    # One person each, spelled as in Item.creator ("Joel Coen" for "Joel Coen, Ethan Coen"): match by
    # case-insensitive containment.
    creators: tuple[str, ...] = ()
    not_creators: tuple[str, ...] = ()  # "anything but Nolan"
    year_min: int | None = None
    year_max: int | None = None
    domain: str | None = None  # "movie", "book", ... when said
    # Anaphora against the last list: 0-based positions ("the second one" -> (1,)), or all of it.
    refs: tuple[int, ...] = ()
    refs_all: bool = False
    reject_refs: bool = False  # "not that one" / "not those": refs are rejected
    # The refs came from a bare "it"/"that one"/"this book" (no ordinal): the item under discussion
    # (the one just described) is meant when there is one, else the refs above.
    ref_pronoun: bool = False
    ref_stance: str = "neutral"  # the speaker's stance toward what the refs point at (stance.Stance)
    # Words that only resemble a title ("about aliens" is not Aliens): item ids left out of `items`.
    resembles: tuple[str, ...] = ()
    # Soft wishes relative to what was shown, as a sign and a normalized adjective: "+dark" (more of
    # it: "darker"), "-gory" (less of it: "less gory", "not too gory", "too gory"). Comparatives are
    # reduced to their base ("funnier" -> "+funny", "newer" -> "+recent", "shorter" -> "+short"); a few
    # nouns become adjectives ("less violence" -> "-violent"). A plain "not <genre>" is a hard
    # exclusion in not_genres instead, never a critique.
    critiques: tuple[str, ...] = ()
    sentiment: float = 0.0  # whole-message sentiment, -1..1
    frustrated: bool = False  # "these are all bad"
    language: str = "en"
    query_text: str = ""  # the message with mentions/markup removed, for content matching

    def has_constraints(self) -> bool:
        return bool(
            self.genres or self.not_genres or self.creators or self.not_creators
            or self.year_min or self.year_max or self.domain or self.critiques
        )


@dataclass(frozen=True, slots=True)
class NluContext:
    """What the parser may know about the conversation: the last list shown, by item id."""

    last_items: tuple[str, ...] = ()
    last_intent: Intent | None = None
    language: str = ""  # the speaker's language so far ("" unknown): short messages keep it
    focus: str = ""  # the item under discussion (just described or named): "is it sad?" asks about it


class Parser(Protocol):
    def parse(self, text: str, ctx: NluContext) -> Understanding: ...

    def parse_batch(self, texts: list[str], ctxs: list[NluContext]) -> list[Understanding]: ...


__all__ = ["Intent", "ItemMention", "Understanding", "NluContext", "Parser", "field"]
