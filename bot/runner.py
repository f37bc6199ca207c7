"""`recbot run`: start the configured platform adapters (and the digest scheduler) until a signal.

Adapters are independent: a platform that fails to start is logged and the others keep running; the
reconnect backoff of each platform belongs to its client library (discord.py, slack-sdk).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Mapping
from typing import Protocol

from bot.config import Config, ConfigError
from bot.environment import require
from bot.wiring import App, build_app

log = logging.getLogger("recbot.run")


class Runnable(Protocol):
    platform: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


# Platform section -> the modules its adapter needs (installed by the extra of the same name).
PLATFORM_MODULES = {"discord": ("discord",), "slack": ("slack_bolt", "slack_sdk")}


def check_platforms(config: Config, env: Mapping[str, str]) -> None:
    """Before anything loads: every configured platform has its extra installed and its secrets set."""
    for name, modules in PLATFORM_MODULES.items():
        settings = getattr(config, name)
        if settings is None:
            continue
        require(modules, f"[{name}]")
        if missing := settings.missing_secrets(env):
            raise ConfigError(f"[{name}] needs {' and '.join(missing)}: set the environment variable "
                              "(the *_env settings name which one)")


def build_adapters(app: App) -> list[Runnable]:
    cfg = app.config
    adapters: list[Runnable] = []
    try:
        if cfg.discord is not None:
            from adapters.discord import DiscordAdapter

            adapters.append(DiscordAdapter(app.core, cfg.discord, os.environ))
        if cfg.slack is not None:
            from adapters.slack import SlackAdapter

            adapters.append(SlackAdapter(app.core, cfg.slack, os.environ))
    except (TypeError, ValueError) as e:
        # Missing secrets: the messages name env vars, never their values.
        raise ConfigError(str(e)) from e
    return adapters


async def run(config: Config, stop: asyncio.Event | None = None) -> int:
    check_platforms(config, os.environ)
    app = await build_app(config)
    try:
        adapters = build_adapters(app)
    except ConfigError:
        await app.aclose()
        raise
    if not adapters:
        await app.aclose()
        print("recbot: no platform configured; add [discord] or [slack] to the config, or use `recbot chat`")
        return 2
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests)
            pass
    started: list[Runnable] = []
    for adapter in adapters:
        try:
            await adapter.start()
            started.append(adapter)
            app.outbound[adapter.platform] = adapter  # type: ignore[assignment]
        except Exception as e:  # e.g. a token the platform refuses: one line; the traceback at DEBUG
            log.error("could not start the %s adapter: %s: %s", adapter.platform, type(e).__name__, e)
            log.debug("start failure of the %s adapter", adapter.platform, exc_info=True)
    if not started:
        await app.aclose()
        return 1
    await app.start_background()
    await stop.wait()
    for adapter in started:
        try:
            await adapter.stop()
        except Exception:
            log.exception("error while stopping the %s adapter", adapter.platform)
    await app.aclose()
    return 0
