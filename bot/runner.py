"""`recbot run`: start the configured platform adapters (and the digest scheduler) until a signal.

Adapters are independent: a platform that fails to start is logged and the others keep running; the
reconnect backoff of each platform belongs to its client library (discord.py, slack-sdk). A platform
connection that ends for good while running (an adapter's ``wait_failed`` returns) ends `recbot run`
with exit status 1 and one ERROR line saying why, so systemd or Docker restart it instead of leaving a
live process that answers nobody.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
from typing import Any, Protocol

from bot.config import Config, ConfigError
from bot.wiring import App, build_app

log = logging.getLogger("recbot.run")


class Runnable(Protocol):
    platform: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Supervised(Protocol):
    """An adapter whose connection can die for good while running (Discord's gateway)."""

    platform: str

    async def wait_failed(self) -> str: ...


EXIT_PLATFORM_FAILED = 1


def settings_from(cls: type, section: str, raw: dict[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise ConfigError(f"[{section}] unknown setting(s): {', '.join(unknown)}")
    return cls(**raw)


def build_adapters(app: App) -> list[Runnable]:
    cfg = app.config
    adapters: list[Runnable] = []
    try:
        if cfg.discord is not None:
            from adapters.discord import DiscordAdapter, DiscordSettings

            adapters.append(DiscordAdapter(app.core, settings_from(DiscordSettings, "discord", cfg.discord),
                                           os.environ))
        if cfg.slack is not None:
            from adapters.slack import SlackAdapter, SlackSettings

            adapters.append(SlackAdapter(app.core, settings_from(SlackSettings, "slack", cfg.slack),
                                         os.environ))
    except (TypeError, ValueError) as e:
        # Missing secrets or malformed settings: the messages name env vars, never their values.
        raise ConfigError(str(e)) from e
    return adapters


async def run(config: Config, stop: asyncio.Event | None = None) -> int:
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
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests)
            pass
    started: list[Runnable] = []
    for adapter in adapters:
        try:
            await adapter.start()
            started.append(adapter)
            app.outbound[adapter.platform] = adapter  # type: ignore[assignment]
        except Exception:
            log.exception("could not start the %s adapter", getattr(adapter, "platform", "?"))
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


async def _until_stopped_or_failed(stop: asyncio.Event, adapters: list[Runnable]) -> tuple[str, str] | None:
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
