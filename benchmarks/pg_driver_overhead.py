"""asyncpg directly vs SQLAlchemy's async engine on the same PostgreSQL: the ADR measurement.

The workload is the store's shape: N single-row INSERTs then N single-row SELECTs by key, each its own
statement checked out of a connection pool (what every repository call does). Four ways:

- asyncpg pool            : pool.acquire() + conn.execute/fetchrow with $n placeholders
- recbot PostgresDatabase : our wrapper (the ``?`` -> ``$n`` rewrite, status parsing) over that pool
- SQLAlchemy Core (async) : create_async_engine("postgresql+asyncpg://") + text() per statement
- ... autocommit          : the same with isolation_level AUTOCOMMIT and no reset-on-return (best case)
- SQLAlchemy ORM (async)  : AsyncSession.add/commit and session.get, the "use the ORM" option

The variants take turns in chunks of 100 statements (rotating who goes first), so load from other
processes on the machine hits them alike; per round each variant's time is summed, and the median over
``--rounds`` is reported: wall time (ops/s, ratio to asyncpg) and this process's CPU per statement
(the library's own overhead, which the server's time does not blur). Needs greenlet for SQLAlchemy's
async layer.

    python benchmarks/pg_driver_overhead.py --pg-url postgresql://postgres@127.0.0.1:55432/postgres
    ... --quick    # 100 statements each way, 1 round (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402

from core.store.pg import PostgresDatabase  # noqa: E402

DDL = "CREATE TABLE {t} (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, body TEXT NOT NULL, ts DOUBLE PRECISION)"
Run = Callable[[str, range, str], Awaitable[None]]  # (table, keys, "insert" | "select")


async def bench_asyncpg(url: str, schema: str) -> tuple[Run, Callable[[], Awaitable[None]]]:
    pool = await asyncpg.create_pool(url, min_size=1, max_size=10, server_settings={"search_path": schema})

    async def run(table: str, keys: range, phase: str) -> None:
        for i in keys if phase == "insert" else ():
            async with pool.acquire() as c:
                await c.execute(f"INSERT INTO {table} (id, tenant, body, ts) VALUES ($1, $2, $3, $4)",
                                f"k{i}", "t", "some text", float(i))
        for i in keys if phase == "select" else ():
            async with pool.acquire() as c:
                row = await c.fetchrow(f"SELECT body, ts FROM {table} WHERE tenant = $1 AND id = $2", "t", f"k{i}")
                assert row is not None

    return run, pool.close


async def bench_recbot(url: str, schema: str) -> tuple[Run, Callable[[], Awaitable[None]]]:
    db = await PostgresDatabase.open(url, schema=schema)

    async def run(table: str, keys: range, phase: str) -> None:
        for i in keys if phase == "insert" else ():
            await db.execute(f"INSERT INTO {table} (id, tenant, body, ts) VALUES (?, ?, ?, ?)",
                             (f"k{i}", "t", "some text", float(i)))
        for i in keys if phase == "select" else ():
            row = await db.fetchone(f"SELECT body, ts FROM {table} WHERE tenant = ? AND id = ?", ("t", f"k{i}"))
            assert row is not None

    return run, db.close


def _sa_url(url: str) -> str:
    return "postgresql+asyncpg://" + url.split("://", 1)[1]


async def bench_sa_core(url: str, schema: str, tuned: bool = False) -> tuple[Run, Callable[[], Awaitable[None]]]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    # tuned: what a careful user would set for single statements: no BEGIN/COMMIT round trips
    # (AUTOCOMMIT, as asyncpg's plain execute does) and no ROLLBACK when a connection returns.
    extra = {"isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None} if tuned else {}
    engine = create_async_engine(_sa_url(url), pool_size=10,
                                 connect_args={"server_settings": {"search_path": schema}}, **extra)

    async def run(table: str, keys: range, phase: str) -> None:
        ins = text(f"INSERT INTO {table} (id, tenant, body, ts) VALUES (:id, :tenant, :body, :ts)")
        sel = text(f"SELECT body, ts FROM {table} WHERE tenant = :tenant AND id = :id")
        for i in keys if phase == "insert" else ():
            async with engine.connect() as c:
                await c.execute(ins, {"id": f"k{i}", "tenant": "t", "body": "some text", "ts": float(i)})
                await c.commit()
        for i in keys if phase == "select" else ():
            async with engine.connect() as c:
                row = (await c.execute(sel, {"tenant": "t", "id": f"k{i}"})).first()
                assert row is not None

    return run, engine.dispose


async def bench_sa_orm(url: str, schema: str) -> tuple[Run, Callable[[], Awaitable[None]]]:
    from sqlalchemy import Float, String
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    engine = create_async_engine(_sa_url(url), pool_size=10,
                                 connect_args={"server_settings": {"search_path": schema}})
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    models: dict[str, type] = {}

    def model(table: str) -> type:
        if table not in models:
            class Base(DeclarativeBase):
                pass

            models[table] = type(f"Row_{table}", (Base,), {
                "__tablename__": table,
                "id": mapped_column(String, primary_key=True), "tenant": mapped_column(String),
                "body": mapped_column(String), "ts": mapped_column(Float),
                "__annotations__": {"id": Mapped[str], "tenant": Mapped[str], "body": Mapped[str],
                                    "ts": Mapped[float]},
            })
        return models[table]

    async def run(table: str, keys: range, phase: str) -> None:
        cls = model(table)
        for i in keys if phase == "insert" else ():
            async with sessions() as s:
                s.add(cls(id=f"k{i}", tenant="t", body="some text", ts=float(i)))
                await s.commit()
        for i in keys if phase == "select" else ():
            async with sessions() as s:
                assert await s.get(cls, f"k{i}") is not None

    return run, engine.dispose


VARIANTS = {"asyncpg pool": bench_asyncpg, "recbot PostgresDatabase": bench_recbot,
            "SQLAlchemy Core (async)": bench_sa_core,
            "SQLAlchemy Core, autocommit": lambda u, s: bench_sa_core(u, s, tuned=True),
            "SQLAlchemy ORM (async)": bench_sa_orm}


async def main_async(url: str, n: int, rounds: int, chunk: int) -> dict[str, dict[str, float]]:
    """Variants take turns in chunks of ``chunk`` statements, so background load hits all alike."""
    schema = f"bench_drv_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(url)
    await admin.execute(f"CREATE SCHEMA {schema}")
    wall: dict[str, list[float]] = {k: [] for k in VARIANTS}
    cpu: dict[str, list[float]] = {k: [] for k in VARIANTS}
    try:
        runners = {k: await make(url, schema) for k, make in VARIANTS.items()}
        names = list(VARIANTS)
        for r in range(rounds + 1):  # round 0 warms every pool and the server's caches; not counted
            tables = {k: f"t_{uuid.uuid4().hex[:8]}" for k in names}
            for t in tables.values():
                await admin.execute(DDL.format(t=f"{schema}.{t}"))
            w = dict.fromkeys(names, 0.0)
            c = dict.fromkeys(names, 0.0)
            for phase in ("insert", "select"):
                for j, lo in enumerate(range(0, n, chunk)):
                    for name in names[j % len(names):] + names[:j % len(names)]:
                        t0, c0 = time.perf_counter(), time.process_time()
                        await runners[name][0](tables[name], range(lo, min(n, lo + chunk)), phase)
                        w[name] += time.perf_counter() - t0
                        c[name] += time.process_time() - c0
            if r:
                for name in names:
                    wall[name].append(w[name])
                    cpu[name].append(c[name])
        for _, close in runners.values():
            await close()
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()
    base_w, base_c = statistics.median(wall["asyncpg pool"]), statistics.median(cpu["asyncpg pool"])
    out = {}
    for k in names:
        mw, mc = statistics.median(wall[k]), statistics.median(cpu[k])
        out[k] = {"wall_s": round(mw, 3), "ops_per_s": round(2 * n / mw), "wall_vs_asyncpg": round(mw / base_w, 2),
                  "client_cpu_us_per_op": round(mc / (2 * n) * 1e6, 1), "cpu_vs_asyncpg": round(mc / base_c, 2)}
    return out


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg-url", default=os.environ.get("RECBOT_BENCH_PG_URL") or os.environ.get("RECBOT_TEST_PG_URL"))
    ap.add_argument("-n", type=int, default=2000, help="inserts, then as many selects")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=100, help="statements per turn before the next variant runs")
    ap.add_argument("--quick", action="store_true", help="100 inserts + 100 selects, 1 round, chunks of 20 (CI)")
    args = ap.parse_args(argv)
    if not args.pg_url:
        ap.error("needs --pg-url (or RECBOT_BENCH_PG_URL / RECBOT_TEST_PG_URL)")
    if args.quick:
        args.n, args.rounds, args.chunk = 100, 1, 20
    res = asyncio.run(main_async(args.pg_url, args.n, args.rounds, args.chunk))
    print(json.dumps(res, indent=1))
    print(f"\n{args.n} inserts + {args.n} selects, one statement per pool checkout, median of {args.rounds} "
          f"rounds, cpus={os.cpu_count()}")
    print("| variant | wall (s) | ops/s | wall vs asyncpg | client CPU µs/op | CPU vs asyncpg |")
    print("|---|---|---|---|---|---|")
    for k, v in res.items():
        print(f"| {k} | {v['wall_s']} | {v['ops_per_s']} | {v['wall_vs_asyncpg']}x | "
              f"{v['client_cpu_us_per_op']} | {v['cpu_vs_asyncpg']}x |")
    return res


if __name__ == "__main__":
    main()
