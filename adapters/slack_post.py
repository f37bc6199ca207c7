"""The Slack adapter's outgoing half: posting replies, marking feedback on lists, the App Home, names.

Kept apart from the listeners in adapters/slack.py. It remembers (bounded) which messages it posted and
which threads the bot takes part in, which the listeners consult to follow threads and map reactions.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack_blocks import home_view, render_reply, with_feedback
from adapters.slack_http import Lru
from adapters.slack_workspaces import SlackWorkspaces
from core.events import ButtonPress, Reply
from core.ports import CoreHandle
from core.render import clean_name

log = logging.getLogger("recbot.slack")

_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")


class SlackPoster:
    def __init__(self, core: CoreHandle, workspaces: SlackWorkspaces) -> None:
        self._core = core
        self._workspaces = workspaces
        self.threads = Lru(20_000)  # (tenant, channel, thread_ts) the bot takes part in
        self.posted = Lru(20_000)  # (tenant, channel, ts) of our messages -> their thread
        self._marks = Lru(2_000)  # (tenant, channel, ts) -> the blocks last written by a feedback mark
        self._user_names = Lru(20_000)  # (tenant, user) -> display name

    async def deliver(self, tenant: str, reply: Reply, *, channel: str, thread: str | None,
                       user: str | None, response_url: str | None = None) -> str | None:
        """Post one reply; returns its ts (None for ephemeral, file or response_url posts)."""
        if reply.key is not None and reply.key.channel:
            channel, thread = reply.key.channel, reply.key.thread
        text, blocks = render_reply(reply)
        client = self._workspaces.client(tenant)
        if reply.file is not None and user:
            await self._send_file(client, reply.file, text, user)
            return None
        # A user id as channel means the app's DM with them: nobody else is there, post normally.
        if reply.ephemeral and not _USER_ID.match(channel):
            if response_url:
                await AsyncWebhookClient(response_url).send(text=text, blocks=blocks, response_type="ephemeral")
                return None
            if user:
                await client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks,
                                                thread_ts=thread)
                return None
        try:
            resp = await client.chat_postMessage(channel=channel, text=text, blocks=blocks, thread_ts=thread,
                                                 unfurl_links=False, unfurl_media=False)
        except SlackApiError as err:
            # A slash command in a channel the bot is not in: its response_url can still answer there.
            if response_url and err.response.get("error") in ("not_in_channel", "channel_not_found"):
                await AsyncWebhookClient(response_url).send(text=text, blocks=blocks, response_type="in_channel")
                return None
            raise
        ts = str(resp["ts"])
        posted_channel = str(resp.get("channel") or channel)
        self.posted.add((tenant, posted_channel, ts), thread)
        self.threads.add((tenant, posted_channel, thread or ts))
        if reply.rec_id:
            await self._core.message_posted(reply, ts)
        return ts

    async def mark_feedback(self, press: ButtonPress, message: Mapping[str, Any], response_url: str | None) -> None:
        """Show who rated what under the item. chat.update cannot edit ephemeral messages or messages in
        channels the bot has left; the action's response_url can, so it is the fallback."""
        text = message.get("text") or " "
        # Two people rating one list at once both send the blocks as they were before either press:
        # start from what this process last wrote to that message (updates are serialized per thread).
        marked = self._marks.get((press.tenant, press.channel, press.message_id)) or message["blocks"]
        blocks = with_feedback(marked, press.item_id, press.user, press.action)
        self._marks.add((press.tenant, press.channel, press.message_id), blocks)
        try:
            if not press.message_id:
                raise LookupError("no message ts")
            await self._workspaces.client(press.tenant).chat_update(channel=press.channel, ts=press.message_id, text=text,
                                                         blocks=blocks)
        except (SlackApiError, LookupError):
            if not response_url:
                raise
            await AsyncWebhookClient(response_url).send(text=text, blocks=blocks, replace_original=True)

    async def _send_file(self, client: AsyncWebClient, file: tuple[str, str], text: str, user: str) -> None:
        """Files carry personal data (exports): always into the person's DM with the app, never a channel."""
        dm = await client.conversations_open(users=user)
        await client.files_upload_v2(channel=dm["channel"]["id"], filename=file[0], content=file[1],
                                     initial_comment=text)

    async def publish_home(self, tenant: str, user: str) -> None:
        summary = await self._core.user_summary(tenant, user)
        await self._workspaces.client(tenant).views_publish(user_id=user, view=home_view(summary))

    async def user_name(self, tenant: str, user: str) -> str | None:
        if (tenant, user) not in self._user_names:
            name: str | None = None
            try:  # needs users:read; without it the core simply gets no display name
                info = (await self._workspaces.client(tenant).users_info(user=user)).get("user") or {}
                profile = info.get("profile") or {}
                name = clean_name(profile.get("display_name") or info.get("real_name") or info.get("name"))
            except Exception as err:  # noqa: BLE001 - a name is a nicety, never a reason to fail
                log.debug("slack: users.info failed for %s: %s", user, type(err).__name__)
            self._user_names.add((tenant, user), name)
        return self._user_names.get((tenant, user))
