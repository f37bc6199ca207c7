"""Per-conversation context, stored as JSON in the conversations table so a restart continues it."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from core.nlu.types import Understanding
from core.recommend.types import Constraints

if TYPE_CHECKING:
    from core.store.repos import ConversationRepo

log = logging.getLogger("recbot.state")

MAX_SHOWN = 500  # bound the exclusion list so a long-lived channel's state stays small


@dataclass
class ConvState:
    last_items: list[str] = field(default_factory=list)  # the last list shown, in order
    last_reasons: dict[str, str] = field(default_factory=dict)
    last_rec_id: str | None = None
    last_intent: str | None = None
    shown: list[str] = field(default_factory=list)  # everything shown here (never re-recommend)
    rejected: list[str] = field(default_factory=list)
    # Accumulated request: constraints persist across turns until "start over" or a new topic.
    genres: list[str] = field(default_factory=list)
    not_genres: list[str] = field(default_factory=list)
    creators: list[str] = field(default_factory=list)
    not_creators: list[str] = field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    domain: str | None = None
    critiques: list[str] = field(default_factory=list)
    seeds: list[str] = field(default_factory=list)
    query: list[str] = field(default_factory=list)  # recent request texts, newest last
    languages: dict[str, str] = field(default_factory=dict)  # user id -> the language they write in
    # The stored version this state was loaded at (not part of the JSON): saving compares it.
    version: int = field(default=0, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["version"]
        return data

    def merge_concurrent(self, stored: ConvState) -> None:
        """Another turn saved ``stored`` while this one ran: keep what it showed and what was rejected
        there excluded from now on (the never-re-recommend promise); everything else is this turn's."""
        self.shown = (stored.shown + [i for i in self.shown if i not in stored.shown])[-MAX_SHOWN:]
        self.rejected = _merge(stored.rejected, self.rejected)
        self.version = stored.version

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ConvState:
        if not data:
            return cls()
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def reset_request(self) -> None:
        self.genres, self.not_genres, self.creators, self.not_creators = [], [], [], []
        self.year_min = self.year_max = None
        self.domain = None
        self.critiques, self.seeds, self.query = [], [], []

    def absorb(self, u: Understanding, new_topic: bool) -> None:
        """Merge one message's slots into the accumulated request."""
        if new_topic or (u.domain and self.domain and u.domain != self.domain):
            self.reset_request()
        if u.genres:
            self.genres = list(dict.fromkeys(u.genres))
            self.not_genres = [g for g in self.not_genres if g not in u.genres]
        self.not_genres = _merge(self.not_genres, u.not_genres)
        self.genres = [g for g in self.genres if g not in self.not_genres]
        if u.creators:
            self.creators = list(u.creators)
        self.not_creators = _merge(self.not_creators, u.not_creators)
        if u.year_min is not None or u.year_max is not None:
            self.year_min, self.year_max = u.year_min, u.year_max
        if u.domain:
            self.domain = u.domain
        self.critiques = _merge(self.critiques, u.critiques)[-6:]
        if u.query_text:
            self.query = (self.query + [u.query_text[:300]])[-4:]

    def constraints(self, exclude_seen: bool = True) -> Constraints:
        exclude = tuple(dict.fromkeys(self.shown + self.rejected)) if exclude_seen else tuple(self.rejected)
        return Constraints(
            genres=tuple(self.genres), not_genres=tuple(self.not_genres), creators=tuple(self.creators),
            not_creators=tuple(self.not_creators), year_min=self.year_min, year_max=self.year_max,
            domain=self.domain, exclude_items=exclude,
        )

    def record_shown(self, rec_id: str, items: list[str], reasons: dict[str, str]) -> None:
        self.last_rec_id = rec_id
        self.last_items = items
        self.last_reasons = reasons
        self.shown = (self.shown + [i for i in items if i not in self.shown])[-MAX_SHOWN:]


def _merge(old: list[str], new: tuple[str, ...] | list[str]) -> list[str]:
    return list(dict.fromkeys([*old, *new]))


async def load_conversation(repo: ConversationRepo, tenant: str, conv_key: str) -> ConvState:
    raw, version = await repo.load_versioned(tenant, conv_key)
    state = ConvState.from_json(raw)
    state.version = version
    return state


async def save_conversation(repo: ConversationRepo, tenant: str, conv_key: str, state: ConvState,
                            attempts: int = 8) -> None:
    """Save with compare-and-set; when another writer got in first, merge its state and try again.

    The per-conversation lock in DialogueCore only covers one process: two instances behind a load
    balancer, or a digest posting while someone chats, used to overwrite each other's state (last
    writer wins), losing what the other had shown, which could then be recommended again.
    """
    for _ in range(attempts):
        if await repo.save_state_if(tenant, conv_key, state.to_json(), state.version):
            state.version += 1
            return
        state.merge_concurrent(await load_conversation(repo, tenant, conv_key))
    log.warning("conversation state kept changing during %d attempts; saving over it", attempts)
    await repo.save_state(tenant, conv_key, state.to_json())
