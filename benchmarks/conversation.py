"""One channel's scripted conversation through DialogueCore.handle, shared by the load benchmarks.

"REACT" in a script stands for a 👍 on the bot's last recommendation message (posted as ``m-<key>``).
"""

from __future__ import annotations

import time
from typing import Any

from core.events import AnyEvent, Message, Reaction, Reply

REACT = "REACT"
SCRIPT = [  # benchmarks/load.py
    "hi",
    "recommend me a funny movie from the 80s",
    REACT,
    "something else, not that one",
    "a dark sci-fi movie, nothing before 1990",
    "more",
    "why the second one?",
    "show my preferences",
]
# benchmarks/store_backends.py: reading the history back instead of explaining an item, for the store
STORE_SCRIPT = [*SCRIPT[:6], "what did you recommend before?", SCRIPT[7]]


def script_messages(base: dict[str, str], key: str, script: list[str]) -> list[AnyEvent]:
    """The script's messages (reactions left out), event ids ``<key>-<index>``."""
    return [Message(**base, event_id=f"{key}-{i}", text=text)  # type: ignore[arg-type]
            for i, text in enumerate(script) if text != REACT]


async def play(core: Any, base: dict[str, str], key: str, script: list[str], latencies: list[float]) -> list[Reply]:
    """Run ``script`` in order as one person in one channel; each handle() time goes to ``latencies``."""
    replies: list[Reply] = []
    last: Reply | None = None
    for i, text in enumerate(script):
        ev: AnyEvent
        if text == REACT:
            if last is None:
                continue
            await core.message_posted(last, f"m-{key}")
            ev = Reaction(**base, event_id=f"{key}-{i}", message_id=f"m-{key}", emoji="👍")  # type: ignore[arg-type]
        else:
            ev = Message(**base, event_id=f"{key}-{i}", text=text)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        out = await core.handle(ev)
        latencies.append(time.perf_counter() - t0)
        replies += out
        last = next((r for r in out if r.rec_id), last)
    return replies
