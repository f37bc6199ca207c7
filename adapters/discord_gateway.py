"""The Discord adapter's discord.py client: its event hooks, and what it does about input discord.py
lets through and about a gateway that ends.

- Gateway events reach the adapter through the client's hooks (plain or auto-sharded client alike).
- A gateway event discord.py cannot parse is dropped, not allowed to end the session.
- A slash-command option whose value is not text is named, so the person gets a clear answer.
- A gateway that ends for good (a close code discord.py does not resume, such as 4014 "disallowed
  intents", or a frame it cannot decode) is described in one line, for the log line that precedes
  `recbot run` exiting non-zero so systemd or Docker restart it. Resumable closes never get here:
  ``Client.connect(reconnect=True)`` resumes them itself.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

import discord

from adapters.discord_views import RecButton
from core.events import ButtonAction

# The adapter's logger: operators (and the fuzz tests) watch one name for everything Discord.
log = logging.getLogger("adapters.discord")



class EventHandlers(Protocol):
    """What the client forwards gateway events to (the adapter)."""

    def tracked(self) -> AbstractContextManager[None]: ...

    async def handle_message(self, message: discord.Message) -> None: ...

    async def handle_reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None: ...

    async def handle_button(self, interaction: discord.Interaction[Any], action: ButtonAction, rec_id: str,
                            item_id: str) -> None: ...


class _Hooks:
    """Event methods shared by the plain and the auto-sharded client; each forwards to the adapter,
    tracked so that stopping lets a running handler finish."""

    adapter: EventHandlers

    async def setup_hook(self) -> None:
        self.add_dynamic_items(RecButton)  # type: ignore[attr-defined]

    async def on_message(self, message: discord.Message) -> None:
        with self.adapter.tracked():
            await self.adapter.handle_message(message)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        with self.adapter.tracked():
            await self.adapter.handle_reaction(payload, added=True)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        with self.adapter.tracked():
            await self.adapter.handle_reaction(payload, added=False)

    async def on_recbot_button(
        self, interaction: discord.Interaction[Any], action: ButtonAction, rec_id: str, item_id: str
    ) -> None:
        with self.adapter.tracked():
            await self.adapter.handle_button(interaction, action, rec_id, item_id)


class Client(_Hooks, discord.Client):
    def __init__(self, adapter: EventHandlers, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.adapter = adapter


class ShardedClient(_Hooks, discord.AutoShardedClient):
    def __init__(self, adapter: EventHandlers, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.adapter = adapter


# Close codes discord.py does not resume, with what the operator should do about each.
_FATAL_CLOSES = {
    4004: "the bot token was rejected: check DISCORD_TOKEN",
    4010: "an invalid shard was sent: check [discord] shard_id and shard_count",
    4011: "this bot needs sharding: set [discord] shard_count",
    4012: "an invalid gateway API version was requested",
    4013: "invalid intents were requested",
    4014: "privileged intents were refused: enable the Message Content intent for this application in the "
          "Discord developer portal, or set [discord] message_content = false",
}


def gateway_end_reason(err: BaseException | None) -> str:
    """One line saying why the gateway ended, never quoting a payload (it may hold message content)."""
    if err is None:
        return "the gateway connection closed"
    if isinstance(err, discord.PrivilegedIntentsRequired):
        return f"Discord closed the gateway with code 4014: {_FATAL_CLOSES[4014]}"
    if isinstance(err, discord.ConnectionClosed):
        hint = _FATAL_CLOSES.get(err.code or 0, "discord.py cannot resume after it")
        return f"Discord closed the gateway with code {err.code}: {hint}"
    if isinstance(err, discord.LoginFailure):
        return "Discord rejected the bot token: check DISCORD_TOKEN"
    if isinstance(err, ValueError | zlib.error):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        # These errors name a position or one byte, never the frame's text, so they can be shown.
        kind = "zlib" if isinstance(err, zlib.error) else type(err).__name__
        return f"a gateway frame could not be decoded ({kind}: {str(err)[:120]})"
    return f"the gateway failed ({type(err).__name__})"


def non_text_option(options: Any) -> str | None:
    """The name of the first option whose value is not text, or None.

    Every option of our commands is a string. Discord's clients enforce that, but a payload can carry
    any JSON (an integer, a list) and discord.py passes it through to the command unchecked, where the
    core would fail on it. Subcommands nest their options; names are cut and stripped of backticks."""
    for option in options if isinstance(options, list) else []:
        if not isinstance(option, dict):
            continue
        if isinstance(option.get("options"), list):
            nested = non_text_option(option["options"])
            if nested is not None:
                return nested
        elif "value" in option and not isinstance(option["value"], str):
            return str(option.get("name") or "?").replace("`", "")[:32] or "?"
    return None


def drop_unparsable_events(client: discord.Client) -> None:
    """discord.py parses each gateway event inside its read loop, so one payload it cannot parse (a missing
    field, an id that is not a number) raised out of Client.connect and the gateway never came back: the
    bot went silent for good. Drop that one event instead and keep the session."""
    parsers = getattr(getattr(client, "_connection", None), "parsers", None)
    if not isinstance(parsers, dict):  # discord.py internals moved; keep its own behaviour
        log.warning("cannot guard discord.py's gateway parsers; a malformed event will stop the gateway")
        return
    for event, parse in list(parsers.items()):
        parsers[event] = _dropping_errors(event, parse)


def _dropping_errors(event: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
    def guarded(data: Any) -> None:
        try:
            parse(data)
        except Exception as err:  # noqa: BLE001 - one bad event must not end the session
            # The error's text may quote the payload (message content): the type name only, details at DEBUG.
            log.error("dropped a %s gateway event discord.py could not parse (%s)", event, type(err).__name__)
            log.debug("unparsable %s event", event, exc_info=True)

    return guarded
