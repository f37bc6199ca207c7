"""The terminal adapter: one message per line, replies printed as text.

Piped stdin is read to the end and the process exits 0, so a chat can be scripted. Lines starting with
"/" are commands: /like N, /dislike N, /morelike N (feedback on item N of the last list), /forget,
/prefs [export], /digest ..., /help. Everything else is a message.
"""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from core.events import AnyEvent, ButtonAction, ButtonPress, Command, ConversationKey, Message, Reply
from core.i18n import t
from core.ports import Adapter, AdapterPlugin, CoreHandle
from core.render import defuse, item_lines, valid_unicode
from core.settings import PlatformSettings
from core.store.privacy import Forgotten

PLATFORM = "console"
TENANT = "local"


@dataclass
class ConsoleSettings:
    channel: str = "terminal"
    user: str = ""
    export_dir: Path | None = None


class ConsoleSection(PlatformSettings):
    """[console]: who the terminal chat is (`recbot chat --channel/--user` override it)."""

    channel: str = "terminal"
    user: str = ""  # empty: the login name


def _create(core: CoreHandle, section: ConsoleSection, env: Mapping[str, str]) -> Adapter:
    return ConsoleAdapter(core, ConsoleSettings(channel=section.channel, user=section.user))


# The terminal is driven by `recbot chat`, not started as a service by `recbot run`.
plugin = AdapterPlugin("console", ConsoleSection, _create, service=False)


class ConsoleAdapter:
    platform = PLATFORM

    def __init__(self, core: CoreHandle, settings: ConsoleSettings, out: TextIO | None = None) -> None:
        self.core = core
        self.settings = settings
        # Both come from argv or the login name: bytes that are not UTF-8 arrive as lone surrogates.
        self.user = valid_unicode(settings.user or _whoami())
        self.channel = valid_unicode(settings.channel)
        self.out = out or sys.stdout
        self._last: Reply | None = None

    def _base(self) -> dict[str, object]:
        return {"platform": PLATFORM, "tenant": TENANT, "channel": self.channel, "user": self.user,
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

    def render(self, reply: Reply) -> str:
        """The reply as the terminal shows it: one ``recbot> `` block, continuation lines indented."""
        return "recbot> " + reply.text.replace("\n", "\n        ")

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
        self.out.write(self.render(reply) + "\n")
        if reply.file:
            _, content = reply.file
            if self.settings.export_dir:
                path = write_export(self.settings.export_dir, TENANT, self.user, content)
                note = t(None, "(saved to {path}, readable only by you; `forget me` deletes it)", path=path)
                self.out.write(f"        {note}\n")
            else:
                self.out.write(content + "\n")
        self.out.flush()

    async def forget_exports(self, gone: Forgotten) -> tuple[str, int] | None:
        """Forget hook: the person's export files go with their rows."""
        if self.settings.export_dir is None:
            return None
        n = remove_exports(self.settings.export_dir, gone.tenant, gone.user)
        return ("export files", n) if n else None

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


def _export_prefix(tenant: str, user: str) -> str:
    # A digest of the person, not their name, in the file name: the folder listing says nothing.
    return "recbot-export-" + hashlib.sha256(f"{tenant}\0{user}".encode()).hexdigest()[:16] + "-"


def write_export(folder: Path, tenant: str, user: str, content: str) -> Path:
    """A new file per export (never overwriting an earlier one), created 0600 in a 0700 folder: an
    export holds everything recbot knows about the person, so no other account may read it."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = folder / f"{_export_prefix(tenant, user)}{stamp}-{uuid.uuid4().hex[:8]}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(content)
    return path


def remove_exports(folder: Path, tenant: str, user: str) -> int:
    """Delete the person's export files (and the fixed-name file older versions wrote); how many."""
    if not folder.is_dir():
        return 0
    paths = list(folder.glob(_export_prefix(tenant, user) + "*.json"))
    if tenant == TENANT:
        paths += [p for p in (folder / "recbot-export.json",) if p.exists()]
    for p in paths:
        p.unlink(missing_ok=True)
    return len(paths)


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
