"""The `recbot` command line: chat, run, catalog import, export-user, digests, store tools."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from bot.config import Config, ConfigError, load_config
from bot.environment import EnvironmentProblem, open_store
from bot.logs import setup_logging
from bot.store_cli import add_parser as add_store_parser
from core.store.db import StoreDamaged


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="recbot", description="Conversational recommendation bot")
    p.add_argument("--config", type=Path, help="TOML config file (default: $RECBOT_CONFIG or built-in defaults)")
    sub = p.add_subparsers(dest="cmd", required=True)

    chat = sub.add_parser("chat", help="chat in the terminal (reads stdin lines when piped)")
    chat.add_argument("--channel", default=None,
                      help="conversation name (context is kept per channel; default: [console] channel)")
    chat.add_argument("--user", default=None, help="user name (default: [console] user, else your login)")

    sub.add_parser("run", help="run the configured platform adapters and the digest scheduler")

    cat = sub.add_parser("catalog", help="catalog tools")
    cat_sub = cat.add_subparsers(dest="catalog_cmd", required=True)
    imp = cat_sub.add_parser("import", help="import a catalog from CSV, JSONL or MovieLens movies.csv")
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", choices=["csv", "jsonl", "movielens"], help="default: by extension/header")
    imp.add_argument("--name", help="catalog name (default: the file's stem)")
    imp.add_argument("--skip-bad", action="store_true", help="import the good rows even if some rows are bad")
    cat_sub.add_parser("info", help="show the active catalog's size and domains")

    dc = sub.add_parser("discord", help="Discord tools")
    dcs = dc.add_subparsers(dest="discord_cmd", required=True)
    sc = dcs.add_parser("sync-commands", help="register the slash commands with Discord")
    sc.add_argument("--guild", type=int, action="append",
                    help="guild id (repeatable); default [discord] sync_guilds, else global")

    dg = sub.add_parser("digest", help="scheduled digests: list subscriptions, send one now")
    dg_sub = dg.add_subparsers(dest="digest_cmd", required=True)
    dg_sub.add_parser("list", help="list active digest subscriptions (all tenants)").add_argument("--tenant")
    dg_sub.add_parser("run-now", help="send one digest of a subscription now").add_argument("subscription")

    exp = sub.add_parser("export-user", help="print everything stored about a user as JSON")
    exp.add_argument("user")
    exp.add_argument("--tenant", default="local")
    fg = sub.add_parser("forget-user", help="delete everything stored about a user")
    fg.add_argument("user")
    fg.add_argument("--tenant", default="local")
    add_store_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as e:
        print(f"recbot: config error: {e}", file=sys.stderr)
        return 2
    setup_logging(config.logging.level, config.logging.as_json)
    try:
        if args.cmd == "chat":
            return asyncio.run(_chat(config, args.channel, args.user))
        if args.cmd == "catalog":
            from bot.catalog_cli import catalog_import, catalog_info

            if args.catalog_cmd == "import":
                return catalog_import(config, args.file, args.format, args.name, args.skip_bad)
            return catalog_info(config)
        if args.cmd == "digest":
            from bot.digest_cli import digest_main

            return asyncio.run(digest_main(config, args))
        if args.cmd in ("export-user", "forget-user"):
            return asyncio.run(_user_data(config, args.cmd, args.tenant, args.user))
        if args.cmd == "store":
            from bot import store_cli

            return store_cli.run(config, args)
        if args.cmd == "discord":
            return asyncio.run(_discord_sync(config, args.guild))
        if args.cmd == "run":
            from bot.runner import run

            return asyncio.run(run(config))
    except ConfigError as e:
        print(f"recbot: config error: {e}", file=sys.stderr)
        return 2
    except EnvironmentProblem as e:
        print(f"recbot: {e}", file=sys.stderr)
        return 1
    except StoreDamaged as e:
        print(f"recbot: {e}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
    return 0


async def _chat(config: Config, channel: str | None, user: str | None) -> int:
    from adapters.console import ConsoleAdapter, ConsoleSection, ConsoleSettings
    from bot.wiring import build_app

    section = config.platform("console") or ConsoleSection()
    channel = channel if channel is not None else section.channel  # type: ignore[attr-defined]
    user = user if user is not None else section.user  # type: ignore[attr-defined]

    app = await build_app(config)
    try:
        waiter = getattr(app.generator, "wait_ready", None)
        if waiter is not None:
            # The local model loads (and, the first time, converts) in the background: wait for it so
            # the first replies are written by it rather than by the template fallback.
            print("recbot: loading the language model…", file=sys.stderr, flush=True)
            if not await waiter(180):
                print("recbot: the language model is not available; using template replies", file=sys.stderr)
        console = ConsoleAdapter(app.core, ConsoleSettings(channel=channel, user=user,
                                                           export_dir=config.data_dir / "exports"))
        app.outbound[console.platform] = console  # digests (`/digest now`) post here
        app.store.forget_hooks.append(console.forget_exports)  # "forget me" removes the export files
        if sys.stdin.isatty():
            await console.run_interactive()
        else:
            sys.stdin.reconfigure(errors="replace")  # type: ignore[union-attr]
            await console.run_lines(sys.stdin)
    finally:
        await app.aclose()
    return 0


async def _discord_sync(config: Config, guilds: list[int] | None) -> int:
    import os

    from bot.runner import check_platforms

    discord = config.platform("discord")
    if discord is None:
        raise ConfigError("[discord] is not configured")
    check_platforms(config, os.environ)
    from adapters.discord import sync_commands

    done = await sync_commands(discord, os.environ, guilds)  # type: ignore[arg-type]
    for where, n in done.items():
        print(f"synced {n} commands to {where}")
    return 0


async def _user_data(config: Config, cmd: str, tenant: str, user: str) -> int:
    from adapters.console import remove_exports
    from bot.scheduler import digest_settings, jobstore_url, remove_persisted_jobs
    from core.store.privacy import Forgotten

    # The configured store, not always the SQLite file: on a PostgreSQL deployment forget-user must
    # delete from the shared database every instance reads.
    store = await open_store(config)
    try:
        if cmd == "export-user":
            print(json.dumps(await store.export_user(tenant, user), indent=2, ensure_ascii=False))
        else:
            url = jobstore_url(config, digest_settings(config))

            async def remove_jobs(gone: Forgotten) -> tuple[str, int] | None:
                # A running bot finds no job left to fire; the next start's sync agrees.
                n = await asyncio.to_thread(remove_persisted_jobs, url, gone.sub_ids)
                return ("scheduled digest jobs", n) if n else None

            store.forget_hooks.append(remove_jobs)
            counts = await store.forget_user(tenant, user)
            counts["export files"] = remove_exports(config.data_dir / "exports", tenant, user)
            print(json.dumps({"deleted": counts}))
    finally:
        await store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
