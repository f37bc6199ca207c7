"""The digest and PostgreSQL driver benchmarks in --quick mode (CI): they run end to end."""

from __future__ import annotations

from benchmarks import digests, pg_driver_overhead
from tests.conftest import pg_url_or_skip


def test_digests_benchmark_quick_mode_delivers_every_digest_once() -> None:
    out = digests.main(["--quick"])
    assert out["subscriptions"] == out["delivered"] == 20.0
    assert out["deliver_s"] > 0 and out["idle_sweep_ms"] > 0  # timings are reported, not asserted


def test_pg_driver_overhead_quick_mode_measures_every_variant() -> None:
    url = pg_url_or_skip()
    res = pg_driver_overhead.main(["--pg-url", url, "--quick"])
    assert set(res) == set(pg_driver_overhead.VARIANTS)
    assert res["asyncpg pool"]["wall_vs_asyncpg"] == 1.0
    assert all(v["ops_per_s"] > 0 and v["client_cpu_us_per_op"] > 0 for v in res.values())
