"""`recbot run`: start the configured platform adapters (and the digest scheduler) until a signal.

Adapters are independent: a platform that fails to start is logged and the others keep running; the
reconnect backoff of each platform belongs to its client library (discord.py, slack-sdk,
python-telegram-bot). Which adapters exist is discovered through entry points (bot/plugins.py). A platform
connection that ends for good while running (an adapter's ``wait_failed`` returns) ends `recbot run`
with exit status 1 and one ERROR line saying why, so systemd or Docker restart it instead of leaving a
live process that answers nobody.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Mapping
from typing import Any, Protocol

from bot.config import Config, ConfigError
from bot.environment import require
from bot.plugins import discover
from bot.wiring import App, build_app
from core.ports import Adapter

log = logging.getLogger("recbot.run")


def check_platforms(config: Config, env: Mapping[str, str]) -> None:
    """Before anything loads: every configured platform has its extra installed and its secrets set."""
    plugins = discover()
    for name, settings in config.platforms.items():
        require(plugins[name].modules, f"[{name}]")
        if missing := settings.missing_secrets(env):
            raise ConfigError(f"[{name}] needs {' and '.join(missing)}: set the environment variable "
                              "(the *_env settings name which one)")


class Supervised(Protocol):
    """An adapter whose connection can die for good while running (Discord's gateway)."""

    platform: str

    async def wait_failed(self) -> str: ...


EXIT_PLATFORM_FAILED = 1


def build_adapters(app: App) -> list[Adapter]:
    """One adapter per configured service platform, built by its plugin (which imports its library)."""
    plugins = discover()
    adapters: list[Adapter] = []
    for name, settings in app.config.platforms.items():
        plugin = plugins[name]
        if not plugin.service:
            log.info("[%s] is not a service platform; `recbot chat` uses it", name)
            continue
        try:
            adapters.append(plugin.create(app.core, settings, os.environ))
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
        services = [n for n, p in discover().items() if p.service]
        print(f"recbot: no platform configured; add one of [{'], ['.join(services)}] to the config, "
              "or use `recbot chat`")
        return 2
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests)
            pass
    started: list[Adapter] = []
    for adapter in adapters:
        try:
            await adapter.start()
            started.append(adapter)
            app.outbound[adapter.platform] = adapter
        except Exception as e:  # e.g. a token the platform refuses: one line; the traceback at DEBUG
            log.error("could not start the %s adapter: %s: %s", adapter.platform, type(e).__name__, e)
            log.debug("start failure of the %s adapter", adapter.platform, exc_info=True)
    if not started:
        await app.aclose()
        return 1
    await app.start_background()
    failure = await _until_stopped_or_failed(stop, started)
    if failure is not None:
        log.error("the %s connection ended for good: %s; recbot exits with status %d so that its service "
                  "manager (systemd, Docker) restarts it", *failure, EXIT_PLATFORM_FAILED)
    for adapter in started:
        try:
            await adapter.stop()
        except Exception:
            log.exception("error while stopping the %s adapter", adapter.platform)
    await app.aclose()
    for sig in handled:
        loop.remove_signal_handler(sig)
    return 0 if failure is None else EXIT_PLATFORM_FAILED


async def _until_stopped_or_failed(stop: asyncio.Event, adapters: list[Adapter]) -> tuple[str, str] | None:
    """Wait for a stop signal (None) or for a supervised adapter to fail: (platform, reason)."""
    waits: dict[asyncio.Future[Any], str | None] = {asyncio.ensure_future(stop.wait()): None}
    for adapter in adapters:
        if callable(getattr(adapter, "wait_failed", None)):
            supervised: Supervised = adapter  # type: ignore[assignment]
            waits[asyncio.ensure_future(supervised.wait_failed())] = supervised.platform
    done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for future in pending:
        future.cancel()
    failed = next((f for f in done if waits[f] is not None), None)
    return None if failed is None else (str(waits[failed]), str(failed.result()))
