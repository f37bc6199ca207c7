"""`recbot store migrate|verify`: move a SQLite deployment to PostgreSQL and check the copy.

Stop every bot instance before migrating: the copy is all-or-nothing on the target, and the row counts
compared afterwards would flag (not prevent) rows written to the source meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.config import PG_PREFIXES, Config
from bot.environment import redact
from core.store.copy import CopyError, TableCount, copy_store, verify_counts
from core.store.store import Store


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    store = sub.add_parser("store", help="store tools: migrate SQLite to PostgreSQL, verify a copy")
    st_sub = store.add_subparsers(dest="store_cmd", required=True)
    for name, text in (("migrate", "copy every table from SQLite to PostgreSQL and verify row counts"),
                       ("verify", "compare per-table row counts of the SQLite store and PostgreSQL")):
        p = st_sub.add_parser(name, help=text)
        p.add_argument("--to", dest="to_url", default=None,
                       help="postgresql://user@host/db (default: the configured [store] url / url_env)")
        p.add_argument("--from", dest="from_path", type=Path, default=None,
                       help="SQLite file to read (default: the configured one, <data dir>/recbot.db)")
        p.add_argument("--schema", default=None, help="PostgreSQL schema (default: [store] schema)")
        if name == "migrate":
            p.add_argument("--batch-size", type=int, default=1000, help="rows per INSERT batch")
            p.add_argument("--force", action="store_true",
                           help="replace whatever the target already holds (deleted in the same transaction)")


def run(config: Config, args: argparse.Namespace) -> int:
    to_url = args.to_url or config.store.resolved_url()
    if not to_url.startswith(PG_PREFIXES):
        print("recbot: store: pass --to postgresql://... (or set [store] url / url_env to one)", file=sys.stderr)
        return 2
    src_path: Path = args.from_path or config.sqlite_path
    if not src_path.is_file():
        # Opening would create an empty database and then "migrate" nothing: say so instead.
        print(f"recbot: store: no SQLite store at {src_path}", file=sys.stderr)
        return 2
    schema = args.schema if args.schema is not None else (config.store.db_schema or None)
    return asyncio.run(_run(args.store_cmd, src_path, to_url, schema, args))


async def _run(cmd: str, src_path: Path, to_url: str, schema: str | None, args: argparse.Namespace) -> int:
    err = Console(stderr=True)
    where = redact(to_url) + (f" (schema {schema})" if schema else "")
    try:
        src = await Store.open_sqlite(src_path)
    except Exception as e:  # garbage, truncated or newer-schema file: one clear line
        print(f"recbot: store: cannot open the SQLite store {src_path}: {e}", file=sys.stderr)
        return 1
    try:
        dst = await Store.open_url(to_url, src_path, schema)
    except Exception as e:  # unreachable server, bad credentials, schema name: one clear line
        await src.close()
        print(f"recbot: store: cannot open {where}: {e}", file=sys.stderr)
        return 1
    try:
        if cmd == "verify":
            return _print_counts(await verify_counts(src.db, dst.db), where)
        t0 = time.perf_counter()
        with Progress(TextColumn("{task.description:<20}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err, disable=not err.is_terminal) as bar:
            tasks: dict[str, int] = {}

            def progress(table: str, done: int, total: int) -> None:
                if table not in tasks:
                    tasks[table] = bar.add_task(table, total=total)
                bar.update(tasks[table], completed=done)

            try:
                report = await copy_store(src.db, dst.db, batch_size=args.batch_size, force=args.force,
                                          progress=progress)
            except CopyError as e:
                print(f"recbot: store: {e}", file=sys.stderr)
                return 1
        rc = _print_counts(report.counts, where)
        if rc == 0:
            print(f"copied {report.rows} rows in {len(report.counts)} tables from {src_path} to {where} "
                  f"in {time.perf_counter() - t0:.1f}s")
            if report.sequences_reset:
                print("sequences moved past the copied ids: " + ", ".join(report.sequences_reset))
            if report.sanitized:
                print(f"note: {report.sanitized} text value(s) held NUL characters (PostgreSQL text cannot); "
                      "they were replaced with U+FFFD")
            print('next: set [store] url (or url_env) to the PostgreSQL URL and schema = "'
                  f'{schema or ""}" in the config of every instance, then start them')
        return rc
    finally:
        await src.close()
        await dst.close()


def _print_counts(counts: list[TableCount], where: str) -> int:
    width = max((len(c.table) for c in counts), default=5)
    print(f"{'table':<{width}}  {'sqlite':>9}  {'postgresql':>10}")
    for c in counts:
        mark = "" if c.ok else "  MISMATCH"
        print(f"{c.table:<{width}}  {c.source:>9}  {c.target:>10}{mark}")
    bad = [c for c in counts if not c.ok]
    if bad:
        detail = "; ".join(f"{c.table}: sqlite {c.source}, postgresql {c.target}" for c in bad)
        print(f"recbot: store: row counts differ on {where}: {detail}. Was a bot instance still writing "
              "to the SQLite store? Stop every instance and rerun `recbot store migrate --force`.",
              file=sys.stderr)
        return 1
    return 0
