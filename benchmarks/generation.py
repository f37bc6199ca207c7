"""Generation throughput/latency: one-at-a-time ``model.generate()`` vs the batching GenerationPool.

Workload: C channels; channel i sends its first message at i * window / C (staggered arrivals), then
each next message as soon as its previous reply is complete (a person reading and answering at once is
the worst case). Every reply is exactly --new-tokens long (EOS suppressed) so both methods do the same
work. Reported per method and C: generated tokens/s over the run, p50/p95 reply latency (send to last
token), p50/p95 time to first streamed token.

    python -m benchmarks.generation --quick                      # tiny random model, seconds (CI)
    python -m benchmarks.generation --model default --channels 1,8   # bundled SmolLM2-135M on CPU
    python -m benchmarks.generation --model qwen0.5b --device cuda --channels 1,8,64,256 --prompt-tokens 256
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import random
import statistics
import sys
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.generation.base import GenerationRequest, GroundedItem  # noqa: E402
from core.generation.local_pool import GenerationPool  # noqa: E402


@dataclass
class Row:
    run: int
    method: str
    channels: int
    messages: int
    tokens: int
    wall_s: float
    tok_s: float
    p50_s: float
    p95_s: float
    ttft_p50_s: float
    ttft_p95_s: float
    mean_batch: float
    cpu_s: float  # process CPU time (all threads) during the run: robust to other load on a shared host


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


_ITEMS = (
    GroundedItem("Alien", 1979, "tense sci-fi horror", "Ridley Scott",
                 "The crew of a commercial spaceship is hunted by a deadly creature.", "movie"),
    GroundedItem("Heat", 1995, "a crime epic with a great cast", "Michael Mann",
                 "A detective hunts a crew of professional bank robbers in Los Angeles.", "movie"),
    GroundedItem("The Silence of the Lambs", 1991, "a dark psychological thriller", "Jonathan Demme",
                 "An FBI trainee seeks help from an imprisoned killer to catch another.", "movie"),
)
_ASKS = ["something tense for friday night", "a thriller my dad would like", "dark movies like Se7en please",
         "we want a scary one for movie night", "give me a gripping crime film", "any good suspense picks?"]


def make_prompts(tokenizer: Any, n: int, prompt_tokens: int, real: bool, vocab: int,
                 seed: int = 0) -> list[list[int]]:
    rnd = random.Random(seed)
    if real:
        from core.generation.transformers_backend import prompt_ids

        return [prompt_ids(tokenizer, GenerationRequest("recommend", f"{rnd.choice(_ASKS)} (#{i})", _ITEMS,
                                                        "Here are three tense picks:")) for i in range(n)]
    # Like the real prompt (template + system prompt + fixed lead-in: ~60 of ~210 tokens), the first
    # 30% is the same in every prompt; the rest differs.
    shared = [rnd.randrange(10, min(vocab, 5000)) for _ in range(round(prompt_tokens * 0.3))]
    return [shared + [rnd.randrange(10, min(vocab, 5000)) for _ in range(prompt_tokens - len(shared))]
            for _ in range(n)]


class Baseline:
    """The naive approach: one model.generate() per message, one message at a time, in one thread."""

    def __init__(self, model: Any, pad_id: int, gen_kwargs: dict[str, Any]) -> None:
        self.model = model
        self.pad_id = pad_id
        self.gen_kwargs = gen_kwargs
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)

    def _one(self, ids: list[int], new_tokens: int, first: list[float]) -> int:
        import torch
        from transformers.generation.streamers import BaseStreamer

        class FirstToken(BaseStreamer):
            calls = 0

            def put(self, value: Any) -> None:
                self.calls += 1
                if self.calls == 2:  # call 1 is the prompt
                    first.append(time.monotonic())

            def end(self) -> None:
                return None

        with torch.inference_mode():
            x = torch.tensor([ids], device=self.model.device)
            out = self.model.generate(input_ids=x, attention_mask=torch.ones_like(x), max_new_tokens=new_tokens,
                                      min_new_tokens=new_tokens, pad_token_id=self.pad_id, streamer=FirstToken(),
                                      **self.gen_kwargs)
        return int(out.shape[1] - len(ids))

    async def reply(self, ids: list[int], new_tokens: int) -> tuple[int, float | None]:
        first: list[float] = []
        n = await asyncio.get_running_loop().run_in_executor(self.executor, self._one, ids, new_tokens, first)
        return n, (first[0] if first else None)


class ContinuousBatching:
    """transformers' continuous batching manager (paged KV cache, requests join/leave every step)."""

    def __init__(self, model: Any, pad_id: int, new_tokens: int, max_batch: int) -> None:
        from transformers import GenerationConfig
        from transformers.generation.configuration_utils import ContinuousBatchingConfig

        # eos -1: every reply runs to new_tokens, like the other methods
        config = GenerationConfig(max_new_tokens=new_tokens, do_sample=False, eos_token_id=-1, pad_token_id=pad_id)
        self.manager = model.init_continuous_batching(
            generation_config=config,
            continuous_batching_config=ContinuousBatchingConfig(max_requests_per_batch=max_batch),
        )
        self.manager.start()
        self.count = 0
        self.stats = None

    async def reply(self, ids: list[int], new_tokens: int) -> tuple[int, float | None]:
        self.count += 1
        rid = f"r{self.count}"
        outputs: asyncio.Queue[Any] = asyncio.Queue()
        self.manager.register_result_handler(rid, outputs.put_nowait)
        self.manager.add_request(ids, request_id=rid, max_new_tokens=new_tokens, streaming=True)
        first: float | None = None
        while True:
            out = await outputs.get()
            if first is None and out.generated_tokens:
                first = time.monotonic()
            if out.is_finished():
                if out.error:
                    raise RuntimeError(out.error)
                return len(out.generated_tokens), first

    def close(self) -> None:
        self.manager.stop(block=True)


