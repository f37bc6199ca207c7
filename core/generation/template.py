"""The template generator: no model, always available, and the fallback for every other backend.

Contract shared by all backends: ``generate`` returns only the short conversational prose of a reply
(1-3 sentences). The dialogue core appends the numbered item list itself, so prose never lists or
invents items; the template only restates facts the request carries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from core.generation.base import GenerationRequest, GroundedItem

_DEFAULT_RECOMMEND = "Here are some picks I think you'll like:"
_DEFAULT_CHAT = "I recommend movies and books: tell me what you're in the mood for, or type help."
_DEFAULT_EMPTY = "I couldn't find anything that fits that yet. Try describing it another way?"


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?:…" else text + "."


def _why(item: GroundedItem) -> str:
    reason = item.reason.strip()
    if not reason:
        return _sentence(f"{item.label()} is a strong match for what you asked")
    return _sentence(f"{item.label()}: {reason}")


def _about(item: GroundedItem) -> str:
    if item.description.strip():
        return _sentence(f"{item.label()}: {item.description.strip()}")
    by = f" by {item.creator}" if item.creator else ""
    kind = item.domain or "title"
    return _sentence(f"{item.label()} is a {kind}{by}")


def template_text(req: GenerationRequest) -> str:
    """The prose a reply falls back to. Never empty, never mentions anything outside ``req``."""
    if req.kind == "recommend":
        if req.intro.strip():
            return req.intro.strip()
        return _DEFAULT_RECOMMEND if req.items else _DEFAULT_EMPTY
    if req.kind == "why":
        if not req.items:
            return req.intro.strip() or "I picked those from what you've told me so far."
        return " ".join(_why(it) for it in req.items)
    if req.kind == "about":
        if not req.items:
            return req.intro.strip() or "I don't know that one, sorry."
        return " ".join(_about(it) for it in req.items)
    return req.intro.strip() or _DEFAULT_CHAT


class TemplateGenerator:
    """Generator protocol implementation that needs no model (and cannot fail)."""

    async def generate(self, request: GenerationRequest) -> str:
        return template_text(request)

    async def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        yield template_text(request)

    async def aclose(self) -> None:
        return None
