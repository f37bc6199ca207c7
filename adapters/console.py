"""The terminal adapter: one message per line, replies printed as text.

Piped stdin is read to the end and the process exits 0, so a chat can be scripted. Lines starting with
"/" are commands: /like N, /dislike N, /morelike N (feedback on item N of the last list), /forget,
/prefs [export], /digest ..., /help. Everything else is a message.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from core.events import AnyEvent, ButtonAction, ButtonPress, Command, ConversationKey, Message, Reply
from core.ports import CoreHandle
from core.render import defuse, item_lines

PLATFORM = "console"
TENANT = "local"


@dataclass
class ConsoleSettings:
    channel: str = "terminal"
    user: str = ""
    export_dir: Path | None = None


class ConsoleAdapter:
    platform = PLATFORM

    def __init__(self, core: CoreHandle, settings: ConsoleSettings, out: TextIO | None = None) -> None:
        self.core = core
        self.settings = settings
        self.user = settings.user or _whoami()
        self.out = out or sys.stdout
        self._last: Reply | None = None

    def _base(self) -> dict[str, object]:
        return {"platform": PLATFORM, "tenant": TENANT, "channel": self.settings.channel, "user": self.user,
                "event_id": uuid.uuid4().hex, "user_name": self.user, "is_dm": True}

    def to_event(self, line: str) -> AnyEvent | str:
        """Parse one input line; a str result is an error to print instead of sending anything."""
        if not line.startswith("/") or line.startswith("//"):
            return Message(**self._base(), text=line)  # type: ignore[arg-type]
        name, _, args = line[1:].partition(" ")
        name = name.lower()
        actions = {"like": ButtonAction.LIKE, "dislike": ButtonAction.DISLIKE, "morelike": ButtonAction.MORE_LIKE}
        if name in actions:
            last = self._last
            if last is None or not last.items or not last.rec_id:
                return "There is no list to give feedback on yet."
            try:
                n = int(args.strip())
                item = last.items[n - 1]
                if n < 1:
                    raise IndexError
            except (ValueError, IndexError):
                return f"Usage: /{name} N, where N is 1-{len(last.items)} from the last list."
            return ButtonPress(**self._base(), action=actions[name], rec_id=last.rec_id,  # type: ignore[arg-type]
                               item_id=item.item_id, message_id=None)
        return Command(**self._base(), name=name, args=args.strip())  # type: ignore[arg-type]

    async def send(self, key: ConversationKey, reply: Reply, user: str | None = None) -> str:
        """Outbound (digests): print the reply; the message id is a fresh uuid."""
        self._print(reply)
        return await self._posted(reply)

    async def handle_line(self, line: str) -> None:
        event = self.to_event(line)
        if isinstance(event, str):
            self.out.write(f"recbot> {event}\n")
            return
        streamed: list[str] = []

        async def sink(piece: str) -> None:
            # The prose appears as the model writes it; the item list follows when the reply is done.
            self.out.write(("recbot> " if not streamed else "") + defuse(piece))
            self.out.flush()
            streamed.append(piece)

        replies = await self.core.handle(event, prose_sink=sink)
        for n, reply in enumerate(replies):
            if n == 0 and streamed and reply.items:
                self.out.write("\n        " + item_lines(reply.items).replace("\n", "\n        ") + "\n")
                self.out.flush()
                await self._posted(reply)
            else:
                await self.send(event.key, reply)

    async def _posted(self, reply: Reply) -> str:
        message_id = uuid.uuid4().hex
        if reply.rec_id:
            await self.core.message_posted(reply, message_id)
            self._last = reply
        return message_id

    def _print(self, reply: Reply) -> None:
        self.out.write("recbot> " + reply.text.replace("\n", "\n        ") + "\n")
        if reply.file:
            name, content = reply.file
            if self.settings.export_dir:
                self.settings.export_dir.mkdir(parents=True, exist_ok=True)
                path = self.settings.export_dir / name
                path.write_text(content, encoding="utf-8")
                self.out.write(f"        (saved to {path})\n")
            else:
                self.out.write(content + "\n")
        self.out.flush()

    async def run_lines(self, lines: Iterable[str]) -> None:
        for raw in lines:
            await self.handle_line(raw.rstrip("\r\n"))

    async def run_interactive(self) -> None:
        self.out.write("recbot: ask me for a movie or a book (Ctrl-D or Ctrl-C to quit, /help for commands)\n")
        while True:
            try:
                line = await _read_line("you> ")
            except EOFError:
                self.out.write("\n")
                return
            await self.handle_line(line)


async def _read_line(prompt: str) -> str:
    """input() on a daemon thread of its own. The default executor would do, but asyncio.run() waits
    for its threads on exit, so Ctrl-C at an idle prompt hung until Enter was pressed; nothing waits
    for a daemon thread, so the interrupt ends the program at once."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[str] = loop.create_future()

    def deliver(line: str | None, error: BaseException | None) -> None:
        if done.done():
            return  # the prompt was abandoned (Ctrl-C): nobody wants this line
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(line or "")

    def read() -> None:
        try:
            line, error = input(prompt), None
        except BaseException as exc:  # EOFError (Ctrl-D), or a closed stdin
            line, error = None, exc
        try:
            loop.call_soon_threadsafe(deliver, line, error)
        except RuntimeError:
            pass  # the loop is already closed: the program is exiting

    threading.Thread(target=read, name="recbot-console-input", daemon=True).start()
    return await done


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "local-user"
