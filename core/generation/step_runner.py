"""Iteration-level batching: requests join and leave the running batch between decoding steps.

The worker alternates two moves. *Admit*: prefill newly queued prompts together (left-padded, within a
token budget so a burst cannot stall running rows for long), sample each one's first token (its time to
first token is one prefill), and merge their KV cache into the running batch (the shorter side is
left-padded with masked zeros). *Step*: feed every row's last token through the model once (one
forward for the whole batch, each row with its own position ids), sample, stream, and drop rows that
finished, were cancelled or missed their deadline (their cache rows are removed at once; leading
columns nobody attends to any more are trimmed).

Compared with one ``model.generate()`` per batch, nobody waits for a running batch to end, and a
finished row stops costing compute. This is the scheduling vLLM/TGI use, minus paged attention.
Works for decoder-only models whose cache is made of full-attention DynamicLayer (Llama, Qwen2,
SmolLM, Mistral without sliding window, ...); other models use the BatchRunner.
"""

from __future__ import annotations

import inspect
import time
from typing import TYPE_CHECKING, Any

import torch

from core.generation.prefix_cache import PrefixCache
from core.generation.sampling import Sampler

if TYPE_CHECKING:
    from core.generation.job import Job
    from core.generation.runner import RunnerEvents


class _Row:
    __slots__ = ("job", "tokens", "sent")

    def __init__(self, job: Job) -> None:
        self.job = job
        self.tokens: list[int] = []
        self.sent = ""


def _layers(cache: Any) -> list[Any]:
    layers = getattr(cache, "layers", None)
    if layers is None or any(not hasattr(layer, "keys") for layer in layers):
        raise TypeError("step batching needs a cache made of DynamicLayer (keys/values tensors)")
    return list(layers)


def supports_step_batching(model: Any) -> bool:
    """Full-attention decoder-only models with the layered DynamicCache (transformers >= 5)."""
    try:
        from transformers import DynamicCache

        cache = DynamicCache(config=model.config)
        layers = getattr(cache, "layers", None)
        return bool(layers) and all(type(layer).__name__ == "DynamicLayer" for layer in layers)
    except Exception:
        return False


