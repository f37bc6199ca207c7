"""What the generation pool and its runners (step and batch scheduling) promise each other.

The pool owns the queue, admission and the jobs' lifecycle; a runner owns the model's batch. The
runner reports back through ``RunnerEvents`` (given to it at construction) and the pool drives it
through ``Runner``; neither reaches into the other's attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from core.generation.job import Job


class RunnerEvents(Protocol):
    """Implemented by the pool; called on the worker thread."""

    def on_token(self, job: Job, now: float) -> None:
        """A row produced its first token (time to first token)."""

    def finish(self, job: Job, tokens: list[int], truncated: bool) -> None:
        """A row is done: end of sequence, or ``truncated`` by its token limit."""


class Runner(Protocol):
    """Implemented by StepRunner and BatchRunner; driven by the pool's worker thread."""

    # Prefill tokens the pool may admit per iteration (None: no budget, admit up to max_batch).
    prefill_budget: int | None

    @property
    def active(self) -> int:
        """Rows currently decoding."""

    def prefill_cost(self, prompt: list[int]) -> int:
        """Tokens a prefill of ``prompt`` would compute."""

    def admit(self, jobs: list[Job]) -> None: ...

    def step(self) -> None: ...

    def drop_cancelled(self) -> None: ...

    def fail_all(self, reason: str) -> None: ...
