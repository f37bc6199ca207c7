"""Discord presentation: Reply -> message kwargs (content / embed / persistent buttons), slash commands.

Kept apart from adapters/discord.py so the event plumbing and the presentation each stay small. Nothing
here talks to the core: ``RecButton.callback`` hands a click to the client (a ``ButtonSink``, which the
adapter's client is), and each slash command hands its name and arguments to the adapter's runner.
"""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord
from discord import app_commands

from core.events import ButtonAction, Reply

# Discord's documented limits (https://discord.com/developers/docs/resources/message#create-message).
CONTENT_MAX = 2000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
ROWS_MAX = 5  # classic action rows; one row of three buttons per item

EMBED_COLOUR = discord.Colour(0x5865F2)
# DOTALL: an item id is any text (catalog data); without it an id starting with a newline made the
# button constructor raise (the whole reply failed) and one containing a newline made a dead button.
CUSTOM_ID_RE = re.compile(r"rb:(?P<action>like|dislike|more):(?P<rec_id>[^:]+):(?P<item_id>.+)", re.DOTALL)


def truncate(text: str, limit: int) -> str:
    """Cut to ``limit`` characters, marking the cut with an ellipsis so readers know text is missing."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def custom_id(action: ButtonAction, rec_id: str, item_id: str) -> str:
    return f"rb:{action.value}:{rec_id}:{item_id}"


CommandRunner = Callable[[discord.Interaction[Any], str, str], Awaitable[None]]


class ButtonSink(Protocol):
    async def on_recbot_button(
        self, interaction: discord.Interaction[Any], action: ButtonAction, rec_id: str, item_id: str
    ) -> None: ...


class RecButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CUSTOM_ID_RE):
    """A feedback button whose state lives entirely in its custom_id.

    Registered once per client with ``add_dynamic_items``, so a click on a message posted by a previous
    process (or before a restart) is still parsed and dispatched: no in-memory view has to survive.
    """

    def __init__(self, action: ButtonAction, rec_id: str, item_id: str, *, label: str | None = None,
                 emoji: str | None = None, row: int | None = None) -> None:
        style = discord.ButtonStyle.primary if action is ButtonAction.MORE_LIKE else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(style=style, label=label, emoji=emoji, custom_id=custom_id(action, rec_id, item_id)),
            row=row,
        )
        self.action, self.rec_id, self.item_id = action, rec_id, item_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RecButton:
        return cls(ButtonAction(match["action"]), match["rec_id"], match["item_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        sink = interaction.client
        if hasattr(sink, "on_recbot_button"):
            await sink.on_recbot_button(interaction, self.action, self.rec_id, self.item_id)


def _around_items(reply: Reply) -> tuple[str, str]:
    """Split the plain-text rendering into the lead-in before the item list and any note after it."""
    titles = [it.title for it in reply.items]
    lines = reply.text.splitlines()
    listed = [n for n, line in enumerate(lines) if any(t in line for t in titles)]
    if not listed:
        return "", ""  # the text never lists the items, so there is nothing to separate
    return "\n".join(lines[: listed[0]]).strip(), "\n".join(lines[listed[-1] + 1:]).strip()


def build_embed(reply: Reply) -> discord.Embed:
    embed = discord.Embed(title="Recommendations", colour=EMBED_COLOUR)
    intro, outro = _around_items(reply)
    if intro:
        embed.description = truncate(intro, EMBED_DESCRIPTION_MAX)
    if outro:
        embed.set_footer(text=truncate(outro, EMBED_FOOTER_MAX))
    for n, item in enumerate(reply.items[:EMBED_FIELDS_MAX], start=1):
        name = truncate(f"{n}. {item.label()}", FIELD_NAME_MAX)
        value = item.reason or "—"
        if item.creator:
            value = f"*{item.creator}*\n{value}"
        value = truncate(value, FIELD_VALUE_MAX)
        # Stop adding fields rather than have Discord reject the whole message (400) for the 6000 total.
        if len(embed) + len(name) + len(value) > EMBED_TOTAL_MAX:
            break
        embed.add_field(name=name, value=value, inline=False)
    return embed


def build_view(reply: Reply) -> discord.ui.View | None:
    """Three buttons per item, one item per row (so at most five items get buttons)."""
    if not reply.buttons or not reply.rec_id:
        return None
    view = discord.ui.View(timeout=None)
    for row, item in enumerate(reply.items[:ROWS_MAX]):
        ids = [custom_id(a, reply.rec_id, item.item_id) for a in ButtonAction]
        if max(len(i) for i in ids) > CUSTOM_ID_MAX:
            continue  # cannot encode this item; reactions on the message still work
        view.add_item(RecButton(ButtonAction.LIKE, reply.rec_id, item.item_id, emoji="👍", row=row,
                                label=truncate(f"{row + 1}. {item.title}", BUTTON_LABEL_MAX - 4)))
        view.add_item(RecButton(ButtonAction.DISLIKE, reply.rec_id, item.item_id, emoji="👎", row=row))
        view.add_item(RecButton(ButtonAction.MORE_LIKE, reply.rec_id, item.item_id, label="More like this",
                                row=row))
    return view if view.children else None


def render(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for ``Messageable.send`` / ``Webhook.send``: never pings anyone."""
    kwargs: dict[str, Any] = {"allowed_mentions": discord.AllowedMentions.none()}
    if reply.items:
        kwargs["embed"] = build_embed(reply)
        view = build_view(reply)
        if view is not None:
            kwargs["view"] = view
    else:
        kwargs["content"] = truncate(reply.text or "…", CONTENT_MAX)
    if reply.file is not None:
        name, body = reply.file
        kwargs["file"] = discord.File(io.BytesIO(body.encode("utf-8")), filename=name)
    return kwargs


