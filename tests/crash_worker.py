"""Subprocess for the SIGKILL test: processes a storm of messages and reactions, printing an ACK line
for every reaction only after DialogueCore.handle() returned (that is what "acknowledged" means)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.config import load_config
from bot.wiring import build_app
from core.events import Message, Reaction


async def main(config_path: str, start: int, count: int) -> None:
    app = await build_app(load_config(Path(config_path)))
    core = app.core
    first = await core.handle(Message(platform="test", tenant="t", channel="c", user="seed",
                                      event_id=f"seed-{start}", text="a funny movie"))
    await core.message_posted(first[0], f"msg-{start}")
    print("READY", flush=True)
    for n in range(start, start + count):
        user = f"u{n % 17}"
        if n % 3 == 0:
            await core.handle(Message(platform="test", tenant="t", channel=f"c{n % 5}", user=user,
                                      event_id=f"m{n}", text="more"))
            continue
        emoji = "👍" if n % 2 else "👎"
        await core.handle(Reaction(platform="test", tenant="t", channel="c", user=user, event_id=f"r{n}",
                                   message_id=f"msg-{start}", emoji=emoji))
        print(f"ACK r{n}", flush=True)
    await app.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
