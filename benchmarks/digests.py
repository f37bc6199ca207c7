"""What a digest sweep costs: N subscriptions on one SQLite file, driven by a simulated clock.

Measures (1) one run_due that delivers every subscription's digest (generate + record + post through a
recording Outbound + mark sent), and (2) a steady-state sweep where nothing is due (what the scheduler's
`digest-sweep` job pays every `sweep_seconds`). Uses the bundled catalog and the keyword recommender,
so it measures the digest machinery, not a model.

    python benchmarks/digests.py --subs 500
    python benchmarks/digests.py --quick          # 20 subscriptions, 3 idle sweeps (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.digests.service import DigestService  # noqa: E402
from core.events import Command, ConversationKey, Reply  # noqa: E402
from core.recommend.catalog import bundled_catalog  # noqa: E402
from core.recommend.simple import SimpleRecommender  # noqa: E402
from core.store.store import Store  # noqa: E402


class CountingOutbound:
    platform = "bench"

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, key: ConversationKey, reply: Reply, user: str | None = None) -> str:
        self.sent += 1
        return f"m{self.sent}"


async def run(n: int, sweeps: int = 20) -> dict[str, float]:
    catalog = bundled_catalog()
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open_sqlite(Path(tmp) / "bench.db")
        now = datetime(2024, 5, 6, 8, tzinfo=UTC)
        out = CountingOutbound()
        svc = DigestService(store, catalog, SimpleRecommender(catalog), outbounds=[out], clock=lambda: now)
        for i in range(n):
            ev = Command(platform="bench", tenant=f"t{i % 10}", channel=f"c{i}", user=f"u{i}",
                         event_id=f"e{i}", name="digest", args="")
            await svc.command(ev, "subscribe daily at 09:00 tz Europe/Berlin size 5")
        due = now + timedelta(days=1)  # the next morning, after 09:00 Berlin: all due
        t0 = time.perf_counter()
        report = await svc.run_due(due)
        deliver_s = time.perf_counter() - t0
        assert len(report.sent) == n == out.sent, (len(report.sent), out.sent)
        t0 = time.perf_counter()
        for k in range(sweeps):
            await svc.run_due(due + timedelta(minutes=k + 1))
        idle_ms = (time.perf_counter() - t0) / sweeps * 1000
        assert out.sent == n  # nothing sent twice
        await store.close()
    out = {"subscriptions": float(n), "delivered": float(out.sent), "deliver_s": deliver_s, "idle_sweep_ms": idle_ms}
    print(f"subscriptions: {n}")
    print(f"deliver all:   {deliver_s:.2f} s  ({n / deliver_s:.0f} digests/s, {deliver_s / n * 1000:.1f} ms each)")
    print(f"idle sweep:    {idle_ms:.1f} ms  (nothing due; mean of {sweeps} sweeps)")
    return out


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--subs", type=int, default=500)
    ap.add_argument("--quick", action="store_true", help="20 subscriptions, 3 idle sweeps (CI)")
    args = ap.parse_args(argv)
    return asyncio.run(run(20, 3) if args.quick else run(args.subs))


if __name__ == "__main__":
    main()
