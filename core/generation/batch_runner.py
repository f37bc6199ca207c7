"""Whole-batch decoding: one ``model.generate()`` per batch (the pool's alternative to the StepRunner).

Kept for models the step runner does not support (sliding-window or hybrid caches) and as the measured
comparison (docs/generation.md). A request that arrives while a batch runs waits for the batch to end;
a finished, cancelled or expired row stops at the next step (per-row stopping criterion) but keeps its
slot until the batch ends.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.generation.job import Job
    from core.generation.runner import RunnerEvents


class _Rows:
    """Per-row decoding state of one batch, shared by the stopping criterion and the streamer."""

    def __init__(self, jobs: list[Job], tokenizer: Any, eos_ids: set[int], prompt_len: int,
                 events: RunnerEvents) -> None:
        self.jobs = jobs
        self.events = events
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
            if self.generated[i] == 1:
                self.events.on_token(job, now)
            if job.stream and not job.cancelled:
                self.tokens[i].append(tok)
                text = self.tokenizer.decode(self.tokens[i], skip_special_tokens=True)
                # A trailing U+FFFD is half a multi-byte character: wait for the rest.
                if text.startswith(self.sent[i]) and not text.endswith("\ufffd") and len(text) > len(self.sent[i]):
                    job.deliver(text[len(self.sent[i]):])
                    self.sent[i] = text

    def end(self) -> None:
        return None


class BatchRunner:
    def __init__(self, model: Any, tokenizer: Any, eos_ids: set[int], pad_id: int,
                 gen_kwargs: dict[str, Any], events: RunnerEvents) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.eos_ids = eos_ids
        self.pad_id = pad_id
        self.gen_kwargs = gen_kwargs
        self.events = events

    active = 0  # the whole batch runs inside admit()
    prefill_budget: int | None = None  # admit() takes whatever the pool's max_batch allows

    def prefill_cost(self, prompt: list[int]) -> int:
        return len(prompt)

    def step(self) -> None:
        return None

    def drop_cancelled(self) -> None:
        return None

    def fail_all(self, reason: str) -> None:
        return None

    def admit(self, batch: list[Job]) -> None:
        import torch
        from transformers import StoppingCriteriaList

        n = len(batch)
        width = max(len(j.prompt_ids) for j in batch)
        ids = torch.full((n, width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((n, width), dtype=torch.long)
        for i, job in enumerate(batch):  # left padding: every row's next token lands in the same column
            ids[i, width - len(job.prompt_ids):] = torch.tensor(job.prompt_ids, dtype=torch.long)
            mask[i, width - len(job.prompt_ids):] = 1
        rows = _Rows(batch, self.tokenizer, self.eos_ids, width, self.events)
        longest = max(j.max_new_tokens for j in batch)
        kwargs = dict(self.gen_kwargs)
        if "min_new_tokens" in kwargs:
            kwargs["min_new_tokens"] = min(int(kwargs["min_new_tokens"]), longest)
        out = self.model.generate(
            input_ids=ids.to(self.model.device), attention_mask=mask.to(self.model.device),
            max_new_tokens=longest, stopping_criteria=StoppingCriteriaList([rows]), streamer=rows,
            pad_token_id=self.pad_id, eos_token_id=sorted(self.eos_ids) or None, **kwargs,
        )
        new = out[:, width:].tolist()
        for i, job in enumerate(batch):
            if job.cancelled:
                continue
            if time.monotonic() > job.deadline:
                job.cancel("deadline passed while generating")
                continue
            toks = new[i][: rows.stop_after[i]] if rows.stop_after[i] is not None else new[i]
            cut = next((k for k, t in enumerate(toks) if t in self.eos_ids), None)
            truncated = cut is None and len(toks) >= job.max_new_tokens
            self.events.finish(job, toks[:cut] if cut is not None else toks, truncated)