async def run_workload(run: int, method: str, engine: Any, prompts: list[list[int]], channels: int, per_channel: int,
                       new_tokens: int, window_s: float) -> Row:
    latencies: list[float] = []
    ttfts: list[float] = []
    tokens = 0
    t0 = time.monotonic()
    cpu0 = time.process_time()

    async def channel(c: int) -> None:
        nonlocal tokens
        await asyncio.sleep(c * window_s / channels)
        for m in range(per_channel):
            ids = prompts[(c * per_channel + m) % len(prompts)]
            sent = time.monotonic()
            if method.startswith("pool"):
                job = engine.submit(ids, max_new_tokens=new_tokens, deadline_s=3600, channel_key=f"ch{c}",
                                    stream=True)
                async for _ in job.pieces():
                    pass
                assert job.outcome is not None
                n, first = job.outcome.tokens, job.t_first_token
            else:
                n, first = await engine.reply(ids, new_tokens)
            done = time.monotonic()
            tokens += n
            latencies.append(done - sent)
            if first is not None:
                ttfts.append(first - sent)

    await asyncio.gather(*(channel(c) for c in range(channels)))
    wall = time.monotonic() - t0
    cpu = time.process_time() - cpu0
    sizes = list(engine.stats.batch_sizes) if method.startswith("pool") else [1 if method == "baseline" else float("nan")]
    return Row(run, method, channels, len(latencies), tokens, round(wall, 2), round(tokens / wall, 1),
               round(_pct(latencies, 0.5), 3), round(_pct(latencies, 0.95), 3), round(_pct(ttfts, 0.5), 3),
               round(_pct(ttfts, 0.95), 3), round(statistics.fmean(sizes), 1), round(cpu, 1))


def load(model: str, device: str, cache_dir: str | None) -> tuple[Any, Any, bool]:
    """(model, tokenizer, real) for a model name: tiny, qwen0.5b, default (bundled SmolLM2) or a path."""
    from core.generation.model_loading import load_model, resolve_device

    if model == "tiny":
        from benchmarks.tiny_models import tiny_llama, tiny_tokenizer

        tok = tiny_tokenizer()
        return tiny_llama(tok, layers=2, hidden=64), tok, False
    if model == "qwen0.5b":
        from benchmarks.tiny_models import qwen05b_shaped

        dev, dtype = resolve_device(device)
        m, tok = qwen05b_shaped(dev, dtype)
        return m, tok, False
    lm = load_model("" if model == "default" else model, device, cache_dir)
    return lm.model, lm.tokenizer, True


