"""`recbot catalog import|info`: validate every row first, then write atomically."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from rich.progress import Progress

from bot.config import Config
from bot.environment import check_data_dir
from bot.wiring import build_catalog
from core.recommend.catalog_import import read_catalog_file, write_catalog

MAX_ERRORS_SHOWN = 50


def catalog_import(config: Config, path: Path, fmt: str | None, name: str | None, skip_bad: bool) -> int:
    if not path.is_file():
        print(f"recbot: no such file: {path}", file=sys.stderr)
        return 2
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", name or path.stem).strip("-") or "catalog"
    total = sum(1 for _ in path.open("rb"))
    with Progress(transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task(f"reading {path.name}", total=total)
        # Prefix ids with the catalog name so two imports never collide with each other or the bundle.
        result = read_catalog_file(path, fmt, id_prefix=f"{name}:", progress=lambda n: progress.advance(task, n))
    for line, reason in result.errors[:MAX_ERRORS_SHOWN]:
        print(f"{path}:{line}: {reason}", file=sys.stderr)
    if len(result.errors) > MAX_ERRORS_SHOWN:
        print(f"... and {len(result.errors) - MAX_ERRORS_SHOWN} more errors", file=sys.stderr)
    if result.errors and not (skip_bad and result.items):
        print(f"recbot: {len(result.errors)} bad row(s); nothing imported "
              "(fix them, or pass --skip-bad to import the good rows)", file=sys.stderr)
        return 1
    check_data_dir(config.data_dir)  # a file or read-only folder in the way: one line, not a traceback
    dest = config.data_dir / "catalogs" / f"{name}.jsonl"
    check_data_dir(dest.parent)
    write_catalog(result.items, dest)
    skipped = f", skipped {len(result.errors)} bad row(s)" if result.errors else ""
    print(f"imported {len(result.items)} items into catalog '{name}' ({dest}){skipped}")
    return 0


def catalog_info(config: Config) -> int:
    catalog = build_catalog(config)
    by_domain: dict[str, int] = {}
    for it in catalog:
        by_domain[it.domain] = by_domain.get(it.domain, 0) + 1
    print(f"{len(catalog)} items (version {catalog.version()}): "
          + ", ".join(f"{n} {d}s" for d, n in sorted(by_domain.items())))
    return 0
