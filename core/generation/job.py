"""One generation request as the pool and its runners see it.

Created and awaited on the event loop, fed from the worker thread: ``deliver`` hands a text piece (or
the end) across with ``call_soon_threadsafe``. A job knows nothing of the pool: what the pool must do
when a job leaves early (cancelled, superseded, deadline) is the ``release`` callback it was given.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from core.generation.base import GenerationError

_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class JobResult:
    text: str
    tokens: int
    truncated: bool  # stopped by the token limit rather than end-of-sequence


@dataclass(frozen=True, slots=True)
class JobEnd:
    result: JobResult | None
    error: GenerationError | None


class Job:
    """One request in the pool. Created and awaited on the event loop; fed by the worker thread."""

    def __init__(self, prompt_ids: list[int], max_new_tokens: int, deadline_s: float, channel_key: str,
                 stream: bool, loop: asyncio.AbstractEventLoop, release: Callable[[Job], None]) -> None:
        self.id = next(_ids)
        self.release = release  # the pool's bookkeeping for a job that leaves (queue, channel map)
        self.prompt_ids = prompt_ids
        self.max_new_tokens = max(1, max_new_tokens)
        self.t_submit = time.monotonic()
        self.deadline = self.t_submit + deadline_s
        self.channel_key = channel_key
        self.stream = stream
        self.loop = loop
        self.cancel_reason: str | None = None  # set once; read by the worker every step
        self.t_first_token: float | None = None
        self.t_done: float | None = None
        self.batch_size = 0
        self.outcome: JobResult | None = None
        self._queue: asyncio.Queue[str | JobEnd] = asyncio.Queue()
        self._ended = False

    @property
    def cancelled(self) -> bool:
        return self.cancel_reason is not None

    def cancel(self, reason: str = "cancelled") -> None:
        """Thread-safe. A queued job leaves the queue; a running one stops at the next decoding step."""
        if self.cancel_reason is None and not self._ended:
            self.cancel_reason = reason
            self.release(self)
            self.deliver(JobEnd(None, GenerationError(reason)))

    # -- worker side (runners and the pool call these from the worker thread) -------------------
    def deliver(self, item: str | JobEnd) -> None:
        try:
            self.loop.call_soon_threadsafe(self._put, item)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            self.cancel_reason = self.cancel_reason or "event loop closed"

    def _put(self, item: str | JobEnd) -> None:
        if self._ended:
            return
        if isinstance(item, JobEnd):
            self._ended = True
            self.t_done = time.monotonic()
            self.outcome = item.result
        self._queue.put_nowait(item)

    # -- caller side ----------------------------------------------------------------------------
    async def _next(self) -> str | JobEnd:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 and self._queue.empty():
            self.cancel("deadline")
        try:
            return await asyncio.wait_for(self._queue.get(), timeout=max(remaining, 0.0) + 0.05)
        except TimeoutError:
            self.cancel("deadline")
            return await self._queue.get()
        except asyncio.CancelledError:
            self.cancel("caller cancelled")
            raise

    async def result(self) -> JobResult:
        """The whole generated text; raises GenerationError on failure, deadline, cancellation."""
        while True:
            item = await self._next()
            if isinstance(item, JobEnd):
                if item.error is not None:
                    raise item.error
                assert item.result is not None
                return item.result

    async def pieces(self) -> AsyncIterator[str]:
        """Raw text pieces as they are decoded (submit with stream=True); ends like ``result``."""
        while True:
            item = await self._next()
            if isinstance(item, JobEnd):
                if item.error is not None:
                    raise item.error
                return
            yield item