async def bench(args: argparse.Namespace) -> list[Row]:
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    model, tok, real = load(args.model, args.device, args.cache_dir)
    print(f"model={args.model} device={model.device} dtype={model.dtype}", file=sys.stderr)
    channels = [int(c) for c in args.channels.split(",")]
    # One prompt more than the workload uses, for the warm-up: the pool must not find a workload prompt
    # already in its prefix cache.
    *prompts, warm_prompt = make_prompts(tok, max(channels) * args.messages + 1, args.prompt_tokens, real,
                                         model.config.vocab_size)
    print(f"prompt tokens: {statistics.fmean(len(p) for p in prompts):.0f}, new tokens: {args.new_tokens}",
          file=sys.stderr)
    pool_kwargs = dict(temperature=0.0, repetition_penalty=1.0)
    rows: list[Row] = []
    methods = (["baseline", "pool"] + (["pool-noprefix"] if args.with_noprefix else [])
               + (["pool-batch"] if args.with_batch else []) + (["cb"] if args.with_cb else []))
    # Repeats alternate the order of the methods, so a change in background load hits all of them alike.
    plan = [(run, c, method) for c in channels for run in range(args.repeats)
            for method in (methods if run % 2 == 0 else methods[::-1])]
    for run, c, method in plan:
        if method == "baseline" and c > args.baseline_max_channels:
            continue
        pool = GenerationPool(model, tok, max_batch=args.max_batch, queue_size=max(c * 2, 8),
                              generation_kwargs={"min_new_tokens": args.new_tokens},
                              scheduler="batch" if method == "pool-batch" else "auto",
                              prefix_cache=method != "pool-noprefix", **pool_kwargs)
        engine: Any = pool
        if method == "baseline":
            engine = Baseline(model, pool.pad_id, {"do_sample": False})
        elif method == "cb":
            engine = ContinuousBatching(model, pool.pad_id, args.new_tokens, args.max_batch)
        # Warm up (first call allocates, on CUDA initializes kernels), outside the timing.
        warm = pool.submit(warm_prompt, max_new_tokens=4, deadline_s=600) if method.startswith("pool") else None
        if warm is not None:
            await warm.result()
            pool.stats.batch_sizes.clear()
        else:
            await engine.reply(warm_prompt, 4)
        row = await run_workload(run, method, engine, prompts, c, args.messages, args.new_tokens, args.window_s)
        await pool.aclose()
        if method == "baseline":
            engine.executor.shutdown()
        elif method == "cb":
            engine.close()
        rows.append(row)
        print(json.dumps(asdict(row)), file=sys.stderr, flush=True)
    return rows


def markdown(rows: list[Row]) -> str:
    head = ("| run | method | channels | replies | tokens | wall s | tok/s | p50 s | p95 s | TTFT p50 s "
            "| TTFT p95 s | mean batch | CPU s | tok/CPU s |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in sorted(rows, key=lambda r: (r.channels, r.method, r.run)):
        lines.append(f"| {r.run} | {r.method} | {r.channels} | {r.messages} | {r.tokens} | {r.wall_s} | {r.tok_s} | {r.p50_s} "
                     f"| {r.p95_s} | {r.ttft_p50_s} | {r.ttft_p95_s} | {r.mean_batch} | {r.cpu_s} "
                     f"| {r.tokens / r.cpu_s if r.cpu_s else float('nan'):.1f} |")
    med: dict[tuple[str, int], float] = {}
    for key in {(r.method, r.channels) for r in rows}:
        med[key] = statistics.median(r.tok_s for r in rows if (r.method, r.channels) == key)
    lines.append("")
    for (method, c), tok_s in sorted(med.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        base = med.get(("baseline", c), 0.0)
        if method != "baseline" and base > 0:
            lines.append(f"{method} vs baseline at {c} channels (median tok/s): {tok_s / base:.1f}x  ")
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny random model, 1 and 4 channels, a few tokens (CI)")
    p.add_argument("--model", default="default", help="default | tiny | qwen0.5b | a local path or hub name")
    p.add_argument("--device", default="auto")
    p.add_argument("--channels", default="1,8,64,256")
    p.add_argument("--messages", type=int, default=2, help="messages per channel, sent one after another")
    p.add_argument("--new-tokens", type=int, default=48)
    p.add_argument("--prompt-tokens", type=int, default=256, help="prompt length for random-weight models")
    p.add_argument("--max-batch", type=int, default=64)
    p.add_argument("--window-s", type=float, default=2.0, help="first messages arrive spread over this window")
    p.add_argument("--baseline-max-channels", type=int, default=1_000_000,
                   help="skip the (slow) baseline above this many channels")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--repeats", type=int, default=1, help="runs per setting, in alternating method order")
    p.add_argument("--with-batch", action="store_true",
                   help="also measure the pool's whole-batch scheduler (one generate() per batch)")
    p.add_argument("--with-noprefix", action="store_true",
                   help="also measure the pool without its shared-prefix KV cache (ablation)")
    p.add_argument("--with-cb", action="store_true",
                   help="also measure transformers' continuous batching manager on the same workload")
    p.add_argument("--cache-dir", default=None)
    p.add_argument("--out", default=None, help="write the rows as JSON here")
    args = p.parse_args(argv)
    if args.quick:
        args.model, args.channels, args.messages, args.new_tokens = "tiny", "1,4", 1, 8
        args.prompt_tokens, args.window_s, args.max_batch = 32, 0.05, 8
    return args


def main(argv: list[str] | None = None) -> list[Row]:
    args = parse(argv)
    # The 4-token warm-up runs under the workload's min_new_tokens; transformers warns about that.
    warnings.filterwarnings("ignore", message="Unfeasible length constraints")
    rows = asyncio.run(bench(args))
    print(markdown(rows))
    if args.out:
        Path(args.out).write_text(json.dumps({"args": vars(args), "rows": [asdict(r) for r in rows]}, indent=2))
    return rows


if __name__ == "__main__":
    main()