class StepRunner:
    def __init__(self, model: Any, tokenizer: Any, eos_ids: set[int], pad_id: int, sampler: Sampler,
                 prefill_budget: int, events: RunnerEvents, prefix_cache: bool = True) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.eos_ids = eos_ids
        self.pad_id = pad_id
        self.sampler = sampler
        self.prefill_budget: int | None = prefill_budget
        self.prefix = PrefixCache() if prefix_cache else None
        self.device = model.device
        params = inspect.signature(model.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self._keep_kw = "logits_to_keep" if "logits_to_keep" in params else None
        self.rows: list[_Row] = []
        self.cache: Any = None
        self.mask: torch.Tensor | None = None  # (B, T) 1 where a cached position is real
        self.last: torch.Tensor | None = None  # (B,) token sampled last step, not yet fed
        self.pos: torch.Tensor | None = None  # (B,) position id of `last`
        self.seen: torch.Tensor | None = None  # (B, V) tokens in prompt+reply, for the repetition penalty
        self.events = events  # first token of a row, and a finished row, are reported here

    @property
    def active(self) -> int:
        return len(self.rows)

    # ---- admission ------------------------------------------------------------------------------
    def prefill_cost(self, prompt: list[int]) -> int:
        """Tokens a prefill of ``prompt`` computes (the cached shared prefix is not recomputed)."""
        return len(prompt) - (self.prefix.usable([prompt]) if self.prefix else 0)

    def admit(self, jobs: list[Job]) -> None:
        if not jobs:
            return
        from transformers import DynamicCache

        prompts = [j.prompt_ids for j in jobs]
        n = len(jobs)
        # Rows start with the k cached prefix tokens (identical for all), then each row's own suffix,
        # left-padded to a common width: [prefix | pad.. suffix]. The mask covers the holes and
        # position ids run on from k, so a row sees exactly its own prompt.
        k = self.prefix.usable(prompts) if self.prefix else 0
        suffixes = [p[k:] for p in prompts]
        width = max(len(s) for s in suffixes)
        ids = torch.full((n, width), self.pad_id, dtype=torch.long)
        own = torch.zeros((n, width), dtype=torch.long)
        for i, suffix in enumerate(suffixes):
            ids[i, width - len(suffix):] = torch.tensor(suffix, dtype=torch.long)
            own[i, width - len(suffix):] = 1
        ids, own = ids.to(self.device), own.to(self.device)
        cache = DynamicCache(config=self.model.config)
        mask, all_ids = own, ids
        if k:
            assert self.prefix is not None
            self.prefix.seed(cache, k, n)
            self.prefix.hits += n
            self.prefix.reused_tokens += n * k
            mask = torch.cat([torch.ones((n, k), dtype=torch.long, device=self.device), own], dim=1)
            head = torch.tensor(self.prefix.ids[:k], dtype=torch.long, device=self.device)
            all_ids = torch.cat([head.expand(n, -1), ids], dim=1)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, k:]
        kwargs: dict[str, Any] = {self._cache_kw: cache, "use_cache": True}
        if self._keep_kw:
            kwargs[self._keep_kw] = 1  # only the last position's logits: (n, V), not (n, width, V)
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, **kwargs)
        if self.prefix is not None:
            for i, prompt in enumerate(prompts):
                if not self.prefix.observe(prompt) and not k:
                    self.prefix.replace(prompt, _layers(cache), i, width - len(prompt))
        seen = self.sampler.seen_matrix(all_ids, mask, out.logits.shape[-1])
        rows = [_Row(j) for j in jobs]
        first = self.sampler.sample(out.logits[:, -1, :], seen, [0] * n)
        self._merge(cache, mask, rows, first, mask.sum(-1), seen)
        self._accept(first.tolist(), list(range(len(self.rows) - n, len(self.rows))))

    def _merge(self, cache: Any, mask: torch.Tensor, rows: list[_Row], last: torch.Tensor, pos: torch.Tensor,
               seen: torch.Tensor) -> None:
        if not self.rows:
            self.cache, self.mask, self.last, self.pos, self.seen = cache, mask, last, pos, seen
            self.rows = rows
            return
        assert self.mask is not None and self.last is not None and self.pos is not None and self.seen is not None
        width = max(self.mask.shape[1], mask.shape[1])
        old_pad, new_pad = width - self.mask.shape[1], width - mask.shape[1]
        for mine, theirs in zip(_layers(self.cache), _layers(cache), strict=True):
            mine.keys = torch.cat([_left_pad(mine.keys, old_pad), _left_pad(theirs.keys, new_pad)], dim=0)
            mine.values = torch.cat([_left_pad(mine.values, old_pad), _left_pad(theirs.values, new_pad)], dim=0)
        self.mask = torch.cat([_left_pad(self.mask, old_pad, dim=1), _left_pad(mask, new_pad, dim=1)], dim=0)
        self.last = torch.cat([self.last, last])
        self.pos = torch.cat([self.pos, pos])
        self.seen = torch.cat([self.seen, seen])
        self.rows += rows

    # ---- decoding -------------------------------------------------------------------------------
    def step(self) -> None:
        if not self.rows:
            return
        assert self.mask is not None and self.last is not None and self.pos is not None and self.seen is not None
        self.mask = torch.cat([self.mask, torch.ones_like(self.mask[:, :1])], dim=1)
        kwargs: dict[str, Any] = {self._cache_kw: self.cache, "use_cache": True}
        out = self.model(input_ids=self.last[:, None], attention_mask=self.mask, position_ids=self.pos[:, None],
                         **kwargs)
        self.pos = self.pos + 1
        self.last = self.sampler.sample(out.logits[:, -1, :], self.seen, [len(r.tokens) for r in self.rows])
        self._accept(self.last.tolist(), list(range(len(self.rows))))

    def _accept(self, tokens: list[int], indices: list[int]) -> None:
        """Record each row's new token; stream it; retire rows that are done."""
        now = time.monotonic()
        done: list[int] = []
        for i, tok in zip(indices, tokens, strict=True):
            row = self.rows[i]
            job = row.job
            if job.cancelled:
                done.append(i)
                continue
            if tok in self.eos_ids:
                self.events.finish(job, row.tokens, False)
                done.append(i)
                continue
            row.tokens.append(tok)
            if len(row.tokens) == 1:
                self.events.on_token(job, now)
            if job.stream:
                text = self.tokenizer.decode(row.tokens, skip_special_tokens=True)
                if text.startswith(row.sent) and not text.endswith("\ufffd") and len(text) > len(row.sent):
                    job.deliver(text[len(row.sent):])
                    row.sent = text
            if now > job.deadline:
                job.cancel("deadline passed while generating")
                done.append(i)
            elif len(row.tokens) >= job.max_new_tokens:
                self.events.finish(job, row.tokens, True)
                done.append(i)
        if done:
            self._retire(done)

    def drop_cancelled(self) -> None:
        """Free the rows of requests cancelled since the last step (superseded, caller gone)."""
        gone = [i for i, r in enumerate(self.rows) if r.job.cancelled or time.monotonic() > r.job.deadline]
        for i in gone:
            if not self.rows[i].job.cancelled:
                self.rows[i].job.cancel("deadline passed while generating")
        if gone:
            self._retire(gone)

    def _retire(self, indices: list[int]) -> None:
        keep = [i for i in range(len(self.rows)) if i not in set(indices)]
        if not keep:
            self.rows, self.cache, self.mask, self.last, self.pos, self.seen = [], None, None, None, None, None
            return
        assert self.mask is not None and self.last is not None and self.pos is not None and self.seen is not None
        idx = torch.tensor(keep, device=self.device)
        mask = self.mask[idx]
        # Columns no remaining row attends to (left padding of rows that left) need not be kept.
        start = int(mask.any(dim=0).int().argmax())
        for layer in _layers(self.cache):
            layer.keys = layer.keys[idx, :, start:, :]
            layer.values = layer.values[idx, :, start:, :]
        self.mask = mask[:, start:]
        self.last, self.pos, self.seen = self.last[idx], self.pos[idx], self.seen[idx]
        self.rows = [self.rows[i] for i in keep]

    def fail_all(self, reason: str) -> None:
        for row in self.rows:
            row.job.cancel(reason)
        self._retire(list(range(len(self.rows))))


def _left_pad(t: torch.Tensor, n: int, dim: int = 2) -> torch.Tensor:
    if n == 0:
        return t
    shape = list(t.shape)
    shape[dim] = n
    return torch.cat([t.new_zeros(shape), t], dim=dim)
