"""Turning reactions, button presses and words into preference evidence, and reading it back.

Weights (documented in docs/recommender.md): a button press is the strongest explicit signal (±1.0),
an emoji on a single-item message ±0.8 and on a list ±0.5 per item (it is less clear which item it
was about), a mention in words carries its clause sentiment, and "shown and ignored" is a weak -0.1.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import Field, Strict, model_validator

from core.events import ButtonAction, ButtonPress, Reaction
from core.nlu.types import ItemMention
from core.recommend.catalog import Catalog
from core.recommend.settings import HALF_LIFE_DAYS
from core.recommend.types import Signal
from core.settings import Settings
from core.store.repos import PrefRow
from core.store.store import Store

# A mention whose clause sentiment is weaker than this says nothing about taste: it is not stored, and
# the bot must not say it noted it.
STANCE_MIN = 0.05

# The one definition of the default reaction emoji ([feedback] in the config starts from these).
POSITIVE_DEFAULT = ("👍", "❤️", "⭐", "+1", "thumbsup", "heart", "star", "star2", "❤")
NEGATIVE_DEFAULT = ("👎", "-1", "thumbsdown")

EmojiList = Annotated[tuple[Annotated[str, Field(min_length=1)], ...], Strict(False)]  # TOML list -> tuple


class FeedbackSettings(Settings):
    """[feedback]: emoji (unicode, or Slack/Discord names) that count as positive / negative reactions."""

    positive: EmojiList = POSITIVE_DEFAULT
    negative: EmojiList = NEGATIVE_DEFAULT

    @model_validator(mode="after")
    def _disjoint(self) -> FeedbackSettings:
        both = sorted(set(self.positive) & set(self.negative))
        if both:
            raise ValueError(f"positive and negative both list {', '.join(both)}")
        return self

    def emoji_map(self) -> EmojiMap:
        return EmojiMap(self.positive, self.negative)


@dataclass(frozen=True)
class EmojiMap:
    positive: tuple[str, ...] = POSITIVE_DEFAULT
    negative: tuple[str, ...] = NEGATIVE_DEFAULT

    def value(self, emoji: str) -> float:
        e = emoji.strip().strip(":").removesuffix("\ufe0f")
        if e in self.positive or e + "\ufe0f" in self.positive:
            return 1.0
        if e in self.negative:
            return -1.0
        return 0.0


@dataclass
class FeedbackService:
    store: Store
    catalog: Catalog
    emoji: EmojiMap = field(default_factory=EmojiMap)
    half_life_days: float = HALF_LIFE_DAYS  # the same decay the recommender's preference model uses

    async def on_reaction(self, ev: Reaction) -> bool:
        """Record a reaction on one of our messages; False when the event was already processed or ignored.

        A removal is ignored unless the message is one of our recommendations: a platform's removal
        event may name no message author (Discord's does not), so removals on anyone's message reach
        us, and there is nothing to take back from a message we never posted."""
        if not ev.added and await self.store.recs.by_message(ev.tenant, ev.platform, ev.message_id) is None:
            return False
        new, _ = await self.store.prefs.apply_reaction(
            ev.tenant, ev.platform, ev.event_id, ev.user, ev.message_id, ev.emoji, ev.added,
            self.emoji.value(ev.emoji), ev.ts)
        return new

    async def on_button(self, ev: ButtonPress) -> tuple[str | None, str]:
        """Record like/dislike; returns (error or None, item label)."""
        rec = await self.store.recs.get(ev.tenant, ev.rec_id)
        item = self.catalog.get(ev.item_id)
        if rec is None or item is None or ev.item_id not in rec.item_ids:
            return "That button belongs to a recommendation I no longer have. Ask me again?", ""
        if ev.action in (ButtonAction.LIKE, ButtonAction.DISLIKE):
            # A second press replaces the first (changing your mind is allowed, double-counting is not).
            # Written with the press's claim (core/store/effects.py): a crash cannot claim it and lose it.
            value = 1.0 if ev.action == ButtonAction.LIKE else -1.0
            await self.store.prefs.replace_source(
                ev.tenant, ev.user, f"button:{ev.rec_id}:{ev.item_id}",
                [PrefRow(ev.user, ev.item_id, value, "button", ev.ts or time.time(), rec.conv_key)])
        return None, item.label()

    async def signals(self, tenant: str, user: str, conv_key: str) -> tuple[Signal, ...]:
        """The person's own evidence, plus this conversation's other members' at half weight."""
        mine = await self.store.prefs.for_user(tenant, user)
        channel = [r for r in await self.store.prefs.for_conversation(tenant, conv_key) if r.user_id != user]
        out = [Signal(r.item_id, r.value, r.kind, r.ts, "user") for r in mine]
        out += [Signal(r.item_id, r.value * 0.5, r.kind, r.ts, "channel") for r in channel]
        return tuple(out)

    async def taste(self, tenant: str, user: str) -> tuple[list[str], list[str]]:
        """Liked and disliked item labels, strongest first (decayed sums per item)."""
        rows = await self.store.prefs.for_user(tenant, user)
        totals = aggregate(rows, self.half_life_days)
        likes = [self._label(i) for i, v in sorted(totals.items(), key=lambda kv: -kv[1]) if v > 0.2]
        dislikes = [self._label(i) for i, v in sorted(totals.items(), key=lambda kv: kv[1]) if v < -0.2]
        return likes[:10], dislikes[:10]

    def _label(self, item_id: str) -> str:
        it = self.catalog.get(item_id)
        return it.label() if it else item_id


def with_stance(mentions: Sequence[ItemMention]) -> list[ItemMention]:
    """The mentions that carry an opinion (and so become preference evidence)."""
    return [m for m in mentions if abs(m.sentiment) >= STANCE_MIN]


def aggregate(rows: list[PrefRow], half_life_days: float = HALF_LIFE_DAYS, now: float | None = None) -> dict[str, float]:
    now = now or time.time()
    totals: dict[str, float] = {}
    for r in rows:
        decay = 0.5 ** (max(0.0, now - r.ts) / (half_life_days * 86400))
        totals[r.item_id] = totals.get(r.item_id, 0.0) + r.value * decay
    return totals
