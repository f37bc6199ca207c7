"""Slack adapter: a slack-bolt AsyncApp in Socket Mode or behind a signed HTTP endpoint.

Every listener acknowledges at once and hands the work to a tracked asyncio task, so Slack always gets
its answer well inside 3 seconds no matter how slow the core is. Duplicate deliveries (Slack retries
after a timeout, the same event_id twice) are dropped here while in flight and by the core's persistent
event_id dedupe afterwards. One installation (the workspace, or the organization of an org-wide
install, that bolt authorized) is one tenant. Posting lives in adapters/slack_post.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import time
from collections.abc import Coroutine, Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult

from adapters.slack_blocks import (
    HOME_FORGET_ACTION,
    clean_incoming,
    mentions,
    parse_button_id,
    render_reply,
)
from adapters.slack_http import Lru, SlackHttpEndpoint
from adapters.slack_post import SlackPoster
from adapters.slack_workspaces import RefusalLoggedOnce, SlackSettings, SlackWorkspaces, install_key
from core.events import (
    AnyEvent,
    ButtonAction,
    ButtonPress,
    Command,
    ConversationKey,
    Message,
    Reaction,
    Reply,
)
from core.ports import CoreHandle
from core.render import clean_name

log = logging.getLogger("recbot.slack")

log.addFilter(RefusalLoggedOnce())

PLATFORM = "slack"
_USER_MESSAGE_SUBTYPES = {None, "file_share", "thread_broadcast"}
# Slash commands whose answers concern one person: only they see them (an export still goes to the DM).
PRIVATE_COMMANDS = frozenset({"prefs", "forget", "digest"})
_TENANT = "recbot_tenant"  # where authorize leaves the accepted installation in bolt's request context


def _from_bot(event: Mapping[str, Any]) -> bool:
    return bool(event.get("bot_id") or event.get("bot_profile")) or event.get("subtype") == "bot_message"


class SlackAdapter:
    """Implements ``core.ports.Outbound`` for digests; ``start``/``stop`` run the chosen mode."""

    platform = PLATFORM

    def __init__(self, core: CoreHandle, settings: SlackSettings, env: Mapping[str, str]) -> None:
        self._core = core
        self._settings = settings
        # Secrets are read here once and kept off every log line and repr.
        self._workspaces = SlackWorkspaces(settings, env, log)
        self._app_token = env.get(settings.app_token_env) or None
        signing_secret = env.get(settings.signing_secret_env) or ""
        if settings.mode == "socket" and not self._app_token:
            raise ValueError(f"Socket Mode needs an app-level token in {settings.app_token_env}")
        if settings.mode == "http" and not signing_secret:
            raise ValueError(f"HTTP mode needs the signing secret in {settings.signing_secret_env}")
        if settings.mode not in ("socket", "http"):
            raise ValueError(f"unknown Slack mode {settings.mode!r}")
        self._seen_events = Lru(20_000)
        self._out = SlackPoster(core, self._workspaces)
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # per conversation, with a user count
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None

        async def authorize(context: AsyncBoltContext, enterprise_id: str | None,
                            team_id: str | None) -> AuthorizeResult | None:
            # A plain function: bolt injects arguments by parameter name and trips over a bound "self".
            # The tenant is the installation bolt authorizes (authorizations[0] for events, the org for
            # an org-wide install), never the body's own team_id: in a shared channel that names the
            # other workspace, and a body could name any workspace at all.
            key = install_key(enterprise_id, team_id, context.is_enterprise_install)
            found = await self._workspaces.authorize(key)
            if found is None:
                return None
            result, tenant = found
            context[_TENANT] = tenant
            return result

        self.app = AsyncApp(
            name="recbot",
            logger=log,
            client=self._workspaces.new_client(None),
            authorize=authorize,
            signing_secret=signing_secret,
            request_verification_enabled=settings.mode == "http",
        )
        self._http = SlackHttpEndpoint(self.app, signing_secret, log)
        self._register()

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._settings.mode == "http":
            server = web.Application()
            server.router.add_post(self._settings.path, self._http.handle)
            self._runner = web.AppRunner(server, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, self._settings.host, self._settings.port).start()
            log.info("slack: HTTP events endpoint on %s:%s%s", self._settings.host, self.port,
                     self._settings.path)
        else:
            self._socket = AsyncSocketModeHandler(self.app, app_token=self._app_token,
                                                  web_client=self._workspaces.new_client(None), logger=log)
            await self._socket.connect_async()
            log.info("slack: Socket Mode connected")

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wait_idle(), timeout=10)
        for task in list(self._tasks):
            task.cancel()

    @property
    def port(self) -> int:
        """The bound port (useful when settings.port is 0)."""
        if self._runner is None or not self._runner.addresses:
            return self._settings.port
        return int(self._runner.addresses[0][1])

    async def wait_idle(self) -> None:
        """Wait until every acknowledged request has been fully handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ---- Outbound --------------------------------------------------------------------------------

    def render(self, reply: Reply) -> tuple[str, list[Any] | None]:
        """(fallback text, Block Kit blocks), escaped for Slack's mrkdwn."""
        return render_reply(reply)

    async def send(self, key: ConversationKey, reply: Reply, user: str | None = None) -> str:
        channel = key.channel or user  # a user id as channel posts into the app's DM with them
        if not channel:
            raise ValueError("send needs a channel or a user")
        ts = await self._out.deliver(key.tenant, reply, channel=channel, thread=key.thread, user=user)
        return ts or ""

    @staticmethod
    def _tenant(context: AsyncBoltContext) -> str | None:
        """The installation ``authorize`` accepted for this request (None: it never ran)."""
        tenant = context.get(_TENANT)
        return tenant if isinstance(tenant, str) and tenant else None

    # ---- listeners (all acknowledge first; the work runs in _spawn'ed tasks) ---------------------

    def _register(self) -> None:
        app = self.app
        app.event("app_mention")(self._on_mention)
        app.event("message")(self._on_message)
        app.event("reaction_added")(self._on_reaction)
        app.event("reaction_removed")(self._on_reaction)
        app.event("app_home_opened")(self._on_home_opened)
        for command in self._settings.commands:
            app.command(command)(self._on_command)
        app.action(re.compile(r"^rb:(like|dislike|more):"))(self._on_button)
        app.action(HOME_FORGET_ACTION)(self._on_home_forget)

    def _first_delivery(self, tenant: str, body: Mapping[str, Any]) -> bool:
        event_id = body.get("event_id")
        return not event_id or self._seen_events.add((tenant, event_id))

    async def _on_mention(self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        tenant = self._tenant(context)
        if not tenant or _from_bot(event) or not event.get("user") or not self._first_delivery(tenant, body):
            return
        channel, ts = event["channel"], event["ts"]
        thread = event.get("thread_ts") or (ts if self._settings.reply_in_thread else None)
        if thread:
            self._out.threads.add((tenant, channel, thread))
        self._spawn(self._run(Message(
            platform=PLATFORM, tenant=tenant, channel=channel, user=event["user"], event_id=body["event_id"],
            thread=thread, ts=float(ts), text=clean_incoming(event.get("text", ""), context.bot_user_id),
            is_dm=channel.startswith("D"), addressed=True)))

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        tenant = self._tenant(context)
        if not tenant or _from_bot(event) or event.get("subtype") not in _USER_MESSAGE_SUBTYPES or not event.get("user"):
            return
        channel, ts, thread = event["channel"], event["ts"], event.get("thread_ts")
        is_dm = event.get("channel_type") == "im"
        if not is_dm:
            # Channel messages reach us only as replies in threads the bot is part of; one that
            # mentions the bot arrives again as app_mention and is handled there.
            if not thread or thread == ts or mentions(event.get("text", ""), context.bot_user_id):
                return
            if (tenant, channel, thread) not in self._out.threads and event.get("parent_user_id") != context.bot_user_id:
                return
        if not self._first_delivery(tenant, body):
            return
        self._spawn(self._run(Message(
            platform=PLATFORM, tenant=tenant, channel=channel, user=event["user"], event_id=body["event_id"],
            thread=thread, ts=float(ts), text=clean_incoming(event.get("text", ""), context.bot_user_id),
            is_dm=is_dm, addressed=True)))

    async def _on_reaction(self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        tenant = self._tenant(context)
        item = event.get("item") or {}
        item_user = event.get("item_user")
        if not tenant or item.get("type") != "message" or not event.get("user") or not event.get("reaction"):
            return
        if item_user and context.bot_user_id and item_user != context.bot_user_id:
            return  # only reactions on the bot's own messages carry feedback
        if not self._first_delivery(tenant, body):
            return
        channel, message_ts = item["channel"], item["ts"]
        self._spawn(self._run(Reaction(
            platform=PLATFORM, tenant=tenant, channel=channel, user=event["user"], event_id=body["event_id"],
            thread=self._out.posted.get((tenant, channel, message_ts)), is_dm=channel.startswith("D"),
            message_id=message_ts, emoji=event["reaction"].split("::")[0],  # drop ::skin-tone-N
            added=event.get("type") == "reaction_added")))

    async def _on_home_opened(self, body: dict[str, Any], event: dict[str, Any],
                              context: AsyncBoltContext) -> None:
        tenant = self._tenant(context)
        if tenant and event.get("tab") == "home" and event.get("user"):
            self._spawn(self._out.publish_home(tenant, event["user"]))

    async def _on_command(self, ack: Any, body: dict[str, Any], command: dict[str, Any],
                          context: AsyncBoltContext) -> None:
        await ack()
        tenant = self._tenant(context)
        if not tenant:
            return
        channel = command["channel_id"]
        name = self._settings.commands.get(command["command"], command["command"].lstrip("/"))
        self._spawn(self._run(Command(
            platform=PLATFORM, tenant=tenant, channel=channel, user=command["user_id"],
            event_id=f"cmd:{command.get('trigger_id') or time.time_ns()}", user_name=command.get("user_name"),
            is_dm=channel.startswith("D"), name=name,
            args=clean_incoming(command.get("text", ""), context.bot_user_id)),
            response_url=command.get("response_url"), private=name in PRIVATE_COMMANDS))

    async def _on_button(self, ack: Any, body: dict[str, Any], action: dict[str, Any],
                         context: AsyncBoltContext) -> None:
        await ack()
        parsed = parse_button_id(action.get("action_id", ""))
        container, message = body.get("container") or {}, body.get("message") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        tenant = self._tenant(context)
        if parsed is None or not channel or not tenant:
            return
        button, rec_id, item_id = parsed
        user = body["user"]["id"]
        message_ts = container.get("message_ts") or message.get("ts")
        press = ButtonPress(
            platform=PLATFORM, tenant=tenant, channel=channel, user=user,
            event_id=f"act:{body.get('trigger_id') or action.get('action_ts')}",
            thread=container.get("thread_ts") or message.get("thread_ts"),
            user_name=body["user"].get("username"), is_dm=channel.startswith("D"),
            action=button, rec_id=rec_id, item_id=item_id, message_id=message_ts)
        self._spawn(self._run(press, response_url=body.get("response_url"),
                              message=message if button != ButtonAction.MORE_LIKE else None))

    async def _on_home_forget(self, ack: Any, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        tenant, user = self._tenant(context), body["user"]["id"]
        if not tenant:
            return
        forget = Command(platform=PLATFORM, tenant=tenant, channel=user, user=user, is_dm=True,
                         event_id=f"act:{body.get('trigger_id') or time.time_ns()}", name="forget")
        self._spawn(self._run(forget, home_after=True))

    # ---- the asynchronous half -------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guarded(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:  # already acknowledged: nobody else would ever see this error
            log.exception("slack: background work failed")

    async def _run(self, event: AnyEvent, *, response_url: str | None = None,
                   message: Mapping[str, Any] | None = None, home_after: bool = False,
                   private: bool = False) -> None:
        """``private``: every reply goes to the person alone (ephemeral), whatever the core decided."""
        key = event.key.as_str()
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            # One conversation at a time, so replies come out in the order the messages went in.
            async with lock:
                # A name is cleaned here like message text: one invalid code point in it made every
                # message of that person fail (the store cannot encode a lone surrogate).
                name = clean_name(event.user_name) or await self._out.user_name(event.tenant, event.user)
                event = dataclasses.replace(event, user_name=name)
                replies = await self._core.handle(event)
                for reply in replies:
                    await self._out.deliver(event.tenant, dataclasses.replace(reply, ephemeral=True) if private else reply,
                                        channel=event.channel, thread=event.thread, user=event.user,
                                        response_url=response_url)
                # Mark the list only when the core took the press: a refused one (a list forgotten since,
                # an unknown item) gets the core's explanation and leaves the list as it was.
                accepted = any(r.feedback_recorded for r in replies)
                if isinstance(event, ButtonPress) and accepted and message and message.get("blocks"):
                    await self._out.mark_feedback(event, message, response_url)
                if home_after:
                    await self._out.publish_home(event.tenant, event.user)
        except Exception:
            log.exception("slack: failed to handle %s %s", type(event).__name__, event.event_id)
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
