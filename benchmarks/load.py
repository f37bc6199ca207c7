"""Load: many simulated channels through the real DialogueCore, stub (template) generator, SQLite on disk.

Two measurements in one run:
1. throughput — closed loop, every channel's script runs concurrently (bounded in-flight), msgs/s;
2. latency — open loop at a fixed offered rate (default 200 msg/s, Poisson arrivals), p50/p99 of
   DialogueCore.handle() per event.

    python benchmarks/load.py --channels 1000 --engines full     # the figures in docs/BENCHMARKS.md
    python benchmarks/load.py --quick                            # CI: 40 channels, simple engines
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.conversation import SCRIPT, play, script_messages  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from core.events import AnyEvent, Message  # noqa: E402


def _base(channel: int, n_tenants: int) -> dict[str, str]:
    return {"platform": "load", "tenant": f"t{channel % n_tenants}", "channel": f"c{channel}", "user": f"u{channel}"}


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


async def run(channels: int, engines: str, rate: float, inflight: int, tenants: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        cfg_path = Path(tmp) / "c.toml"
        eng = '[nlu]\nparser = "simple"\n[recommend]\nengine = "simple"\n' if engines == "simple" else ""
        cfg_path.write_text(f'[data]\ndir = "{tmp}/data"\n[generation]\nbackend = "template"\n'
                            f'[limits]\nmessages_per_minute = 0\n{eng}')
        app = await build_app(load_config(cfg_path))
        core = app.core
        await core.handle(Message(platform="load", tenant="warm", channel="w", user="w", event_id="w",
                                  text="a funny movie"))  # warm caches (embeddings, numpy)
        # 1. throughput, closed loop
        sem = asyncio.Semaphore(inflight)
        lat_tp: list[float] = []

        async def guarded(c: int) -> None:
            async with sem:
                await play(core, _base(c, tenants), str(c), SCRIPT, lat_tp)

        t0 = time.perf_counter()
        await asyncio.gather(*(guarded(c) for c in range(channels)))
        wall = time.perf_counter() - t0
        # 2. latency at a fixed offered rate, open loop (fresh channels, same script)
        rng = random.Random(1)
        lat_open: list[float] = []
        tasks = []
        t_start = time.perf_counter()
        next_at = 0.0
        evs = [(c, e) for c in range(channels, channels * 2) for e in script_messages(_base(c, tenants), str(c), SCRIPT)]
        rng.shuffle(evs)
        # Preserve each channel's order: reorder by channel sequence while keeping random interleaving.
        order: dict[int, list[AnyEvent]] = {}
        for c, e in evs:
            order.setdefault(c, []).append(e)
        for c in order:
            order[c].sort(key=lambda e: int(e.event_id.split("-")[1]))
        flat = [order[c].pop(0) for c, _ in evs]

        async def one(ev: AnyEvent) -> None:
            t = time.perf_counter()
            await core.handle(ev)
            lat_open.append(time.perf_counter() - t)

        n_open = min(len(flat), int(rate * 10))
        for ev in flat[:n_open]:
            next_at += rng.expovariate(rate)
            delay = t_start + next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(ev)))
        await asyncio.gather(*tasks)
        open_wall = time.perf_counter() - t_start
        await app.aclose()
    return {
        "channels": channels, "engines": engines, "events": len(lat_tp), "cpus": os.cpu_count(),
        "throughput_msgs_per_s": round(len(lat_tp) / wall, 1),
        "closed_loop_p50_ms": round(_pct(lat_tp, 0.5), 2), "closed_loop_p99_ms": round(_pct(lat_tp, 0.99), 2),
        "offered_rate": rate, "open_loop_events": n_open, "achieved_rate": round(n_open / open_wall, 1),
        "p50_ms": round(_pct(lat_open, 0.5), 2), "p99_ms": round(_pct(lat_open, 0.99), 2),
        "mean_ms": round(statistics.mean(lat_open) * 1000, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--channels", type=int, default=1000)
    ap.add_argument("--engines", choices=["simple", "full"], default="full")
    ap.add_argument("--rate", type=float, default=200.0, help="offered msgs/s for the latency run")
    ap.add_argument("--inflight", type=int, default=64)
    ap.add_argument("--tenants", type=int, default=10)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.channels, args.engines, args.rate = 40, "simple", 100.0
    print(json.dumps(asyncio.run(run(args.channels, args.engines, args.rate, args.inflight, args.tenants))))


if __name__ == "__main__":
    main()
