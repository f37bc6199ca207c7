"""The two interfaces between the core and the platform edges.

Adapters depend on ``CoreHandle`` (what they call) and implement ``Outbound`` (what the core's
scheduled jobs, e.g. digests, call to post without an incoming event). Neither side imports the other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from core.events import AnyEvent, ConversationKey, Reply


@dataclass(frozen=True, slots=True)
class UserSummary:
    likes: list[str] = field(default_factory=list)  # item labels, strongest first
    dislikes: list[str] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)  # human-readable digest subscriptions


class CoreHandle(Protocol):
    async def handle(self, event: AnyEvent,
                     prose_sink: Callable[[str], Awaitable[None]] | None = None) -> list[Reply]: ...

    async def message_posted(self, reply: Reply, message_id: str) -> None: ...

    async def user_summary(self, tenant: str, user: str) -> UserSummary: ...


class Outbound(Protocol):
    """Post a reply where no event asked for it (digests). Returns the platform message id."""

    platform: str

    async def send(self, key: ConversationKey, reply: Reply, user: str | None = None) -> str: ...
