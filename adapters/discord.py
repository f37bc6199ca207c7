"""Discord adapter: a discord.py 2.7 client that turns gateway events into core events and posts Replies.

Mapping (see docs/discord.md):
- tenant = the guild id; DMs use the single tenant ``"dm"`` (preferences are per (tenant, user), so a
  person's DM taste profile is separate from their profile in any guild, and guilds never share data).
- channel = the channel id; in a thread, channel = the parent channel and thread = the thread id, and
  replies go back into the thread.
- Messages are answered when addressed (DM, @mention, mention of the bot's role); with the privileged
  ``message_content`` intent on, messages in ``allowed_channels`` are passed on too (addressed=False)
  and the core decides whether to join in.
- Slash commands and button clicks are deferred first (Discord's 3-second limit), then followed up.

Reconnects, resumes and rate limits are discord.py's job; we send exactly one message per Reply. A
gateway that ends anyway is reported through ``wait_failed`` and `recbot run` exits 1. The client
classes and gateway guards live in adapters/discord_gateway.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

import discord
from discord import app_commands

from adapters.discord_gateway import (
    Client,
    ShardedClient,
    drop_unparsable_events,
    gateway_end_reason,
    non_text_option,
)
from adapters.discord_settings import DiscordSettings
from adapters.discord_views import build_commands, render
from core.events import ButtonAction, ButtonPress, Command, ConversationKey, Event, Message, Reaction, Reply
from core.i18n import t
from core.ports import CoreHandle, UserSummary
from core.render import clean_name

log = logging.getLogger(__name__)

PLATFORM = "discord"
DM_TENANT = "dm"
# Commands whose answers concern one person (or are acknowledgements): only they see the answer. Decided
# before the core runs because the deferred "thinking…" message fixes the follow-up's visibility.
EPHEMERAL_COMMANDS = frozenset({"prefs", "forget", "digest"})
_SKIN_TONES = re.compile("[\U0001f3fb-\U0001f3ff]")




class DiscordAdapter:
    """Implements ``core.ports.Outbound`` too, so digests can be posted without an incoming event."""

    platform = PLATFORM

    def __init__(self, core: CoreHandle, settings: DiscordSettings, env: Mapping[str, str]) -> None:
        self.core = core
        self.settings = settings
        self.env = env
        intents = discord.Intents.default()
        intents.message_content = settings.message_content
        intents.typing = False  # we never look at typing events; saves gateway traffic
        kwargs: dict[str, Any] = {"intents": intents, "allowed_mentions": discord.AllowedMentions.none(),
                                  "max_messages": None, "guild_ready_timeout": settings.guild_ready_timeout}
        if settings.shard_count is not None and settings.shard_id is None:
            self.client: discord.Client = ShardedClient(self, shard_count=settings.shard_count, **kwargs)
        else:
            self.client = Client(self, shard_id=settings.shard_id, shard_count=settings.shard_count, **kwargs)
        drop_unparsable_events(self.client)
        self.tree = app_commands.CommandTree(self.client)
        for cmd in build_commands(self.run_command):
            self.tree.add_command(cmd)
        self._gateway: asyncio.Task[None] | None = None
        self._stopping = False
        self._failed: asyncio.Future[str] | None = None  # set when the gateway ends without stop()
        self._thread_parents: dict[int, int | None] = {}  # channel id -> parent id (None: not a thread)
        self._inflight: set[asyncio.Task[Any]] = set()

    @contextlib.contextmanager
    def tracked(self) -> Iterator[None]:
        """Remember the running handler so stop() can let it finish before the core is closed."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            yield
        finally:
            self._inflight.discard(task)  # type: ignore[arg-type]

    # ----- lifecycle ----------------------------------------------------------------------------
    def _token(self) -> str:
        token = self.env.get(self.settings.token_env, "").strip()
        if not token:
            raise RuntimeError(f"Discord bot token missing: set the {self.settings.token_env} environment variable")
        return token

    async def _login(self) -> None:
        if self.client.user is None:
            await self.client.login(self._token())

    async def start(self) -> None:
        """Log in (REST), optionally sync commands, then run the gateway in a background task."""
        await self._login()
        if self.settings.sync_commands_on_start:
            await self.sync_commands()
        self._failed = asyncio.get_running_loop().create_future()
        self._gateway = asyncio.create_task(self._run_gateway(), name="discord-gateway")

    async def _run_gateway(self) -> None:
        """discord.py reconnects and resumes by itself (reconnect=True) wherever Discord allows it. When
        connect() ends anyway, the session is over for good: say why and let `recbot run` exit non-zero
        (a process that stays up with a dead gateway is silent and looks healthy to systemd/Docker)."""
        error: BaseException | None = None
        try:
            await self.client.connect(reconnect=True)
        except Exception as err:  # noqa: BLE001 - reported through wait_failed, the runner decides
            error = err
            log.debug("the Discord gateway ended", exc_info=True)
        if not self._stopping and self._failed is not None and not self._failed.done():
            self._failed.set_result(gateway_end_reason(error))

    async def wait_failed(self) -> str:
        """Returns (with the reason) only if the gateway ends while the adapter is running."""
        if self._failed is None:
            raise RuntimeError("the Discord adapter was not started")
        return await asyncio.shield(self._failed)

    async def wait_until_ready(self) -> None:
        await self.client.wait_until_ready()

    async def stop(self, grace_s: float = 10.0) -> None:
        """Let handlers already running post their replies (up to grace_s), then disconnect.

        discord.py's close() also closes the HTTP session, so waiting afterwards would be too late.
        """
        self._stopping = True
        pending = {t for t in self._inflight if t is not asyncio.current_task()}
        if pending:
            await asyncio.wait(pending, timeout=grace_s)
        await self.client.close()
        if self._gateway is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._gateway
            self._gateway = None

    async def sync_commands(self, guild_ids: list[int] | None = None) -> dict[str, int]:
        """Register the slash commands with Discord: per guild (instant) or globally (up to an hour).

        Returns {guild id or "global": number of commands synced}. Logs in if needed; no gateway needed.
        """
        await self._login()
        guilds = guild_ids if guild_ids is not None else self.settings.sync_guilds
        if not guilds:
            return {"global": len(await self.tree.sync())}
        done: dict[str, int] = {}
        for gid in guilds:
            guild = discord.Object(id=gid)
            self.tree.copy_global_to(guild=guild)
            done[str(gid)] = len(await self.tree.sync(guild=guild))
        return done

    # ----- Outbound -----------------------------------------------------------------------------
    def render(self, reply: Reply) -> dict[str, Any]:
        """The message as discord.py keyword arguments (content, embed, buttons), within Discord's limits."""
        return render(reply)

    async def send(self, key: ConversationKey, reply: Reply, user: str | None = None) -> str:
        """Post where no event asked (digests). A non-numeric channel with a user means: DM that user.

        Errors propagate (the digest scheduler retries with backoff).
        """
        target: discord.abc.Messageable
        if (key.thread or key.channel).isdigit():
            target = self.client.get_partial_messageable(int(key.thread or key.channel))
        elif user:
            target = await (await self.client.fetch_user(int(user))).create_dm()
        else:
            raise ValueError(f"cannot post to {key.as_str()}: no channel id and no user")
        message = await target.send(**render(reply))
        await self._posted(reply, message)
        return str(message.id)

    # ----- where an event happened ------------------------------------------------------------
    async def _locate(self, channel: Any, channel_id: int, guild_id: int | None) -> tuple[str, str | None]:
        """(channel, thread) for the core: threads report their parent channel, plus their own id."""
        if isinstance(channel, discord.Thread):
            return str(channel.parent_id), str(channel.id)
        if guild_id is None or isinstance(channel, discord.abc.GuildChannel):
            return str(channel_id), None
        if channel_id not in self._thread_parents:  # uncached guild channel: ask once, remember
            parent: int | None = None
            try:
                fetched = await self.client.fetch_channel(channel_id)
                parent = fetched.parent_id if isinstance(fetched, discord.Thread) else None
            except discord.HTTPException:
                log.warning("could not fetch channel %s; treating it as a plain channel", channel_id)
            self._thread_parents[channel_id] = parent
        parent = self._thread_parents[channel_id]
        return (str(parent), str(channel_id)) if parent else (str(channel_id), None)

    @staticmethod
    def _base(guild_id: int | None, user_id: int, user_name: str | None, event_id: str,
              where: tuple[str, str | None], ts: float) -> dict[str, Any]:
        return {
            "platform": PLATFORM, "tenant": str(guild_id) if guild_id else DM_TENANT, "channel": where[0],
            "thread": where[1], "user": str(user_id), "event_id": event_id, "ts": ts,
            # Cleaned like message text: one lone surrogate in a name made every message of its owner fail.
            "user_name": clean_name(user_name), "is_dm": guild_id is None,
        }

    # ----- messages -----------------------------------------------------------------------------
    def _addressed(self, message: discord.Message) -> bool:
        me = self.client.user
        if message.guild is None:
            return True
        if me is None:
            return False
        if me.id in message.raw_mentions or any(u.id == me.id for u in message.mentions):
            return True
        return any(r.tags is not None and r.tags.bot_id == me.id for r in message.role_mentions)

    def _strip_mentions(self, message: discord.Message) -> str:
        text = message.content
        me = self.client.user
        if me is not None:
            text = re.sub(rf"<@!?{me.id}>", " ", text)
        for role in message.role_mentions:
            if me is not None and role.tags is not None and role.tags.bot_id == me.id:
                text = text.replace(role.mention, " ")
        return text.strip()  # the core cleans and caps length (and says so when it cut)

    async def handle_message(self, message: discord.Message) -> None:
        if message.author.bot or message.webhook_id is not None:
            return  # other bots, webhooks and ourselves: never answer (no bot-to-bot loops)
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        guild_id = message.guild.id if message.guild else None
        where = await self._locate(message.channel, message.channel.id, guild_id)
        addressed = self._addressed(message)
        if not addressed:
            followed = self.settings.message_content and int(where[0]) in self.settings.allowed_channels
            if not followed:
                return
        author = message.author
        event = Message(**self._base(guild_id, author.id, author.display_name, str(message.id), where,
                                     message.created_at.timestamp()),
                        text=self._strip_mentions(message), addressed=addressed)
        if addressed:
            async with message.channel.typing():
                replies = await self.core.handle(event)
        else:
            replies = await self.core.handle(event)
        if not addressed:
            # Followed, not addressed: the core answers everything it is given, so join in only when it
            # found something to recommend; chit-chat still updates context and preferences.
            replies = [r for r in replies if r.items]
        for n, reply in enumerate(replies):
            reference = message.to_reference(fail_if_not_exists=False) if n == 0 and guild_id else None
            try:
                sent = await message.channel.send(**render(reply), reference=reference, mention_author=False)
            except discord.Forbidden:
                log.warning("no permission to post in channel %s (guild %s)", message.channel.id, guild_id)
                return
            await self._posted(reply, sent)

    async def _posted(self, reply: Reply, sent: discord.Message | discord.WebhookMessage) -> None:
        if reply.rec_id:
            await self.core.message_posted(reply, str(sent.id))

    # ----- reactions ----------------------------------------------------------------------------
    async def handle_reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        me = self.client.user
        if me is None or payload.user_id == me.id:
            return
        if payload.member is not None and payload.member.bot:
            return
        if payload.message_author_id is not None and payload.message_author_id != me.id:
            return  # not our message (known on add only; the core ignores removals on messages it never posted)
        emoji = payload.emoji
        name = _SKIN_TONES.sub("", emoji.name or "") if emoji.is_unicode_emoji() else (emoji.name or "")
        if not name:
            return
        channel = self.client.get_channel(payload.channel_id)
        where = await self._locate(channel, payload.channel_id, payload.guild_id)
        # The name is only a label: no REST lookup per reaction when the user is not cached.
        user = payload.member or self.client.get_user(payload.user_id)
        now = discord.utils.utcnow().timestamp()
        # Gateway reactions carry no id; add/remove/add again must not be collapsed by the core's dedupe.
        event_id = f"{payload.message_id}:{payload.user_id}:{name}:{'+' if added else '-'}:{now}"
        event = Reaction(**self._base(payload.guild_id, payload.user_id, user.display_name if user else None,
                                      event_id, where, now),
                         message_id=str(payload.message_id), emoji=name, added=added)
        for reply in await self.core.handle(event):
            target = self.client.get_partial_messageable(int(where[1] or where[0]), guild_id=payload.guild_id)
            sent = await target.send(**render(reply))
            await self._posted(reply, sent)

    # ----- interactions -------------------------------------------------------------------------
    async def _interaction_base(self, interaction: discord.Interaction[Any]) -> dict[str, Any]:
        where = await self._locate(interaction.channel, interaction.channel_id or 0, interaction.guild_id)
        user = interaction.user
        return self._base(interaction.guild_id, user.id, user.display_name, str(interaction.id), where,
                          interaction.created_at.timestamp())

    async def run_command(self, interaction: discord.Interaction[Any], name: str, args: str = "") -> None:
        """Slash command -> Command event. Defer first: the core may take longer than Discord's 3 s."""
        with self.tracked():
            bad = non_text_option((interaction.data or {}).get("options"))
            await interaction.response.defer(thinking=True, ephemeral=bad is not None or name in EPHEMERAL_COMMANDS)
            if bad is not None:
                lang = str(interaction.locale).split("-")[0]
                text = t(lang, "The option `{option}` takes text, for example `/recommend query: a funny 80s "
                               "movie`. Please try again with words.", option=bad)
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
                return
            event = Command(**await self._interaction_base(interaction), name=name, args=args)
            await self._follow_up(interaction, event)

    async def handle_button(self, interaction: discord.Interaction[Any], action: ButtonAction, rec_id: str,
                         item_id: str) -> None:
        await interaction.response.defer()  # acknowledge silently; the answer comes as a follow-up
        message_id = str(interaction.message.id) if interaction.message else None
        event = ButtonPress(**await self._interaction_base(interaction), action=action, rec_id=rec_id,
                            item_id=item_id, message_id=message_id)
        await self._follow_up(interaction, event)

    async def _follow_up(self, interaction: discord.Interaction[Any], event: Event) -> None:
        try:
            replies = await self.core.handle(event)  # type: ignore[arg-type]
        except Exception:
            log.exception("core failed on %s", type(event).__name__)
            replies = [Reply(text="Sorry, something went wrong on my side. Please try again.", ephemeral=True)]
        if not replies:
            if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
                await interaction.delete_original_response()  # nothing to say: drop the "thinking…"
            return
        for reply in replies:
            sent = await interaction.followup.send(**render(reply), ephemeral=reply.ephemeral, wait=True)
            await self._posted(reply, sent)


class _NoCore:
    """The core stand-in for a sync-only adapter: registering commands never handles an event."""

    async def handle(self, event: Event) -> list[Reply]:
        raise RuntimeError("this Discord adapter only syncs commands; it has no core")

    async def message_posted(self, reply: Reply, message_id: str) -> None:
        raise RuntimeError("this Discord adapter only syncs commands; it has no core")

    async def user_summary(self, tenant: str, user: str) -> UserSummary:
        raise RuntimeError("this Discord adapter only syncs commands; it has no core")


async def sync_commands(settings: DiscordSettings, env: Mapping[str, str],
                        guild_ids: list[int] | None = None) -> dict[str, int]:
    """`recbot discord sync-commands`: register the slash commands over REST only (no gateway, no core,
    no models loaded). ``guild_ids`` None means the configured ``sync_guilds`` (empty: global)."""
    adapter = DiscordAdapter(_NoCore(), settings, env)
    try:
        return await adapter.sync_commands(guild_ids)
    finally:
        await adapter.client.close()
