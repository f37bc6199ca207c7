"""Normalized, frozen event and reply types.

Adapters turn platform payloads into these; the core only ever sees these. Every event carries the
tenant (Discord guild, Slack workspace, "local" for the terminal), the channel, an optional thread, the
user, the platform's own event id (for dedupe) and a timestamp.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Where a conversation lives: context is per key, preferences are per (tenant, user)."""

    platform: str
    tenant: str
    channel: str
    thread: str | None = None

    def as_str(self) -> str:
        return f"{self.platform}:{self.tenant}:{self.channel}:{self.thread or ''}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    platform: str
    tenant: str
    channel: str
    user: str
    event_id: str
    thread: str | None = None
    ts: float = field(default_factory=time.time)
    user_name: str | None = None
    is_dm: bool = False

    @property
    def key(self) -> ConversationKey:
        return ConversationKey(self.platform, self.tenant, self.channel, self.thread)


@dataclass(frozen=True, slots=True, kw_only=True)
class Message(Event):
    text: str
    # True when the message is addressed to the bot (mention, DM, console): adapters decide.
    addressed: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Reaction(Event):
    """An emoji added to (or removed from) one of the bot's messages, by platform message id."""

    message_id: str
    emoji: str
    added: bool = True


class ButtonAction(StrEnum):
    LIKE = "like"
    DISLIKE = "dislike"
    MORE_LIKE = "more"


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPress(Event):
    action: ButtonAction
    rec_id: str
    item_id: str
    message_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Command(Event):
    """A slash command or terminal command: name without the slash, args as typed."""

    name: str
    args: str = ""


@dataclass(frozen=True, slots=True)
class ItemView:
    """What a reply shows of one recommended item."""

    item_id: str
    title: str
    year: int | None
    reason: str
    creator: str | None = None
    domain: str = ""

    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


@dataclass(frozen=True, slots=True)
class Reply:
    """One message the adapter should post.

    ``items`` non-empty means this is a recommendation list: the adapter renders it natively (embed +
    buttons, Block Kit, terminal) and reports the posted platform message id back through
    ``DialogueCore.message_posted(reply, message_id)`` so later reactions map to these items.
    ``text`` is always a complete plain-text rendering, so an adapter that cannot show rich output
    degrades to text.
    """

    text: str
    items: tuple[ItemView, ...] = ()
    rec_id: str | None = None
    key: ConversationKey | None = None
    reply_to: str | None = None
    ephemeral: bool = False
    buttons: bool = True
    # An attachment (file name, UTF-8 content), e.g. a data export; adapters upload it or print it.
    file: tuple[str, str] | None = None
    # True on the reply to a like/dislike the core recorded; a refused press (its list is gone, the item
    # unknown) gets an explanation without it, so adapters mark on the list only what was recorded.
    feedback_recorded: bool = False


AnyEvent = Message | Reaction | ButtonPress | Command
