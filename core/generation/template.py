"""The template backend: no model. Also the fallback when a model fails or misses its deadline."""

from __future__ import annotations

from collections.abc import AsyncIterator

from core.generation.base import GenerationRequest


class TemplateGenerator:
    async def generate(self, request: GenerationRequest) -> str:
        if request.kind == "about" and request.items:
            return request.items[0].description or request.intro
        return request.intro

    async def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        yield await self.generate(request)

    async def aclose(self) -> None:
        return None