def build_commands(run: CommandRunner) -> list[app_commands.Command[Any, ..., Any] | app_commands.Group]:
    """The slash commands; each one calls ``run(interaction, core command name, args)``."""

    @app_commands.command(name="recommend", description="Recommend something (optionally: what you're after)")
    @app_commands.describe(query="e.g. 'a tense sci-fi film from the 80s'")
    async def recommend(interaction: discord.Interaction, query: str | None = None) -> None:
        await run(interaction, "recommend", query or "")

    @app_commands.command(name="more", description="More recommendations like the last ones")
    async def more(interaction: discord.Interaction) -> None:
        await run(interaction, "more")

    @app_commands.command(name="why", description="Why was this recommended?")
    @app_commands.describe(item="title of a recommended item (default: the last list)")
    async def why(interaction: discord.Interaction, item: str | None = None) -> None:
        await run(interaction, "why", item or "")

    @app_commands.command(name="prefs", description="What I know about your taste (only you see it)")
    async def prefs(interaction: discord.Interaction) -> None:
        await run(interaction, "prefs")

    @app_commands.command(name="forget", description="Forget everything about you in this server")
    async def forget(interaction: discord.Interaction) -> None:
        await run(interaction, "forget")

    digest = app_commands.Group(name="digest", description="Scheduled recommendation digests")

    @digest.command(name="subscribe", description="Get a recommendation digest here on a schedule")
    @app_commands.describe(schedule="e.g. 'daily 09:00 Europe/Paris' or 'weekly fri 18:00'")
    async def subscribe(interaction: discord.Interaction, schedule: str | None = None) -> None:
        await run(interaction, "digest", f"subscribe {schedule or ''}".strip())

    @digest.command(name="unsubscribe", description="Stop a digest")
    @app_commands.describe(subscription="subscription id, or 'all' (default: your only one here)")
    async def unsubscribe(interaction: discord.Interaction, subscription: str | None = None) -> None:
        await run(interaction, "digest", f"unsubscribe {subscription or ''}".strip())

    @digest.command(name="now", description="Send a digest right now")
    async def now(interaction: discord.Interaction) -> None:
        await run(interaction, "digest", "now")

    @digest.command(name="list", description="List digest subscriptions here")
    async def list_(interaction: discord.Interaction) -> None:
        await run(interaction, "digest", "list")

    return [recommend, more, why, prefs, forget, digest]
