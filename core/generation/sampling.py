"""Token selection for the step runner: repetition penalty, temperature, top-p, min length; greedy at 0.

Kept here (not transformers' logits processors) because rows in a step batch have different lengths
and histories; the penalty works from a per-row "seen" boolean matrix instead of padded id tensors.
"""

from __future__ import annotations

import torch


class Sampler:
    def __init__(self, eos_ids: set[int], temperature: float = 0.7, top_p: float = 0.9,
                 repetition_penalty: float = 1.1, min_new_tokens: int = 0) -> None:
        self.eos = sorted(eos_ids)
        self.temperature = temperature
        self.top_p = top_p
        self.penalty = repetition_penalty
        self.min_new_tokens = min_new_tokens

    def seen_matrix(self, ids: torch.Tensor, mask: torch.Tensor, vocab: int) -> torch.Tensor:
        """(n, vocab) bool: which tokens each row's (unpadded) prompt contains."""
        # Counting (scatter_add) rather than writing booleans: a pad id that also occurs in the prompt
        # (ChatML pads with <|im_end|>) must not erase the real occurrence.
        counts = torch.zeros((ids.shape[0], vocab), dtype=torch.int32, device=ids.device)
        counts.scatter_add_(1, ids.clamp(0, vocab - 1), mask.to(torch.int32))
        return counts > 0

    def sample(self, logits: torch.Tensor, seen: torch.Tensor, generated: list[int]) -> torch.Tensor:
        """Next token per row; marks it in ``seen``."""
        scores = logits.float()
        if self.penalty != 1.0:
            penalized = torch.where(scores > 0, scores / self.penalty, scores * self.penalty)
            scores = torch.where(seen, penalized, scores)
        if self.min_new_tokens and self.eos:
            young = torch.tensor([n < self.min_new_tokens for n in generated], device=scores.device)
            if bool(young.any()):
                eos = torch.tensor(self.eos, device=scores.device)
                scores[young.nonzero(as_tuple=True)[0][:, None], eos[None, :]] = float("-inf")
        if self.temperature <= 0:
            chosen = scores.argmax(dim=-1)
        else:
            probs = torch.softmax(scores / self.temperature, dim=-1)
            if self.top_p < 1.0:
                sorted_probs, order = probs.sort(dim=-1, descending=True)
                # keep the smallest prefix whose mass reaches top_p (always at least the top token)
                drop = sorted_probs.cumsum(dim=-1) - sorted_probs > self.top_p
                sorted_probs = sorted_probs.masked_fill(drop, 0.0)
                probs = torch.zeros_like(probs).scatter_(1, order, sorted_probs)
            chosen = torch.multinomial(probs, num_samples=1).squeeze(1)
        seen.scatter_(1, chosen[:, None], True)
        return chosen
