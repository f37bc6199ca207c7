"""The "openai" backend: any OpenAI-compatible chat server (vLLM, SGLang, TGI, `transformers serve`).

Scale-out path: the server does the batching (vLLM/SGLang batch continuously across all bots talking to
it); this side bounds in-flight requests (backpressure), applies deadlines and supersede per channel,
and grounds the text exactly like the local backend.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from typing import Any

from core.generation.base import GenerationError, GenerationRequest
from core.generation.grounding import SentenceGuard, ground
from core.generation.prompt import build_messages


class OpenAIGenerator:
    def __init__(self, base_url: str, model: str, *, api_key_env: str = "OPENAI_API_KEY",
                 max_in_flight: int = 64, max_new_tokens: int = 96, deadline_s: float = 20.0,
                 temperature: float = 0.7) -> None:
        from openai import AsyncOpenAI

        if not base_url or not model:
            raise ValueError("the openai backend needs [generation] openai_base_url and openai_model")
        # Local servers usually take any key; the client insists on one being set.
        api_key = os.environ.get(api_key_env or "", "") or "not-needed"
        self.client = AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=deadline_s)
        self.model = model
        self.max_in_flight = max(1, max_in_flight)
        self.max_new_tokens = max_new_tokens
        self.deadline_s = deadline_s
        self.temperature = temperature
        self._in_flight = 0
        self._by_channel: dict[str, asyncio.Task[Any]] = {}

    def _params(self, req: GenerationRequest) -> dict[str, Any]:
        return dict(model=self.model, messages=build_messages(req),
                    max_tokens=min(req.max_new_tokens, self.max_new_tokens), temperature=self.temperature)

    def _admit(self, req: GenerationRequest) -> float:
        if self._in_flight >= self.max_in_flight:
            raise GenerationError(f"too many generation requests in flight ({self.max_in_flight})")
        self._in_flight += 1
        return time.monotonic() + min(req.deadline_s, self.deadline_s)

    def _start(self, req: GenerationRequest, coro: Any) -> asyncio.Task[Any]:
        """Run the HTTP work in its own task, so superseding cancels only that task, never the caller's."""
        task = asyncio.ensure_future(coro)
        if req.channel_key:
            old = self._by_channel.get(req.channel_key)
            if old is not None and not old.done():
                old.cancel("superseded by a newer message in the same conversation")
            self._by_channel[req.channel_key] = task
        return task

    def _release(self, req: GenerationRequest, task: asyncio.Task[Any] | None) -> None:
        self._in_flight -= 1
        if task is not None:
            task.cancel("request finished")
            if req.channel_key and self._by_channel.get(req.channel_key) is task:
                del self._by_channel[req.channel_key]

    async def _complete(self, req: GenerationRequest) -> tuple[str, bool]:
        resp = await self.client.chat.completions.create(**self._params(req))
        choice = resp.choices[0]
        return choice.message.content or "", choice.finish_reason == "length"

    async def generate(self, request: GenerationRequest) -> str:
        deadline = self._admit(request)
        task: asyncio.Task[Any] | None = None
        try:
            task = self._start(request, self._complete(request))
            done, _ = await asyncio.wait({task}, timeout=max(deadline - time.monotonic(), 0.0))
            if not done:
                raise GenerationError("the generation server missed the deadline")
            if task.cancelled():
                raise GenerationError("superseded by a newer message in the same conversation")
            text, truncated = task.result()
            return ground(text, request, truncated)
        except GenerationError:
            raise
        except Exception as exc:  # openai.APIError, connection errors, malformed responses
            raise GenerationError(f"generation server error: {exc}") from exc
        finally:
            self._release(request, task)

    async def _produce(self, req: GenerationRequest, out: asyncio.Queue[tuple[str, Any]]) -> None:
        try:
            stream = await self.client.chat.completions.create(**self._params(req), stream=True)
            try:
                async for chunk in stream:
                    if chunk.choices:
                        choice = chunk.choices[0]
                        out.put_nowait(("piece", (choice.delta.content or "", choice.finish_reason == "length")))
            finally:
                await stream.close()  # tells the server to stop generating for a reader that left
            out.put_nowait(("end", None))
        except asyncio.CancelledError as exc:
            reason = exc.args[0] if exc.args else "cancelled"
            out.put_nowait(("error", GenerationError(str(reason))))
            raise
        except Exception as exc:
            out.put_nowait(("error", GenerationError(f"generation server error: {exc}")))

    async def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        deadline = self._admit(request)
        guard = SentenceGuard(request)
        truncated = False
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        task: asyncio.Task[Any] | None = None
        try:
            task = self._start(request, self._produce(request, queue))
            while not guard.full:
                try:
                    kind, value = await asyncio.wait_for(queue.get(), max(deadline - time.monotonic(), 0.0))
                except TimeoutError as exc:
                    raise GenerationError("the generation server missed the deadline") from exc
                if kind == "error":
                    raise value
                if kind == "end":
                    break
                piece, cut = value
                truncated = truncated or cut
                for sentence in guard.feed(piece):
                    yield sentence
            if not guard.full:
                for sentence in guard.finish(truncated):
                    yield sentence
            guard.require_useful()
        finally:
            self._release(request, task)

    async def aclose(self) -> None:
        await self.client.close()

