"""Subprocess for the SIGKILL tests: a storm of messages, button presses and reactions, handled
concurrently like a bot serving several channels. It prints ``BEGIN <id>`` before handing an event to
DialogueCore.handle() and ``ACK <id>`` only after handle() returned (that is what "acknowledged" means).

Every event has its own user, so what it should have stored is known from its id alone:
- ``m<n>`` (user ``um<n>``): "I loved Alien" (n even) or "I loved Alien, recommend something like it"
  (n odd): one positive mention of Alien and one user turn;
- ``b<n>`` (user ``ub<n>``): a like (n even) or dislike (n odd) button on the round's seed list;
- ``r<n>`` (user ``ur<n>``): 👍 (n odd) or 👎 (n even) on the round's seed list message.

``retry`` mode re-delivers the event ids given on stdin (the platform's retry after a crash) and exits.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.config import load_config
from bot.wiring import App, build_app
from core.events import AnyEvent, ButtonAction, ButtonPress, Message, Reaction

ROUND = 100_000  # event numbers of round k start at k * ROUND
CONCURRENCY = 8


def seed_message_id(n: int) -> str:
    return f"msg-{n // ROUND * ROUND}"


def build_event(event_id: str, rec_id: str, item_id: str) -> AnyEvent:
    kind, n = event_id[0], int(event_id[1:])
    if kind == "m":
        text = "I loved Alien" if n % 2 == 0 else "I loved Alien, recommend something like it"
        return Message(platform="test", tenant="t", channel=f"c{n % 5}", user=f"um{n}", event_id=event_id,
                       text=text)
    if kind == "b":
        action = ButtonAction.LIKE if n % 2 == 0 else ButtonAction.DISLIKE
        return ButtonPress(platform="test", tenant="t", channel="c", user=f"ub{n}", event_id=event_id,
                           action=action, rec_id=rec_id, item_id=item_id)
    return Reaction(platform="test", tenant="t", channel="c", user=f"ur{n}", event_id=event_id,
                    message_id=seed_message_id(n), emoji="👍" if n % 2 else "👎")


async def seed(app: App, start: int) -> tuple[str, str]:
    """The round's list that buttons and reactions are about (created once per round number)."""
    found = await app.store.recs.by_message("t", "test", seed_message_id(start))
    if found is None:
        (first,) = await app.core.handle(Message(platform="test", tenant="t", channel="c", user="seed",
                                                 event_id=f"seed-{start}", text="a funny movie"))
        await app.core.message_posted(first, seed_message_id(start))
        found = await app.store.recs.by_message("t", "test", seed_message_id(start))
    assert found is not None
    return found[0].rec_id, found[0].item_ids[0]


async def storm(app: App, start: int, count: int) -> None:
    rec_id, item_id = await seed(app, start)
    print("READY", flush=True)
    numbers = iter(range(start, start + count))

    async def worker() -> None:
        for n in numbers:
            event_id = "mbr"[n % 3] + str(n)
            print(f"BEGIN {event_id}", flush=True)
            await app.core.handle(build_event(event_id, rec_id, item_id))
            print(f"ACK {event_id}", flush=True)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def retry(app: App, event_ids: list[str]) -> None:
    seeds: dict[int, tuple[str, str]] = {}
    for event_id in event_ids:
        start = int(event_id[1:]) // ROUND * ROUND
        if start not in seeds:
            seeds[start] = await seed(app, start)
        await app.core.handle(build_event(event_id, *seeds[start]))
    print("DONE", flush=True)


async def main(config_path: str, mode: str, start: int, count: int) -> None:
    app = await build_app(load_config(Path(config_path)))
    try:
        if mode == "retry":
            await retry(app, sys.stdin.read().split())
        else:
            await storm(app, start, count)
    finally:
        await app.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
