"""The core's messages/s and latency on SQLite vs PostgreSQL, with 1 and 2 bot instances, in one run.

Each instance is its own process (its own build_app, event loop, GIL and database connections), as in
a real deployment. Every configuration gets a fresh store, the same simulated channels (each runs a
short conversation script in order, including a reaction), and the same total concurrency: with two
instances each gets half the channels and half the in-flight budget, the way a load balancer splits
the same offered load. Instances start together on a barrier; msgs/s = all events / (last finish -
first start). p50/p99 are of DialogueCore.handle() per event across all instances.

    python benchmarks/store_backends.py --repeat 3 --pg-url postgresql://postgres@127.0.0.1:55432/postgres
    python benchmarks/store_backends.py --quick      # CI: a few channels (URL from RECBOT_TEST_PG_URL)

Without a PostgreSQL URL only the SQLite rows are measured. The script creates its own schema per
configuration (bench_<hex>) and drops exactly that schema afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.conversation import STORE_SCRIPT, play  # noqa: E402


# ---- worker: one bot instance ----------------------------------------------------------------------
async def _worker(cfg: Path, channels: list[int], inflight: int, tenants: int) -> dict[str, Any]:
    from bot.config import load_config
    from bot.wiring import build_app
    from core import texts
    from core.events import Message

    app = await build_app(load_config(cfg))
    core = app.core
    pid = os.getpid()
    await core.handle(Message(platform="bench", tenant="warm", channel=f"w{pid}", user="w",
                              event_id=f"warm-{pid}", text="a funny movie"))
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # the barrier

    lat: list[float] = []
    errors = 0

    async def channel(c: int) -> None:
        nonlocal errors
        base = {"platform": "bench", "tenant": f"t{c % tenants}", "channel": f"c{c}", "user": f"u{c}"}
        replies = await play(core, base, str(c), STORE_SCRIPT, lat)
        errors += sum(r.text == texts.INTERNAL_ERROR for r in replies)

    sem = asyncio.Semaphore(inflight)

    async def guarded(c: int) -> None:
        async with sem:
            await channel(c)

    start = time.time()
    await asyncio.gather(*(guarded(c) for c in channels))
    end = time.time()
    await app.aclose()
    return {"start": start, "end": end, "lat": lat, "errors": errors}


# ---- driver ---------------------------------------------------------------------------------------
def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))] * 1000, 2) if xs else 0.0


async def _pg(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run_config(backend: str, instances: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    data = tmp / f"{backend}-{instances}"
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    store = f'[store]\nurl = "{args.pg_url}"\nschema = "{schema}"\n' if backend == "postgresql" else ""
    eng = '[nlu]\nparser = "simple"\n[recommend]\nengine = "simple"\n' if args.engines == "simple" else ""
    os.makedirs(tmp, exist_ok=True)  # setup before the clock starts; blocking is fine here
    cfg = tmp / f"{backend}-{instances}.toml"
    cfg.write_text(f'[data]\ndir = "{data}"\n[generation]\nbackend = "template"\n'
                   f"[limits]\nmessages_per_minute = 0\n{eng}{store}", encoding="utf-8")
    if backend == "postgresql":
        await _pg(args.pg_url, f"CREATE SCHEMA {schema}")
    procs = []
    try:
        for i in range(instances):
            chans = [c for c in range(args.channels) if c % instances == i]
            procs.append(await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--worker", str(cfg), "--inflight", str(max(1, args.inflight // instances)),
                "--tenants", str(args.tenants), "--channel-list", ",".join(map(str, chans)),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE))
        for p in procs:  # wait until every instance has built its app and warmed up
            # Bounded waits: a worker that dies or hangs fails the run with a message, never blocks CI.
            line = await asyncio.wait_for(p.stdout.readline(), 180)  # type: ignore[union-attr]
            if line.strip() != b"READY":
                raise RuntimeError(f"worker failed to start ({backend} x{instances}): {line!r}")
        for p in procs:
            p.stdin.write(b"GO\n")  # type: ignore[union-attr]
            await p.stdin.drain()  # type: ignore[union-attr]
        results = []
        for p in procs:
            out, _ = await asyncio.wait_for(p.communicate(), 300)
            if p.returncode != 0:
                raise RuntimeError(f"worker exited with {p.returncode} ({backend} x{instances})")
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
        if backend == "postgresql":
            await _pg(args.pg_url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    lat = [x for r in results for x in r["lat"]]
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    return {"backend": backend, "instances": instances, "events": len(lat),
            "msgs_per_s": round(len(lat) / wall, 1), "p50_ms": _pct(lat, 0.5), "p99_ms": _pct(lat, 0.99),
            "errors": sum(r["errors"] for r in results)}


async def run_all(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every configuration ``--repeat`` times, interleaved (so load from elsewhere hits all alike);
    each row reports the median run by msgs/s, with the spread of msgs/s over the repeats."""
    backends = ["sqlite"] + (["postgresql"] if args.pg_url else [])
    configs = [(b, n) for b in backends for n in (1, 2)]
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {c: [] for c in configs}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeat):
            for backend, n in configs:
                row = await run_config(backend, n, args, Path(tmp) / f"r{rep}")
                runs[(backend, n)].append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    rows = []
    for c in configs:
        ordered = sorted(runs[c], key=lambda r: r["msgs_per_s"])
        med = dict(ordered[len(ordered) // 2])
        med["msgs_per_s_range"] = [ordered[0]["msgs_per_s"], ordered[-1]["msgs_per_s"]]
        med["errors"] = sum(r["errors"] for r in runs[c])
        rows.append(med)
    return rows


def markdown(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [f"channels={args.channels} ({len(STORE_SCRIPT)} events each), in-flight={args.inflight} total, "
             f"engines={args.engines}, cpus={os.cpu_count()}, repeats={args.repeat} (median run; "
             "range of msgs/s over the repeats; errors summed)", "",
             "| backend | instances | events | msgs/s | msgs/s range | p50 ms | p99 ms | errors |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['backend']} | {r['instances']} | {r['events']} | {r['msgs_per_s']} | "
              f"{r['msgs_per_s_range'][0]}–{r['msgs_per_s_range'][1]} | {r['p50_ms']} | {r['p99_ms']} | "
              f"{r['errors']} |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--channels", type=int, default=400)
    ap.add_argument("--inflight", type=int, default=32, help="concurrent channels, split across instances")
    ap.add_argument("--tenants", type=int, default=10)
    ap.add_argument("--engines", choices=["simple", "full"], default="simple")
    ap.add_argument("--pg-url", default=os.environ.get("RECBOT_BENCH_PG_URL") or os.environ.get("RECBOT_TEST_PG_URL"),
                    help="PostgreSQL server (default: $RECBOT_BENCH_PG_URL, then $RECBOT_TEST_PG_URL)")
    ap.add_argument("--repeat", type=int, default=1, help="run the whole matrix this many times")
    ap.add_argument("--quick", action="store_true", help="CI: 16 channels, 8 in flight, once")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--channel-list", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        chans = [int(c) for c in args.channel_list.split(",") if c]
        print(json.dumps(asyncio.run(_worker(args.worker, chans, args.inflight, args.tenants))))
        return
    if args.quick:
        args.channels, args.inflight, args.engines, args.repeat = 16, 8, "simple", 1
    rows = asyncio.run(run_all(args))
    print(json.dumps(rows) if args.json else markdown(rows, args))


if __name__ == "__main__":
    main()
