"""Building the configured generator, always wrapped so a failure still yields a reply.

``build_generator`` is synchronous and cheap: the local model loads on a background thread (see
transformers_backend), so building the app never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from core.generation.base import GenerationError, GenerationRequest, Generator
from core.generation.template import TemplateGenerator, template_text
from core.settings import Device, Settings

log = logging.getLogger("recbot.generation")

BACKENDS = ("transformers", "openai", "template")


class GenerationSettings(Settings):
    """[generation] (how to add a setting: core/settings.py)."""

    # Case-insensitive, as it always was ("Template" = "template").
    backend: Annotated[Literal["transformers", "openai", "template"],
                       BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v)] = "transformers"
    model: str = ""  # "" = bundled SmolLM2-135M-Instruct; else a local dir, a .gguf path or a hub name
    # "auto" = CUDA+bf16 when available, else CPU fp32; or "cpu", "cuda", "cuda:1", "mps".
    device: Device = "auto"
    max_batch: Annotated[int, Field(ge=1)] = 8
    queue_size: Annotated[int, Field(ge=1)] = 64
    deadline_s: Annotated[float, Field(gt=0)] = 20.0
    max_new_tokens: Annotated[int, Field(ge=1)] = 96
    openai_base_url: str = ""
    openai_model: str = ""
    openai_api_key_env: str = "OPENAI_API_KEY"
    cache_dir: str = ""  # converted models; "" = $RECBOT_DATA_DIR/models or ~/.cache/recbot/models
    temperature: Annotated[float, Field(ge=0, le=2)] = 0.7
    batch_window_s: Annotated[float, Field(ge=0)] = 0.005
    scheduler: Literal["auto", "step", "batch"] = "auto"  # step: iteration-level; batch: one generate()
    cpu_threads: Annotated[int, Field(ge=0)] = 0  # >0: torch CPU threads (process-wide); 0: torch's default

    @model_validator(mode="after")
    def _openai_needs_a_server(self) -> GenerationSettings:
        if self.backend == "openai" and not (self.openai_base_url and self.openai_model):
            raise ValueError('backend = "openai" needs openai_base_url and openai_model')
        return self


class FallbackGenerator:
    """Wraps a backend: when it raises, misses the deadline or grounds to nothing, use the template.

    The person always gets their recommendation; ``fallbacks`` counts how often prose was replaced.
    """

    def __init__(self, inner: Generator, template: TemplateGenerator | None = None, grace_s: float = 1.0) -> None:
        self.inner = inner
        self.template = template or TemplateGenerator()
        self.grace_s = grace_s  # backends enforce the deadline themselves; this is the safety net
        self.fallbacks = 0
        self.last_error = ""

    def _fell_back(self, exc: BaseException) -> None:
        self.fallbacks += 1
        self.last_error = str(exc) or type(exc).__name__
        if isinstance(exc, GenerationError | TimeoutError):
            log.info("generation fell back to the template: %s", self.last_error)
        else:
            log.warning("generation backend error, using the template", exc_info=exc)

    async def generate(self, request: GenerationRequest) -> str:
        try:
            return await asyncio.wait_for(self.inner.generate(request), request.deadline_s + self.grace_s)
        except Exception as exc:
            self._fell_back(exc)
            return template_text(request)

    async def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        yielded = False
        gen = self.inner.stream(request)
        try:
            async for piece in gen:
                yielded = True
                yield piece
        except Exception as exc:
            self._fell_back(exc)
            if not yielded:  # after partial prose the sentences already shown stand on their own
                yield template_text(request)
        finally:
            await gen.aclose()  # type: ignore[attr-defined]

    async def wait_ready(self, within_s: float | None = None) -> bool:
        waiter = getattr(self.inner, "wait_ready", None)
        return True if waiter is None else bool(await waiter(within_s))

    async def aclose(self) -> None:
        await self.inner.aclose()


def build_backend(settings: GenerationSettings) -> Generator:
    """The bare backend (no fallback wrapper)."""
    backend = settings.backend
    if backend == "template":
        return TemplateGenerator()
    if backend == "openai":
        from core.generation.openai_backend import OpenAIGenerator

        return OpenAIGenerator(
            settings.openai_base_url, settings.openai_model, api_key_env=settings.openai_api_key_env,
            max_in_flight=settings.queue_size, max_new_tokens=settings.max_new_tokens,
            deadline_s=settings.deadline_s, temperature=settings.temperature,
        )
    if backend == "transformers":
        from core.generation.model_loading import LoadedModel, load_model
        from core.generation.transformers_backend import LocalGenerator

        def loader() -> LoadedModel:
            return load_model(settings.model, settings.device, settings.cache_dir or None,
                              cpu_threads=settings.cpu_threads)

        return LocalGenerator(
            loader, max_batch=settings.max_batch, queue_size=settings.queue_size,
            max_new_tokens=settings.max_new_tokens, deadline_s=settings.deadline_s,
            temperature=settings.temperature, batch_window_s=settings.batch_window_s,
            scheduler=settings.scheduler,
        )
    raise ValueError(f"unknown generation backend {settings.backend!r} (use one of {', '.join(BACKENDS)})")


def build_generator(settings: GenerationSettings) -> Generator:
    """The configured backend behind a FallbackGenerator (the template needs no wrapper)."""
    backend = build_backend(settings)
    return backend if isinstance(backend, TemplateGenerator) else FallbackGenerator(backend)
