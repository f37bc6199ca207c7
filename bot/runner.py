"""`recbot run`: start the configured platform adapters (and, later, the digest scheduler)."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.config import Config
from bot.wiring import build_app

log = logging.getLogger("recbot.run")


async def run(config: Config) -> int:
    app = await build_app(config)
    adapters: list[object] = []
    if not adapters:
        log.error("no platform configured: add a [discord] or [slack] section (see config.example.toml)")
        await app.aclose()
        print("recbot: no platform configured; add [discord] or [slack] to the config, or use `recbot chat`")
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await app.aclose()
    return 0
