"""The local generation pool: one worker thread owns the model, requests from many channels share it.

Dynamic batching: the worker takes everything queued (up to ``max_batch``), left-pads it into one batch
and runs one ``model.generate``. While a batch runs, new requests queue up and form the next batch, so
under load batches fill by themselves and an idle pool answers a lone request at once. Measured on this
CPU it beat transformers' continuous batching manager (see docs/generation.md for the numbers).

Per request: a deadline (checked when dequeued and at every decoding step), cancellation (a newer
request with the same ``channel_key`` supersedes the older one, queued or running: a per-row stopping
criterion ends that row at the next step), streaming (a batch streamer decodes each row's new tokens and
hands text pieces to the request's asyncio queue), and backpressure (a full queue refuses at once).
Every failure surfaces as GenerationError so callers fall back to the template. The asyncio event loop
never runs model code: results cross over with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from core.generation.base import GenerationError

log = logging.getLogger("recbot.generation")
_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class JobResult:
    text: str
    tokens: int
    truncated: bool  # stopped by the token limit rather than end-of-sequence


@dataclass(frozen=True, slots=True)
class _End:
    result: JobResult | None
    error: GenerationError | None


class Job:
    """One request in the pool. Created and awaited on the event loop; fed by the worker thread."""

    def __init__(self, pool: GenerationPool, prompt_ids: list[int], max_new_tokens: int, deadline_s: float,
                 channel_key: str, stream: bool, loop: asyncio.AbstractEventLoop) -> None:
        self.id = next(_ids)
        self.pool = pool
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
        self._queue: asyncio.Queue[str | _End] = asyncio.Queue()
        self._ended = False

    @property
    def cancelled(self) -> bool:
        return self.cancel_reason is not None

    def cancel(self, reason: str = "cancelled") -> None:
        """Thread-safe. A queued job leaves the queue; a running one stops at the next decoding step."""
        if self.cancel_reason is None and not self._ended:
            self.cancel_reason = reason
            self.pool._forget(self)
            self._deliver(_End(None, GenerationError(reason)))

    # -- worker side ----------------------------------------------------------------------------
    def _deliver(self, item: str | _End) -> None:
        try:
            self.loop.call_soon_threadsafe(self._put, item)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            self.cancel_reason = self.cancel_reason or "event loop closed"

    def _put(self, item: str | _End) -> None:
        if self._ended:
            return
        if isinstance(item, _End):
            self._ended = True
            self.t_done = time.monotonic()
            self.outcome = item.result
        self._queue.put_nowait(item)

    # -- caller side ----------------------------------------------------------------------------
    async def _next(self) -> str | _End:
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
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                assert item.result is not None
                return item.result

    async def pieces(self) -> AsyncIterator[str]:
        """Raw text pieces as they are decoded (submit with stream=True); ends like ``result``."""
        while True:
            item = await self._next()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item


@dataclass
class PoolStats:
    batches: int = 0
    served: int = 0
    failed: int = 0
    rejected: int = 0
    expired: int = 0
    superseded: int = 0
    max_batch_seen: int = 0
    generated_tokens: int = 0
    batch_sizes: deque[int] = field(default_factory=lambda: deque(maxlen=1000))


class _Rows:
    """Per-row decoding state of one batch, shared by the stopping criterion and the streamer."""

    def __init__(self, jobs: list[Job], tokenizer: Any, eos_ids: set[int], prompt_len: int) -> None:
        self.jobs = jobs
        self.prompt_len = prompt_len
        self.tokenizer = tokenizer
        self.eos_ids = eos_ids
        n = len(jobs)
        self.generated = [0] * n  # tokens seen by the streamer
        self.stop_after: list[int | None] = [None] * n  # kept tokens when stopped by our criterion
        self.done = [False] * n
        self.tokens: list[list[int]] = [[] for _ in range(n)]
        self.sent = [""] * n
        self.prompt_seen = False

    # StoppingCriteria protocol (per-row booleans: finished rows stop, the others continue)
    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        now = time.monotonic()
        steps = input_ids.shape[1] - self.prompt_len
        flags = []
        for i, job in enumerate(self.jobs):
            if self.stop_after[i] is None and (job.cancelled or now > job.deadline or steps >= job.max_new_tokens):
                self.stop_after[i] = steps
            flags.append(self.stop_after[i] is not None)
        return torch.tensor(flags, dtype=torch.bool, device=input_ids.device)

    # BaseStreamer protocol
    def put(self, value: Any) -> None:
        if not self.prompt_seen:  # generate() first hands over the prompt
            self.prompt_seen = True
            return
        now = time.monotonic()
        for i, tok in enumerate(value.tolist()):
            if self.done[i]:
                continue
            self.generated[i] += 1
            limit = self.stop_after[i]
            if tok in self.eos_ids or (limit is not None and self.generated[i] > limit):
                self.done[i] = True
                continue
            job = self.jobs[i]
            if job.t_first_token is None:
                job.t_first_token = now
            if job.stream and not job.cancelled:
                self.tokens[i].append(tok)
                text = self.tokenizer.decode(self.tokens[i], skip_special_tokens=True)
                # A trailing U+FFFD is half a multi-byte character: wait for the rest.
                if text.startswith(self.sent[i]) and not text.endswith("\ufffd") and len(text) > len(self.sent[i]):
                    job._deliver(text[len(self.sent[i]):])
                    self.sent[i] = text

    def end(self) -> None:
        return None


class GenerationPool:
    """Dynamic-batching worker around one causal LM. Submit from the event loop thread."""

    def __init__(self, model: Any, tokenizer: Any, *, max_batch: int = 8, queue_size: int = 64,
                 batch_window_s: float = 0.005, temperature: float = 0.7, top_p: float = 0.9,
                 repetition_penalty: float = 1.1, generation_kwargs: dict[str, Any] | None = None,
                 autostart: bool = True, name: str = "recbot-generation") -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.max_batch = max(1, max_batch)
        self.queue_size = max(1, queue_size)
        self.batch_window_s = batch_window_s
        self.gen_kwargs: dict[str, Any] = {"do_sample": temperature > 0, "repetition_penalty": repetition_penalty}
        if temperature > 0:
            self.gen_kwargs.update(temperature=temperature, top_p=top_p)
        self.gen_kwargs.update(generation_kwargs or {})
        eos = tokenizer.eos_token_id
        self.eos_ids: set[int] = {eos} if isinstance(eos, int) else set(eos or [])
        gen_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        self.eos_ids |= {gen_eos} if isinstance(gen_eos, int) else set(gen_eos or [])
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(self.eos_ids, default=0)
        self.stats = PoolStats()
        self._cv = threading.Condition(threading.RLock())
        self._queue: deque[Job] = deque()
        self._by_channel: dict[str, Job] = {}
        self._running: list[Job] = []
        self._closed = False
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._started = False
        if autostart:
            self.start()

    @property
    def device(self) -> Any:
        return self.model.device

    def start(self) -> None:
        with self._cv:
            if not self._started:
                self._started = True
                self._thread.start()

    def queued(self) -> int:
        with self._cv:
            return len(self._queue)

    def submit(self, prompt_ids: list[int], *, max_new_tokens: int, deadline_s: float, channel_key: str = "",
               stream: bool = False) -> Job:
        """Queue a request. Raises GenerationError at once when the queue is full or the pool is closed."""
        job = Job(self, list(prompt_ids), max_new_tokens, deadline_s, channel_key, stream,
                  asyncio.get_running_loop())
        with self._cv:
            if self._closed:
                raise GenerationError("the generation pool is closed")
            if channel_key and (old := self._by_channel.get(channel_key)) is not None:
                self.stats.superseded += 1
                old.cancel("superseded by a newer message in the same conversation")
            if len(self._queue) >= self.queue_size:
                self.stats.rejected += 1
                raise GenerationError(f"generation queue full ({self.queue_size} waiting)")
            self._queue.append(job)
            if channel_key:
                self._by_channel[channel_key] = job
            self._cv.notify()
        return job

    def _forget(self, job: Job) -> None:
        with self._cv:
            try:
                self._queue.remove(job)
            except ValueError:
                pass
            if job.channel_key and self._by_channel.get(job.channel_key) is job:
                del self._by_channel[job.channel_key]

    async def aclose(self) -> None:
        with self._cv:
            self._closed = True
            jobs = list(self._queue) + list(self._running)
            self._cv.notify_all()
        for job in jobs:
            job.cancel("the generation pool is shutting down")
        if self._started:
            await asyncio.to_thread(self._thread.join, 30.0)

    # -- worker thread --------------------------------------------------------------------------
    def _take_batch(self) -> list[Job] | None:
        with self._cv:
            while not self._queue and not self._closed:
                self._cv.wait()
            if self._closed:
                return None
        if self.batch_window_s > 0 and self.queued() < self.max_batch:
            time.sleep(self.batch_window_s)  # requests of one burst arrive microseconds apart: let them join
        batch: list[Job] = []
        now = time.monotonic()
        with self._cv:
            while self._queue and len(batch) < self.max_batch:
                job = self._queue.popleft()
                if job.cancelled:
                    continue
                if now >= job.deadline:
                    self.stats.expired += 1
                    job.cancel("deadline passed while queued")
                    continue
                batch.append(job)
            self._running = batch
        return batch

    def _work(self) -> None:
        import torch

        while True:
            batch = self._take_batch()
            if batch is None:
                return
            if not batch:
                continue
            try:
                with torch.inference_mode():
                    self._run(batch)
            except Exception as exc:  # one bad batch must not kill the worker
                log.exception("generation batch of %d failed", len(batch))
                self.stats.failed += len(batch)
                for job in batch:
                    job.cancel(f"generation failed: {exc}")
            finally:
                with self._cv:
                    self._running = []
                for job in batch:
                    self._forget(job)

    def _run(self, batch: list[Job]) -> None:
        import torch
        from transformers import StoppingCriteriaList

        n = len(batch)
        self.stats.batches += 1
        self.stats.batch_sizes.append(n)
        self.stats.max_batch_seen = max(self.stats.max_batch_seen, n)
        for job in batch:
            job.batch_size = n
        width = max(len(j.prompt_ids) for j in batch)
        ids = torch.full((n, width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((n, width), dtype=torch.long)
        for i, job in enumerate(batch):  # left padding: every row's next token lands in the same column
            ids[i, width - len(job.prompt_ids):] = torch.tensor(job.prompt_ids, dtype=torch.long)
            mask[i, width - len(job.prompt_ids):] = 1
        rows = _Rows(batch, self.tokenizer, self.eos_ids, width)
        out = self.model.generate(
            input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
            max_new_tokens=max(j.max_new_tokens for j in batch),
            stopping_criteria=StoppingCriteriaList([rows]), streamer=rows,
            pad_token_id=self.pad_id, eos_token_id=sorted(self.eos_ids) or None, **self.gen_kwargs,
        )
        new = out[:, width:].tolist()
        for i, job in enumerate(batch):
            if job.cancelled:
                continue
            if time.monotonic() > job.deadline:
                self.stats.expired += 1
                job.cancel("deadline passed while generating")
                continue
            toks = new[i][: rows.stop_after[i]] if rows.stop_after[i] is not None else new[i]
            cut = next((k for k, t in enumerate(toks) if t in self.eos_ids), None)
            truncated = cut is None and len(toks) >= job.max_new_tokens
            toks = toks[:cut] if cut is not None else toks
            text = self.tokenizer.decode(toks, skip_special_tokens=True)
            self.stats.served += 1
            self.stats.generated_tokens += len(toks)
            job._deliver(_End(JobResult(text, len(toks), truncated), None))
