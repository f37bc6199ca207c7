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
    cache_dir: str = ""  # converted models; "" = $RECBOT_MODEL_CACHE, else $XDG_CACHE_HOME/recbot/models
    temperature: Annotated[float, Field(ge=0, le=2)] = 0.7
    batch_window_s: Annotated[float, Field(ge=0)] = 0.005
    scheduler: Literal["auto", "step", "batch"] = "auto"  # step: iteration-level; batch: one generate()
    cpu_threads: Annotated[int, Field(ge=0)] = 0  # >0: torch CPU threads (process-wide); 0: torch's default
    # What the model may do beyond nothing. Each output passes the fact gate / validation first.
    # prose: "auto" = model sentences above the list only with a model someone configured (the openai
    # backend, or [generation] model), never the bundled 135M model (measured: docs/generation.md);
    # "on" / "off" force it.
    prose: Literal["auto", "on", "off"] = "auto"
    understand: bool = False  # the model reads the request into structured constraints (JSON schema)
    rerank: bool = False  # the model reorders the recommender's top candidates (Chat-REC style)
    rerank_top: Annotated[int, Field(ge=2)] = 20  # how many candidates the reranker sees
    assist_deadline_s: Annotated[float, Field(gt=0)] = 4.0  # later understand/rerank answers are ignored
    hub_timeout_s: Annotated[float, Field(gt=0)] = 10.0  # an unreachable hub model fails after this, clearly

    @model_validator(mode="after")
    def _openai_needs_a_server(self) -> GenerationSettings:
        if self.backend == "openai" and not (self.openai_base_url and self.openai_model):
            raise ValueError('backend = "openai" needs openai_base_url and openai_model')
        if (self.understand or self.rerank) and self.backend != "openai":
            # Both need schema-constrained output (response_format / guided JSON), which the
            # OpenAI-compatible servers provide; the local pool samples freely.
            raise ValueError('understand and rerank need backend = "openai" (a vLLM, SGLang or '
                             '`transformers serve` server)')
        return self


def check_settings(settings: GenerationSettings) -> None:
    """ValueError with a clear message for a [generation] setting that cannot work."""
    if settings.backend.lower() not in BACKENDS:
        raise ValueError(f"[generation] backend must be one of {', '.join(BACKENDS)}, not {settings.backend!r}")
    if settings.prose.lower() not in ("auto", "on", "off"):
        raise ValueError(f"[generation] prose must be auto, on or off, not {settings.prose!r}")
    if (settings.understand or settings.rerank) and settings.backend.lower() != "openai":
        # Both need schema-constrained output (response_format / guided JSON), which the OpenAI-compatible
        # servers provide; the local pool samples freely.
        raise ValueError("[generation] understand and rerank need backend = \"openai\" (a vLLM, SGLang or "
                         "`transformers serve` server)")
    if settings.rerank_top < 2:
        raise ValueError(f"[generation] rerank_top must be at least 2, not {settings.rerank_top}")


def model_prose_enabled(settings: GenerationSettings) -> bool:
    """Whether model sentences are shown at all (see ``GenerationSettings.prose``)."""
    check_settings(settings)
    mode = settings.prose.lower()
    if mode != "auto":
        return mode == "on"
    backend = settings.backend.lower()
    if backend == "openai":
        return True
    if backend != "transformers":
        return False
    return bool(settings.model)  # a model someone chose; the bundled 135M one writes too many false claims


def model_needed(settings: GenerationSettings) -> bool:
    """False when nothing would use the model: the app then loads none (fast start, no memory)."""
    return model_prose_enabled(settings) or settings.understand or settings.rerank


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
                              cpu_threads=settings.cpu_threads, hub_timeout_s=settings.hub_timeout_s)

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
