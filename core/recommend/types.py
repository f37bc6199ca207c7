"""The recommender's interface: a request with evidence and hard constraints in, scored items out.

The recommender never touches the store: the dialogue core loads the evidence (signals) and passes
it in, so ranking stays a pure, testable function of its inputs plus the fitted models.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Signal:
    """One piece of evidence about what someone likes.

    value: +1 strong like ... -1 strong dislike. kind: "mention" (said in words, with sentiment),
    "reaction" (emoji), "button", "shown" (shown and ignored: weak negative), "rating" (imported).
    ts: unix seconds, for time decay.
    """

    item_id: str
    value: float
    kind: str
    ts: float
    scope: str = "user"  # "user" (the person) or "channel" (this conversation's members)


@dataclass(frozen=True, slots=True)
class Constraints:
    """Hard filters. Empty means no filter."""

    genres: tuple[str, ...] = ()  # item must have at least one of these genres/tags
    # ...and one of each group ("funny sci-fi": (comedy|funny) AND sci-fi); relaxed to `genres` first.
    genre_groups: tuple[tuple[str, ...], ...] = ()
    not_genres: tuple[str, ...] = ()
    creators: tuple[str, ...] = ()
    not_creators: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    domain: str | None = None
    exclude_items: tuple[str, ...] = ()  # already shown or rejected in this channel

    def describe(self) -> str:
        parts: list[str] = []
        if self.domain:
            parts.append(f"{self.domain}s")
        if self.genres:
            parts.append("/".join(self.genres))
        if self.not_genres:
            parts.append("no " + "/".join(self.not_genres))
        if self.creators:
            parts.append("by " + " or ".join(self.creators))
        if self.not_creators:
            parts.append("not by " + " or ".join(self.not_creators))
        if self.year_min and self.year_max:
            parts.append(f"{self.year_min}-{self.year_max}")
        elif self.year_min:
            parts.append(f"from {self.year_min} on")
        elif self.year_max:
            parts.append(f"up to {self.year_max}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class RecRequest:
    tenant: str
    user: str
    query: str = ""  # free text of this conversation's requests, for content matching
    seeds: tuple[str, ...] = ()  # items asked to be "like" (mentions, "more like the second one")
    critiques: tuple[str, ...] = ()  # soft words: "darker", "less gory"
    constraints: Constraints = Constraints()
    signals: tuple[Signal, ...] = ()
    k: int = 5
    diversify: bool = True
    now: float | None = None


@dataclass(frozen=True, slots=True)
class Scored:
    item_id: str
    score: float
    reason: str  # a grounded explanation ("because you liked Alien (1979) and asked for ...")


@dataclass(frozen=True, slots=True)
class RecResult:
    items: tuple[Scored, ...]
    # Set when the hard filters excluded everything and the result is the closest match instead:
    # a sentence for the person ("nothing matches horror before 1950; here is the closest").
    relaxed: str | None = None


class Recommender(Protocol):
    async def recommend(self, req: RecRequest) -> RecResult: ...

    def fit_interactions(self, rows: Iterable[tuple[str, str, float]]) -> None:
        """(user key, item id, value) rows from the store or an imported log; CF retrains from them."""
        ...
