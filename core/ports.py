"""The interfaces between the core and the platform edges.

Adapters depend on ``CoreHandle`` (what they call) and implement ``Adapter`` (what `recbot run` starts
and stops, and what the core's scheduled jobs, e.g. digests, call through ``Outbound`` to post without
an incoming event). Each adapter package registers an ``AdapterPlugin`` under the ``recbot.adapters``
entry-point group. Neither side imports the other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

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


class Adapter(Protocol):
    """One platform edge as `recbot run` drives it: start, stop, post without an event, render.

    ``render`` turns a Reply into the platform's own payload (embed + buttons, Block Kit, inline
    keyboard, terminal text) with the platform's limits and escaping; the core never sees either.
    """

    platform: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, key: ConversationKey, reply: Reply, user: str | None = None) -> str: ...

    def render(self, reply: Reply) -> Any: ...


@dataclass(frozen=True)
class AdapterPlugin:
    """What an adapter package registers under the ``recbot.adapters`` entry-point group.

    ``name`` is both the platform and the config section that turns the adapter on; ``settings`` is the
    section's model (checked when the config is read, before anything imports the platform library);
    ``modules`` are the importable packages its extra installs; ``create`` builds the adapter and is the
    only place that imports the platform library. ``service`` is False for an adapter that is not a
    long-running service (the terminal: `recbot chat` drives it, `recbot run` does not start it).
    """

    name: str
    settings: type[Any]
    create: Callable[[CoreHandle, Any, Mapping[str, str]], Adapter]
    modules: tuple[str, ...] = ()
    extra: str = ""
    service: bool = True
