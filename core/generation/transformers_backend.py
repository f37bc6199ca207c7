"""The "transformers" backend: grounded prompts into the local GenerationPool, grounded text out.

The model loads on a background thread as soon as the generator is built, so the bot starts at once;
requests that arrive before it is ready wait up to their deadline (then the caller uses the template).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from core.generation.base import GenerationError, GenerationRequest
from core.generation.grounding import SentenceGuard, ground
from core.generation.local_pool import GenerationPool
from core.generation.model_loading import LoadedModel
from core.generation.prompt import build_messages, render_plain

log = logging.getLogger("recbot.generation")

MAX_PROMPT_TOKENS = 1536


def prompt_ids(tokenizer: Any, req: GenerationRequest) -> list[int]:
    messages = build_messages(req)
    if getattr(tokenizer, "chat_template", None):
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    else:
        text = render_plain(messages)
    ids = list(tokenizer(text, add_special_tokens=False)["input_ids"])
    if len(ids) > MAX_PROMPT_TOKENS:
        raise GenerationError(f"prompt too long ({len(ids)} tokens)")
    return ids


class LocalGenerator:
    """Generator protocol over a GenerationPool; ``loaded`` is a LoadedModel or a function producing one."""

    def __init__(self, loaded: LoadedModel | Callable[[], LoadedModel], *, max_batch: int = 8,
                 queue_size: int = 64, max_new_tokens: int = 96, deadline_s: float = 20.0,
                 temperature: float = 0.7, batch_window_s: float = 0.005,
                 generation_kwargs: dict[str, Any] | None = None, scheduler: str = "auto") -> None:
        self.max_new_tokens = max_new_tokens
        self.deadline_s = deadline_s
        self._pool_args: dict[str, Any] = dict(
            max_batch=max_batch, queue_size=queue_size, temperature=temperature, batch_window_s=batch_window_s,
            generation_kwargs=generation_kwargs, scheduler=scheduler,
        )
        self.pool: GenerationPool | None = None
        self.loaded: LoadedModel | None = None
        self._ready: concurrent.futures.Future[LoadedModel] = concurrent.futures.Future()
        if isinstance(loaded, LoadedModel):
            self._ready.set_result(loaded)
        else:
            # Loading takes seconds (the first start ~30 s): do it off the event loop, right away.
            threading.Thread(target=self._load, args=(loaded,), name="recbot-model-load", daemon=True).start()

    def _load(self, loader: Callable[[], LoadedModel]) -> None:
        try:
            self._ready.set_result(loader())
        except Exception as exc:  # reported on every request; the caller falls back to the template
            log.exception("loading the generation model failed")
            self._ready.set_exception(exc)

    async def wait_ready(self, within_s: float | None = None) -> bool:
        """True once the model is loaded; False if loading failed or the timeout passed."""
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(self._ready)), within_s)
        except Exception:
            return False
        return True

    async def _pool(self, deadline: float) -> GenerationPool:
        if self.pool is None:
            try:
                self.loaded = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(self._ready)),
                                                     max(deadline - time.monotonic(), 0.0))
            except TimeoutError as exc:
                raise GenerationError("the model is still loading") from exc
            except Exception as exc:
                raise GenerationError(f"the model failed to load: {exc}") from exc
            if self.pool is None:  # the first request after loading creates the pool (on the loop)
                self.pool = GenerationPool(self.loaded.model, self.loaded.tokenizer, **self._pool_args)
        return self.pool

    async def _submit(self, req: GenerationRequest, stream: bool) -> Any:
        deadline_s = min(req.deadline_s, self.deadline_s)
        pool = await self._pool(time.monotonic() + deadline_s)
        ids = prompt_ids(pool.tokenizer, req)
        return pool.submit(ids, max_new_tokens=min(req.max_new_tokens, self.max_new_tokens),
                           deadline_s=deadline_s, channel_key=req.channel_key, stream=stream)

    async def generate(self, request: GenerationRequest) -> str:
        job = await self._submit(request, stream=False)
        result = await job.result()
        return ground(result.text, request, result.truncated)

    async def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        job = await self._submit(request, stream=True)
        guard = SentenceGuard(request)
        try:
            async for piece in job.pieces():
                for sentence in guard.feed(piece):
                    yield sentence
                if guard.full:
                    return  # enough prose: the finally below frees the batch row
            truncated = job.outcome.truncated if job.outcome else False
            for sentence in guard.finish(truncated):
                yield sentence
            guard.require_useful()
        finally:
            job.cancel("stream closed")

    async def aclose(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()
