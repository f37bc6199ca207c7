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
    genre_groups: list[list[str]] = field(default_factory=list)  # each must match (Constraints.genre_groups)
    not_genres: list[str] = field(default_factory=list)
    creators: list[str] = field(default_factory=list)
    not_creators: list[str] = field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    domain: str | None = None
    critiques: list[str] = field(default_factory=list)
    seeds: list[str] = field(default_factory=list)
    query: list[str] = field(default_factory=list)  # recent request texts, newest last
    # Who wrote each entry of `query` (same order): forget removes one person's words from a shared
    # channel's request and leaves the others'. "" = not known (states saved before it existed).
    query_by: list[str] = field(default_factory=list)
    # The item under discussion: the one just described ("tell me more about the second one"), which a
    # following "I already saw that one" means. Cleared when a new list is shown.
    focus: str | None = None
    languages: dict[str, str] = field(default_factory=dict)  # user id -> the language they write in
    # Not part of the JSON: the stored version this state was loaded at (saving compares it), the
    # person whose turn this is, and the owner of a private conversation (saved in its own column).
    version: int = field(default=0, compare=False, repr=False)
    speaker: str | None = field(default=None, compare=False, repr=False)
    owner: str | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for transient in _TRANSIENT:
            del data[transient]
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
        names = {f.name for f in fields(cls)} - _TRANSIENT
        return cls(**{k: v for k, v in data.items() if k in names})

    def reset_request(self) -> None:
        self.genres, self.not_genres, self.creators, self.not_creators = [], [], [], []
        self.genre_groups = []
        self.year_min = self.year_max = None
        self.domain = None
        self.critiques, self.seeds, self.query, self.query_by = [], [], [], []

    def absorb(self, u: Understanding, new_topic: bool) -> None:
        """Merge one message's slots into the accumulated request. A refinement that names another
        domain ("books only" after mystery films) keeps the rest of the request: only a new topic resets."""
        if new_topic:
            self.reset_request()
        if u.genres:
            self.genres = list(dict.fromkeys(u.genres))
            self.genre_groups = [list(g) for g in u.genre_groups]
            self.not_genres = [g for g in self.not_genres if g not in u.genres]
        self.not_genres = _merge(self.not_genres, u.not_genres)
        self.genres = [g for g in self.genres if g not in self.not_genres]
        self.genre_groups = [k for g in self.genre_groups if (k := [x for x in g if x not in self.not_genres])]
        if u.creators:
            self.creators = list(u.creators)
        self.not_creators = _merge(self.not_creators, u.not_creators)
        if u.year_min is not None or u.year_max is not None:
            self.year_min, self.year_max = u.year_min, u.year_max
        if u.domain:
            self.domain = u.domain
        # A new critique of a term replaces the opposite one ("less dark" after "darker").
        terms = {c[1:] for c in u.critiques if c[:1] in "+-"}
        kept = [c for c in self.critiques if c[1:] not in terms]
        self.critiques = _merge(kept, u.critiques)[-6:]
        # "less dark" after asking for dark thrillers: the wish for dark is withdrawn, not contradicted.
        less = {c[1:] for c in u.critiques if c.startswith("-")}
        if less:
            self.genres = [g for g in self.genres if g not in less]
            self.genre_groups = [g for g in self.genre_groups if not less & set(g)]
        if u.query_text:
            by = self.query_by if len(self.query_by) == len(self.query) else [""] * len(self.query)
            self.query = (self.query + [u.query_text[:300]])[-4:]
            self.query_by = (by + [self.speaker or ""])[-4:]

    def era_critiques(self, last_years: list[int]) -> None:
        """"older" / "newer" are about the list just shown: they become a year bound beyond its median
        year instead of a tag (no item is tagged "old")."""
        older = {"+old", "+older", "-recent", "-new", "-newer", "+classic-era"}
        newer = {"+recent", "+new", "+newer", "-old", "-older"}
        hit = [c for c in self.critiques if c in older | newer]
        if not hit:
            return
        self.critiques = [c for c in self.critiques if c not in hit]
        if not last_years:
            return
        mid = sorted(last_years)[len(last_years) // 2]
        if hit[-1] in older:
            self.year_max, self.year_min = mid - 1, None if (self.year_min or 0) >= mid else self.year_min
        else:
            self.year_min, self.year_max = mid + 1, None if (self.year_max or 9999) <= mid else self.year_max

    def constraints(self, exclude_seen: bool = True) -> Constraints:
        exclude = tuple(dict.fromkeys(self.shown + self.rejected)) if exclude_seen else tuple(self.rejected)
        return Constraints(
            genres=tuple(self.genres), genre_groups=tuple(tuple(g) for g in self.genre_groups),
            not_genres=tuple(self.not_genres), creators=tuple(self.creators),
            not_creators=tuple(self.not_creators), year_min=self.year_min, year_max=self.year_max,
            domain=self.domain, exclude_items=exclude,
        )

    def record_shown(self, rec_id: str, items: list[str], reasons: dict[str, str]) -> None:
        self.last_rec_id = rec_id
        self.last_items = items
        self.last_reasons = reasons
        self.focus = None
        self.shown = (self.shown + [i for i in items if i not in self.shown])[-MAX_SHOWN:]


_TRANSIENT = frozenset({"version", "speaker", "owner"})


def _merge(old: list[str], new: tuple[str, ...] | list[str]) -> list[str]:
    return list(dict.fromkeys([*old, *new]))


def scrub_contributions(raw: dict[str, Any], user: str, their_recs: set[str], their_items: set[str],
                        their_rejections: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A shared channel's state without one person's part: (new state JSON, what was removed).

    ``their_recs``: recommendation ids made for them here; ``their_items``: items shown only to
    them here (no other member's list had them); ``their_rejections``: items only their own evidence
    rejected here. The accumulated request (genres, years, critiques, seeds) cannot be split by
    author, so it is reset when any of it came from them, or when its authors are unknown.
    Export reports the removed part (of the request, only their own words); forget writes the new
    state (tests/test_privacy.py compares the two with a dump).
    """
    state = ConvState.from_json(raw)
    removed: dict[str, Any] = {}
    query_by = state.query_by if len(state.query_by) == len(state.query) else [""] * len(state.query)
    if user in query_by or (state.query and "" in query_by):
        # Reported: only their own words (an export must not hand them the other members' requests).
        removed["request"] = {"query": [q for q, by in zip(state.query, query_by, strict=True) if by == user],
                              "reset": True}
        state.reset_request()
    if state.last_rec_id is not None and state.last_rec_id in their_recs:
        removed["last_list"] = {"last_rec_id": state.last_rec_id, "last_items": state.last_items,
                                "last_reasons": state.last_reasons, "last_intent": state.last_intent}
        state.last_rec_id, state.last_items, state.last_reasons, state.last_intent = None, [], {}, None
    shown = [i for i in state.shown if i in their_items]
    if shown:
        removed["shown"] = shown
        state.shown = [i for i in state.shown if i not in their_items]
    rejected = [i for i in state.rejected if i in their_rejections]
    if rejected:
        removed["rejected"] = rejected
        state.rejected = [i for i in state.rejected if i not in their_rejections]
    if user in state.languages:  # the language they wrote in here is about them too
        removed["language"] = state.languages.pop(user)
    if state.focus is not None and (state.focus in their_items or "last_list" in removed):
        removed["focus"] = state.focus
        state.focus = None
    return state.to_json(), removed


async def load_conversation(repo: ConversationRepo, tenant: str, conv_key: str, speaker: str | None = None,
                            private: bool = False) -> ConvState:
    """The saved state. ``speaker``: whose turn it is (their request texts are attributed to them);
    ``private``: the conversation is the speaker's own (a DM), so saving marks them its owner."""
    raw, version = await repo.load_versioned(tenant, conv_key)
    state = ConvState.from_json(raw)
    state.version = version
    state.speaker = speaker
    state.owner = speaker if private else None
    return state


async def save_conversation(repo: ConversationRepo, tenant: str, conv_key: str, state: ConvState,
                            attempts: int = 8) -> None:
    """Save with compare-and-set; when another writer got in first, merge its state and try again.

    The per-conversation lock in DialogueCore only covers one process: two instances behind a load
    balancer, or a digest posting while someone chats, used to overwrite each other's state (last
    writer wins), losing what the other had shown, which could then be recommended again.
    """
    for _ in range(attempts):
        if await repo.save_state_if(tenant, conv_key, state.to_json(), state.version, state.owner):
            state.version += 1
            return
        state.merge_concurrent(await load_conversation(repo, tenant, conv_key))
    log.warning("conversation state kept changing during %d attempts; saving over it", attempts)
    await repo.save_state(tenant, conv_key, state.to_json(), state.owner)
