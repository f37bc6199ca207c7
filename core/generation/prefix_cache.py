"""The KV cache of the token prefix every prompt shares, computed once and reused by every prefill.

Every reply prompt starts the same way: the chat template, the system prompt and the fixed lead-in of
the user turn (about 60 of ~210 tokens with SmolLM2). On a CPU, prefill is compute-bound and grows with
the prompt, so recomputing that prefix for every request is about 30% of all prefill work; on a GPU it
is memory traffic and latency under load. vLLM and SGLang call this automatic prefix caching.

The prefix is learned rather than configured, so a change of prompt template needs no setting:
- nothing known yet: the first prompt (minus its last token) becomes the candidate prefix;
- a prompt sharing at least ``min_tokens`` with it shrinks the prefix to what they share (after two
  requests it is exactly the common template part);
- a prompt sharing less (a different template) replaces it.
Keys and values of the first k tokens of a causal model do not depend on later tokens, so a prefix can
be cut shorter by slicing, and any row of any prefill holds a valid prefix for its own prompt.
"""

from __future__ import annotations

from typing import Any

import torch


def common_length(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


class PrefixCache:
    def __init__(self, min_tokens: int = 16) -> None:
        self.min_tokens = min_tokens
        self.ids: list[int] = []
        self.kv: list[tuple[torch.Tensor, torch.Tensor]] = []  # per layer: (1, heads, len, dim) keys, values
        self.hits = 0  # prompts prefilled on top of the cached prefix
        self.reused_tokens = 0  # prefill tokens not computed thanks to it

    def __len__(self) -> int:
        return len(self.ids)

    def usable(self, prompts: list[list[int]]) -> int:
        """Prefix tokens all of ``prompts`` can reuse (0 when below ``min_tokens``).

        At least one token of every prompt is left to compute: its logits give the first reply token.
        """
        if not self.ids or not prompts:
            return 0
        k = min(min(common_length(self.ids, p), len(p) - 1) for p in prompts)
        return k if k >= self.min_tokens else 0

    def seed(self, cache: Any, k: int, rows: int) -> None:
        """Put the first ``k`` cached tokens, repeated for ``rows`` rows, into an empty DynamicCache."""
        for layer, (keys, values) in enumerate(self.kv):
            cache.update(keys[:, :, :k].expand(rows, -1, -1, -1), values[:, :, :k].expand(rows, -1, -1, -1), layer)

    def observe(self, prompt: list[int]) -> bool:
        """Cut the prefix to what ``prompt`` shares with it; False when they share too little."""
        shared = common_length(self.ids, prompt)
        if not self.ids or shared < self.min_tokens:
            return False
        if shared < len(self.ids):
            self.ids = self.ids[:shared]
            self.kv = [(k[:, :, :shared].clone(), v[:, :, :shared].clone()) for k, v in self.kv]
        return True

    def replace(self, prompt: list[int], layers: list[Any], row: int, start: int) -> None:
        """Make ``prompt`` (minus its last token) the prefix; its KV sit in ``layers`` at ``row``, from ``start``."""
        n = len(prompt) - 1
        if n < self.min_tokens:
            return
        self.ids = list(prompt[:n])
        # clone: a view would keep the whole batch's cache alive
        self.kv = [(layer.keys[row:row + 1, :, start:start + n].clone(),
                    layer.values[row:row + 1, :, start:start + n].clone()) for layer in layers]
