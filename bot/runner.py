"""`recbot run`: start the configured platform adapters (and the digest scheduler) until a signal.

Adapters are independent: a platform that fails to start is logged and the others keep running; the
reconnect backoff of each platform belongs to its client library (discord.py, slack-sdk).
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
        except Exception:
            log.exception("could not start the %s adapter", getattr(adapter, "platform", "?"))
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
