"""GenerationPool mechanics on a tiny random-weight Llama (real transformers generate, real threads).

Waiting is never timed: each test makes the situation it checks happen (autostart=False to queue
requests before the worker runs; a first streamed piece to know a row is decoding).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest

from benchmarks.tiny_models import tiny_llama, tiny_tokenizer
from core.generation.base import GenerationError, GenerationRequest, GroundedItem
from core.generation.factory import FallbackGenerator, GenerationSettings, build_generator
from core.generation.local_pool import GenerationPool
from core.generation.model_loading import LoadedModel
from core.generation.template import TemplateGenerator, template_text
from core.generation.transformers_backend import LocalGenerator, prompt_ids


@pytest.fixture(scope="module")
def tiny() -> tuple[Any, Any]:
    tok = tiny_tokenizer()
    return tiny_llama(tok), tok


@pytest.fixture(params=["step", "batch"])
def scheduler(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_pool(tiny: tuple[Any, Any], *, fixed: int | None = None, scheduler: str = "step",
              **kwargs: Any) -> GenerationPool:
    model, tok = tiny
    # min_new_tokens makes every reply exactly as long as asked (a random model may emit EOS anywhere).
    gen = {"min_new_tokens": fixed} if fixed else {}
    return GenerationPool(model, tok, generation_kwargs=gen, scheduler=scheduler, **kwargs)


def ids(tiny: tuple[Any, Any], text: str = "Here are some picks you might enjoy") -> list[int]:
    return list(tiny[1](text, add_special_tokens=False)["input_ids"])


async def until(condition: Callable[[], bool]) -> None:
    """Poll a condition another thread makes true (no wall-clock assertion: only the order matters)."""
    for _ in range(6_000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")


ITEM = GroundedItem("Alien", 1979, "tense sci-fi horror", "Ridley Scott", "A crew meets a creature.", "movie")
REQ = GenerationRequest(kind="recommend", user_text="something tense", items=(ITEM,), intro="A tense pick:")


async def test_concurrent_requests_are_served_in_one_batch(tiny: tuple[Any, Any], scheduler: str) -> None:
    pool = make_pool(tiny, scheduler=scheduler, fixed=6, max_batch=8, autostart=False)
    prompts = [ids(tiny, "Here are"), ids(tiny, "These movies and books share a dark, tense mood"), ids(tiny)]
    jobs = [pool.submit(prompts[i % 3], max_new_tokens=6, deadline_s=60, channel_key=f"c{i}") for i in range(5)]
    pool.start()
    results = await asyncio.gather(*(j.result() for j in jobs))
    assert [r.tokens for r in results] == [6] * 5
    assert pool.stats.batches == 1 and pool.stats.max_batch_seen == 5
    assert {j.batch_size for j in jobs} == {5}
    await pool.aclose()


async def test_left_padding_gives_each_row_its_own_output(tiny: tuple[Any, Any], scheduler: str) -> None:
    """Greedy decoding of a prompt alone and inside a padded batch must agree (padding is masked)."""
    pool = make_pool(tiny, scheduler=scheduler, fixed=5, max_batch=8, temperature=0.0, repetition_penalty=1.0, autostart=False)
    short, long_ = ids(tiny, "Here are"), ids(tiny, "These movies and books share a dark, tense mood and great")
    batched = [pool.submit(p, max_new_tokens=5, deadline_s=60) for p in (short, long_)]
    pool.start()
    together = [r.text for r in await asyncio.gather(*(j.result() for j in batched))]
    alone = [(await pool.submit(p, max_new_tokens=5, deadline_s=60).result()).text for p in (short, long_)]
    assert together == alone
    await pool.aclose()


async def test_max_batch_splits_the_queue(tiny: tuple[Any, Any], scheduler: str) -> None:
    pool = make_pool(tiny, fixed=3, max_batch=2, autostart=False, scheduler=scheduler)
    jobs = [pool.submit(ids(tiny), max_new_tokens=3, deadline_s=60) for _ in range(5)]
    pool.start()
    await asyncio.gather(*(j.result() for j in jobs))
    assert pool.stats.batches == 3 and pool.stats.max_batch_seen == 2
    if scheduler == "batch":
        assert list(pool.stats.batch_sizes) == [2, 2, 1]
    await pool.aclose()


async def test_step_rows_join_a_running_batch_and_match_unbatched_decoding(tiny: tuple[Any, Any]) -> None:
    """A request admitted while another decodes gets exactly its standalone greedy output."""
    import torch

    model, tok = tiny
    prompts = [ids(tiny, "Here are"), ids(tiny, "These movies and books share a dark, tense mood and great"),
               ids(tiny, "Facts: a movie by a director")]
    alone = []
    for p in prompts:
        x = torch.tensor([p])
        out = model.generate(input_ids=x, attention_mask=torch.ones_like(x), max_new_tokens=8, min_new_tokens=8,
                             do_sample=False, pad_token_id=tok.pad_token_id)
        alone.append(tok.decode(out[0, len(p):], skip_special_tokens=True))
    pool = make_pool(tiny, fixed=8, temperature=0.0, repetition_penalty=1.0, scheduler="step")
    first = pool.submit(prompts[0], max_new_tokens=8, deadline_s=60, stream=True)
    pieces = first.pieces()
    await pieces.__anext__()  # the first row is decoding; the others join it
    later = [pool.submit(p, max_new_tokens=8, deadline_s=60) for p in prompts[1:]]
    _ = [p async for p in pieces]
    joined = [first.outcome.text if first.outcome else None] + [(await j.result()).text for j in later]
    assert joined == alone
    assert pool.stats.batches == 2 and pool.stats.max_batch_seen == 3
    assert pool.stats.batch_sizes[0] == 1 and 3 in pool.stats.batch_sizes
    await until(lambda: pool.runner.active == 0)  # finished rows leave the batch
    await pool.aclose()


async def test_shared_prompt_prefix_is_computed_once_and_changes_no_output(tiny: tuple[Any, Any]) -> None:
    """Prefix caching: same greedy tokens (repetition penalty on) as without it, for batched and joining rows."""
    asks = ["something tense", "a dark drama for tonight please", "comedies", "a book like Dune", "thrillers!"]
    prompts = [prompt_ids(tiny[1], dataclasses.replace(REQ, user_text=a)) for a in asks]

    async def run(prefix_cache: bool) -> tuple[list[str], GenerationPool]:
        pool = make_pool(tiny, fixed=6, temperature=0.0, repetition_penalty=1.3, prefix_cache=prefix_cache)
        first = pool.submit(prompts[0], max_new_tokens=6, deadline_s=60, stream=True)
        pieces = first.pieces()
        await pieces.__anext__()  # row 0 is decoding; two join it, then two more arrive together
        texts = [(await pool.submit(p, max_new_tokens=6, deadline_s=60).result()).text for p in prompts[1:2]]
        rest = [pool.submit(p, max_new_tokens=6, deadline_s=60) for p in prompts[2:]]
        texts += [(await j.result()).text for j in rest]
        _ = [p async for p in pieces]
        assert first.outcome is not None
        await pool.aclose()
        return [first.outcome.text, *texts], pool

    cached, pool = await run(True)
    plain, _ = await run(False)
    assert cached == plain
    prefix = pool.runner.prefix  # type: ignore[union-attr]
    shared = next(i for i, (a, b) in enumerate(zip(prompts[0], prompts[1], strict=False)) if a != b)
    assert len(prefix) == shared >= 16  # learned: exactly the template part all prompts share
    assert prefix.hits == len(prompts) - 1 and prefix.reused_tokens == shared * (len(prompts) - 1)
    assert pool.runner.prefill_cost(prompts[2]) == len(prompts[2]) - shared  # type: ignore[union-attr]


def tiny_qwen2(tok: Any) -> Any:
    """Qwen2 (the GPU benchmark's family): biased q/k/v projections, GQA, tied embeddings."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(1)
    return Qwen2ForCausalLM(Qwen2Config(
        vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=4096, eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id)).eval()


@pytest.mark.parametrize("family", ["llama", "qwen2"])
def test_prefix_cached_prefill_and_steps_give_the_same_logits(tiny: tuple[Any, Any], family: str) -> None:
    """Rows prefilled on the cached prefix (with holes between prefix and suffix) see exactly their prompt."""
    import math
    from types import SimpleNamespace

    import torch

    from core.generation.sampling import Sampler
    from core.generation.step_runner import StepRunner

    model, tok = tiny
    if family == "qwen2":
        model = tiny_qwen2(tok)
    asks = ["something tense", "a dark drama for tonight please", "comedies"]
    prompts = [prompt_ids(tok, dataclasses.replace(REQ, user_text=a)) for a in asks]

    def run(prefix_cache: bool) -> tuple[list[torch.Tensor], StepRunner]:
        ignore = SimpleNamespace(on_token=lambda *a: None, finish=lambda *a: None)
        runner = StepRunner(model, tok, {tok.eos_token_id}, tok.pad_token_id,
                            Sampler(set(), temperature=0.0, repetition_penalty=1.3), 4096, ignore, prefix_cache)
        logits: list[torch.Tensor] = []
        sample = runner.sampler.sample
        runner.sampler.sample = lambda x, *a: (logits.append(x.clone()), sample(x, *a))[1]  # type: ignore[method-assign]
        jobs = [SimpleNamespace(prompt_ids=p, cancelled=False, stream=False, deadline=math.inf, max_new_tokens=9)
                for p in prompts]
        with torch.inference_mode():
            runner.admit(jobs[:1])
            runner.step()
            runner.admit(jobs[1:])  # both on the prefix learned from the first, joining a running row
            runner.step()
            runner.step()
        return logits, runner

    cached, runner = run(True)
    plain, _ = run(False)
    assert runner.prefix is not None and runner.prefix.hits == 2 and len(runner.prefix) >= 16
    assert [t.shape for t in cached] == [t.shape for t in plain]
    for a, b in zip(cached, plain, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    with torch.inference_mode():  # and the first token's logits are those of the whole prompt, alone
        for prompt, got in zip(prompts[1:], cached[2], strict=True):
            torch.testing.assert_close(got, model(input_ids=torch.tensor([prompt])).logits[0, -1], atol=1e-5, rtol=1e-4)


async def test_full_queue_refuses_at_once(tiny: tuple[Any, Any], scheduler: str) -> None:
    pool = make_pool(tiny, scheduler=scheduler, fixed=2, queue_size=2, autostart=False)
    a = pool.submit(ids(tiny), max_new_tokens=2, deadline_s=60)
    b = pool.submit(ids(tiny), max_new_tokens=2, deadline_s=60)
    with pytest.raises(GenerationError, match="queue full"):
        pool.submit(ids(tiny), max_new_tokens=2, deadline_s=60)
    assert pool.stats.rejected == 1
    pool.start()
    await asyncio.gather(a.result(), b.result())
    pool.submit(ids(tiny), max_new_tokens=2, deadline_s=60)  # room again once the queue drained
    await pool.aclose()


async def test_newer_request_supersedes_a_queued_one(tiny: tuple[Any, Any], scheduler: str) -> None:
    pool = make_pool(tiny, scheduler=scheduler, fixed=3, autostart=False)
    old = pool.submit(ids(tiny), max_new_tokens=3, deadline_s=60, channel_key="discord:g:c1")
    other = pool.submit(ids(tiny), max_new_tokens=3, deadline_s=60, channel_key="discord:g:c2")
    new = pool.submit(ids(tiny), max_new_tokens=3, deadline_s=60, channel_key="discord:g:c1")
    with pytest.raises(GenerationError, match="superseded"):
        await old.result()
    pool.start()
    assert (await new.result()).tokens == 3 and (await other.result()).tokens == 3
    assert pool.stats.batches == 1 and pool.stats.max_batch_seen == 2  # the superseded one never ran
    await pool.aclose()


async def test_newer_request_stops_a_running_one(tiny: tuple[Any, Any], scheduler: str) -> None:
    pool = make_pool(tiny, scheduler=scheduler, fixed=1_000_000, max_batch=4)
    # Effectively endless: if superseding did not stop this row, `new` (next batch) would miss its deadline.
    old = pool.submit(ids(tiny), max_new_tokens=1_000_000, deadline_s=600, channel_key="c1", stream=True)
    pieces = old.pieces()
    await pieces.__anext__()  # the old row is decoding now
    new = pool.submit(ids(tiny), max_new_tokens=3, deadline_s=120, channel_key="c1")
    with pytest.raises(GenerationError, match="superseded"):
        async for _ in pieces:
            pass
    assert (await new.result()).tokens >= 1
    await pool.aclose()


async def test_deadline_passed_while_queued(tiny: tuple[Any, Any], scheduler: str) -> None:
    pool = make_pool(tiny, scheduler=scheduler, fixed=2, autostart=False)
    late = pool.submit(ids(tiny), max_new_tokens=2, deadline_s=0.01)
    ok = pool.submit(ids(tiny), max_new_tokens=2, deadline_s=60)
    with pytest.raises(GenerationError, match="deadline"):
        await late.result()
    pool.start()
    assert (await ok.result()).tokens == 2
    assert pool.stats.batches == 1 and pool.stats.max_batch_seen == 1
    await pool.aclose()


async def test_deadline_stops_a_long_generation_and_the_worker_goes_on(tiny: tuple[Any, Any], scheduler: str) -> None:
    pool = make_pool(tiny, scheduler=scheduler, fixed=1_000_000)
    slow = pool.submit(ids(tiny), max_new_tokens=1_000_000, deadline_s=0.3)
    with pytest.raises(GenerationError, match="deadline"):
        await slow.result()
    after = pool.submit(ids(tiny), max_new_tokens=2, deadline_s=120)
    assert (await after.result()).tokens >= 1
    await pool.aclose()


async def test_stream_pieces_add_up_to_the_result(tiny: tuple[Any, Any], scheduler: str) -> None:
    pool = make_pool(tiny, scheduler=scheduler, fixed=12)
    job = pool.submit(ids(tiny), max_new_tokens=12, deadline_s=60, stream=True)
    pieces = [p async for p in job.pieces()]
    assert job.outcome is not None and job.outcome.tokens == 12 and job.outcome.truncated
    assert len(pieces) >= 2 and job.outcome.text.startswith("".join(pieces))
    assert job.t_first_token is not None
    await pool.aclose()


async def test_event_loop_runs_while_the_model_works(tiny: tuple[Any, Any], scheduler: str) -> None:
    pool = make_pool(tiny, scheduler=scheduler, fixed=100_000)
    job = pool.submit(ids(tiny), max_new_tokens=100_000, deadline_s=600, stream=True)
    pieces = job.pieces()
    await pieces.__anext__()
    ticks = 0
    for _ in range(5):
        await asyncio.sleep(0.001)
        ticks += 1
    assert ticks == 5 and job.t_done is None  # the loop kept running while the row was still decoding
    assert threading.current_thread() is not pool._thread
    job.cancel("test done")
    await pool.aclose()


async def test_a_failing_batch_fails_its_requests_and_the_worker_survives(tiny: tuple[Any, Any], scheduler: str) -> None:
    pool = make_pool(tiny, scheduler=scheduler)
    bad = pool.submit([10**7], max_new_tokens=2, deadline_s=60)  # token id outside the vocabulary
    with pytest.raises(GenerationError, match="generation failed"):
        await bad.result()
    assert (await pool.submit(ids(tiny), max_new_tokens=2, deadline_s=60).result()).tokens >= 1
    await pool.aclose()


async def test_closed_pool_refuses(tiny: tuple[Any, Any]) -> None:
    pool = make_pool(tiny)
    await pool.aclose()
    with pytest.raises(GenerationError, match="closed"):
        pool.submit(ids(tiny), max_new_tokens=2, deadline_s=60)


# ---- the Generator on top, and the fallback ------------------------------------------------------

def loaded(tiny: tuple[Any, Any]) -> LoadedModel:
    return LoadedModel(tiny[0], tiny[1], "cpu", None, "tiny")


async def test_local_generator_grounds_or_raises(tiny: tuple[Any, Any]) -> None:
    gen = LocalGenerator(loaded(tiny), max_new_tokens=16)
    assert prompt_ids(tiny[1], REQ)[:1] == [tiny[1].bos_token_id]  # chat template applied
    try:
        text = await gen.generate(REQ)
    except GenerationError:
        pass  # random weights usually ground to nothing; that is the fallback signal
    else:
        # No "@" that starts a name can survive grounding (a stray "@" before a symbol pings no one).
        assert text and not re.search(r"[@＠﹫]\s*\w|<[@#!]", text)
    await gen.aclose()


async def test_fallback_on_deadline_gives_the_template(tiny: tuple[Any, Any]) -> None:
    gen = FallbackGenerator(LocalGenerator(loaded(tiny), max_new_tokens=1_000_000,
                                           generation_kwargs={"min_new_tokens": 1_000_000}))
    req = GenerationRequest(kind="recommend", user_text="x", items=(ITEM,), intro="A tense pick:",
                            max_new_tokens=1_000_000, deadline_s=0.3)
    assert await gen.generate(req) == "A tense pick:"
    assert gen.fallbacks == 1 and "deadline" in gen.last_error
    # Streaming releases checked sentences as they complete, so within 0.3 s a random model can
    # already have shown one (then no template follows, by design). A deadline no model can meet
    # makes the stream's fallback deterministic.
    instant = GenerationRequest(kind="recommend", user_text="x", items=(ITEM,), intro="A tense pick:",
                                max_new_tokens=1_000_000, deadline_s=0.001)
    assert [p async for p in gen.stream(instant)] == ["A tense pick:"]
    await gen.aclose()


async def test_fallback_when_queue_is_full(tiny: tuple[Any, Any]) -> None:
    inner = LocalGenerator(loaded(tiny), max_batch=1, queue_size=1, max_new_tokens=1_000_000,
                           generation_kwargs={"min_new_tokens": 1_000_000})
    gen = FallbackGenerator(inner)
    long_req = GenerationRequest(kind="recommend", user_text="x", items=(ITEM,), intro="A tense pick:",
                                 max_new_tokens=1_000_000, deadline_s=60, channel_key="a")
    busy = asyncio.create_task(inner.generate(long_req))  # occupies the worker
    pool = await inner._pool(float("inf"))
    await until(lambda: pool.stats.batches > 0)
    queued = asyncio.create_task(inner.generate(dataclasses.replace(long_req, user_text="y", channel_key="b")))
    await until(lambda: pool.queued() > 0)
    third = GenerationRequest(kind="recommend", user_text="z", items=(ITEM,), intro="Third:", channel_key="c")
    assert await gen.generate(third) == "Third:"
    assert "queue full" in gen.last_error
    busy.cancel()
    queued.cancel()
    await asyncio.gather(busy, queued, return_exceptions=True)
    await gen.aclose()


async def test_background_loading_and_load_failures(tiny: tuple[Any, Any]) -> None:
    release = threading.Event()

    def slow_loader() -> LoadedModel:
        release.wait(30)
        return loaded(tiny)

    gen = FallbackGenerator(LocalGenerator(slow_loader, max_new_tokens=4))
    early = GenerationRequest(kind="chat", user_text="hi", intro="Hello!", deadline_s=0.2)
    assert await gen.generate(early) == "Hello!" and "still loading" in gen.last_error
    release.set()
    assert await gen.wait_ready(30)
    await gen.generate(GenerationRequest(kind="chat", user_text="hi", intro="Hello!"))  # model or template
    await gen.aclose()

    def broken() -> LoadedModel:
        raise RuntimeError("no such model")

    failing = FallbackGenerator(LocalGenerator(broken))
    assert not await failing.wait_ready(5)
    assert await failing.generate(early) == "Hello!" and "failed to load" in failing.last_error
    await failing.aclose()


async def test_build_generator_backends(tmp_path: Any) -> None:
    assert isinstance(build_generator(GenerationSettings(backend="template")), TemplateGenerator)
    with pytest.raises(ValueError):
        build_generator(GenerationSettings(backend="nope"))
    with pytest.raises(ValueError):
        build_generator(GenerationSettings(backend="openai"))
    # A model that cannot be found: the bot still answers, with the template.
    gen = build_generator(GenerationSettings(backend="transformers", model=str(tmp_path / "missing-model"),
                                             device="cpu", cache_dir=str(tmp_path)))
    assert isinstance(gen, FallbackGenerator)
    assert await gen.generate(REQ) == template_text(REQ)
    await gen.aclose()
