"""The Generator protocol and the request it takes.

A request carries only what the reply may talk about: the items the recommender chose, with their
facts, plus a short instruction of what kind of reply this is. Backends must not add items.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class GroundedItem:
    title: str
    year: int | None
    reason: str
    creator: str | None = None
    description: str = ""
    domain: str = ""
    tags: tuple[str, ...] = ()  # genres and tags: facts a sentence may state about the item

    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """kind: "recommend" | "why" | "about" | "chat". user_text is the person's message (untrusted).

    channel_key identifies the conversation: a newer request with the same key supersedes (cancels)
    an older one still queued or running. deadline_s bounds the wait; on a miss the caller falls back.
    """

    kind: str
    user_text: str
    items: tuple[GroundedItem, ...] = ()
    intro: str = ""  # what the template would open with ("Here are three 80s comedies:")
    channel_key: str = ""
    max_new_tokens: int = 96
    deadline_s: float = 20.0


class GenerationError(Exception):
    """Generation failed, missed its deadline, was cancelled or was rejected (queue full)."""


class Generator(Protocol):
    async def generate(self, request: GenerationRequest) -> str: ...

    def stream(self, request: GenerationRequest) -> AsyncIterator[str]: ...

    async def aclose(self) -> None: ...
