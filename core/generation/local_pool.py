"""The local generation pool: one worker thread owns the model, requests from many channels share it.

Scheduling (see docs/generation.md for the measurements behind the default):
- "step" (default where the model supports it, StepRunner): iteration-level batching. Between two
  decoding steps the worker prefills whatever has queued (within a token budget) and merges it into
  the running batch; finished rows leave at once. Nobody waits for somebody else's reply to end.
- "batch" (BatchRunner): take everything queued (up to ``max_batch``), left-pad it, run one
  ``model.generate()``; requests arriving meanwhile wait for the next batch.

Per request: a deadline (checked in the queue and at every step), cancellation (a newer request with
the same ``channel_key`` supersedes the older one, queued or running), streaming (each row's new tokens
are decoded incrementally and handed to the request's asyncio queue), and backpressure (a full queue
refuses at once). Every failure surfaces as GenerationError so callers fall back to the template. The
asyncio event loop never runs model code: results cross over with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from core.generation.base import GenerationError
from core.generation.batch_runner import BatchRunner
from core.generation.job import Job, JobEnd, JobResult
from core.generation.runner import Runner
from core.generation.sampling import Sampler
from core.generation.step_runner import StepRunner, supports_step_batching

log = logging.getLogger("recbot.generation")

__all__ = ["GenerationPool", "Job", "JobResult", "PoolStats"]


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
    # rows decoded together: per forward step (step scheduler) or per generate() call (batch scheduler)
    batch_sizes: deque[int] = field(default_factory=lambda: deque(maxlen=100_000))


class GenerationPool:
    """One worker thread around one causal LM, batching across requests. Submit from the event loop.

    scheduler: "step" (iteration-level batching, StepRunner), "batch" (one generate() per batch,
    BatchRunner) or "auto" (step when the model's cache supports it). ``generation_kwargs`` go to
    generate() in batch mode; the step runner honours ``min_new_tokens`` from them.
    """

    def __init__(self, model: Any, tokenizer: Any, *, max_batch: int = 8, queue_size: int = 64,
                 batch_window_s: float = 0.005, temperature: float = 0.7, top_p: float = 0.9,
                 repetition_penalty: float = 1.1, generation_kwargs: dict[str, Any] | None = None,
                 scheduler: str = "auto", prefill_budget: int | None = None, prefix_cache: bool = True,
                 autostart: bool = True,
                 name: str = "recbot-generation") -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.max_batch = max(1, max_batch)
        self.queue_size = max(1, queue_size)
        self.batch_window_s = batch_window_s
        eos = tokenizer.eos_token_id
        self.eos_ids: set[int] = {eos} if isinstance(eos, int) else set(eos or [])
        gen_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        self.eos_ids |= {gen_eos} if isinstance(gen_eos, int) else set(gen_eos or [])
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(self.eos_ids, default=0)
        extra = dict(generation_kwargs or {})
        if scheduler == "auto":
            scheduler = "step" if supports_step_batching(model) else "batch"
        self.scheduler = scheduler
        self.runner: Runner
        if scheduler == "step":
            # Prefill tokens admitted per iteration: bounds how long a burst of new prompts pauses the
            # rows already decoding (~0.5 s of prefill on 2 CPU cores; a GPU takes far more at once).
            budget = prefill_budget or (8192 if getattr(self.device, "type", "cpu") == "cuda" else 1024)
            sampler = Sampler(self.eos_ids, temperature, top_p, repetition_penalty,
                              int(extra.get("min_new_tokens", 0)))
            self.runner = StepRunner(model, tokenizer, self.eos_ids, self.pad_id, sampler, budget, self,
                                     prefix_cache)
        elif scheduler == "batch":
            gen_kwargs: dict[str, Any] = {"do_sample": temperature > 0, "repetition_penalty": repetition_penalty}
            if temperature > 0:
                gen_kwargs.update(temperature=temperature, top_p=top_p)
            gen_kwargs.update(extra)
            self.runner = BatchRunner(model, tokenizer, self.eos_ids, self.pad_id, gen_kwargs, self)
        else:
            raise ValueError(f"unknown scheduler {scheduler!r} (step, batch or auto)")
        self.stats = PoolStats()
        self._cv = threading.Condition(threading.RLock())
        self._queue: deque[Job] = deque()
        self._by_channel: dict[str, Job] = {}
        self._admitted: set[Job] = set()
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
        job = Job(list(prompt_ids), max_new_tokens, deadline_s, channel_key, stream, asyncio.get_running_loop(),
                  self._forget)
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
            self._admitted.discard(job)
            if job.channel_key and self._by_channel.get(job.channel_key) is job:
                del self._by_channel[job.channel_key]

    async def aclose(self) -> None:
        with self._cv:
            self._closed = True
            jobs = list(self._queue) + list(self._admitted)
            self._cv.notify_all()
        for job in jobs:
            job.cancel("the generation pool is shutting down")
        if self._started:
            await asyncio.to_thread(self._thread.join, 30.0)

    # -- worker thread: RunnerEvents (the runner calls these) -------------------------------------
    def on_token(self, job: Job, now: float) -> None:
        job.t_first_token = now

    def finish(self, job: Job, tokens: list[int], truncated: bool) -> None:
        if job.cancelled:
            return
        text = self.tokenizer.decode(tokens, skip_special_tokens=True)
        self.stats.served += 1
        self.stats.generated_tokens += len(tokens)
        job.deliver(JobEnd(JobResult(text, len(tokens), truncated), None))
        self._forget(job)

    def _take(self) -> list[Job] | None:
        """Jobs to admit now (None: closed). Blocks only while nothing is decoding."""
        idle = self.runner.active == 0
        with self._cv:
            while idle and not self._queue and not self._closed:
                self._cv.wait()
            if self._closed:
                return None
            if not self._queue:
                return []
        room = self.max_batch - self.runner.active
        if idle and self.batch_window_s > 0 and self.queued() < room:
            time.sleep(self.batch_window_s)  # requests of one burst arrive microseconds apart: let them join
        budget = self.runner.prefill_budget
        cost = self.runner.prefill_cost
        taken: list[Job] = []
        tokens = 0
        now = time.monotonic()
        with self._cv:
            while self._queue and len(taken) < room:
                job = self._queue[0]
                if budget is not None and taken and tokens + cost(job.prompt_ids) > budget:
                    break
                self._queue.popleft()
                if job.cancelled:
                    continue
                if now >= job.deadline:
                    self.stats.expired += 1
                    job.cancel("deadline passed while queued")
                    continue
                taken.append(job)
                tokens += cost(job.prompt_ids)
            self._admitted.update(taken)
        return taken

    def _work(self) -> None:
        import torch

        with torch.inference_mode():
            while True:
                jobs = self._take()
                if jobs is None:
                    break
                try:
                    if jobs:
                        # Recorded before admit(): in batch mode the results are out when it returns.
                        size = self.runner.active + len(jobs)
                        self.stats.batches += 1
                        self.stats.max_batch_seen = max(self.stats.max_batch_seen, size)
                        for job in jobs:
                            job.batch_size = size
                        if self.scheduler == "batch":
                            self.stats.batch_sizes.append(len(jobs))
                        self.runner.admit(jobs)
                    self.runner.drop_cancelled()
                    if self.runner.active:
                        self.stats.batch_sizes.append(self.runner.active)
                        self.runner.step()
                except Exception as exc:  # one bad batch must not kill the worker
                    log.exception("generation failed for a batch")
                    with self._cv:
                        victims = set(jobs) | self._admitted
                    self.stats.failed += len(victims)
                    for job in victims:
                        job.cancel(f"generation failed: {exc}")
                    self.runner.fail_all(f"generation failed: {exc}")
                finally:
                    if self.scheduler == "batch":
                        for job in jobs or []:
                            self._forget(job)
            self.runner.fail_all("the generation pool is shutting down")
