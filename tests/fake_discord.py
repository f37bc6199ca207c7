"""A small fake Discord on loopback: REST stub + gateway WebSocket, enough for a real discord.py client.

The adapter's own ``discord.Client`` connects to it unchanged once ``discord.http.Route.BASE`` and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` point here (``FakeDiscord.patched()`` does that and
restores them). The gateway speaks HELLO -> IDENTIFY -> READY -> GUILD_CREATE, answers heartbeats, and
compresses frames as the zlib-stream discord.py asks for (one compressobj, a sync flush per frame).
Every REST request is recorded so tests can assert on the exact JSON the bot sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000
JSON = "application/json"  # discord.py compares the Content-Type literally


@dataclass
class Recorded:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any


@dataclass
class FakeGuild:
    id: int
    name: str
    channels: list[int]  # text channels
    threads: dict[int, int] = field(default_factory=dict)  # thread id -> parent channel id


class FakeDiscord:
    def __init__(self, guilds: list[FakeGuild], *, bot_id: int = 1100000000000000900, app_id: int = 1100000000000000901) -> None:
        self.guilds = guilds
        self.bot_id = bot_id
        self.app_id = app_id
        self.requests: list[Recorded] = []
        self.messages: dict[int, dict[str, Any]] = {}  # every message the bot posted, by id
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self._resumable: dict[str, list[int] | None] = {}  # session id -> its shard
        self._sockets: list[tuple[web.WebSocketResponse, Any]] = []
        self._shard_of: dict[int, list[int] | None] = {}  # id(socket) -> [shard id, count] it identified as
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._token_channel: dict[str, int] = {}  # interaction token -> channel, for follow-ups
        self._runner: web.AppRunner | None = None
        self.base = ""

    # ----- ids and payload builders -------------------------------------------------------------
    def snowflake(self) -> int:
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) + next(self._ids)

    def bot_user(self) -> dict[str, Any]:
        return {"id": str(self.bot_id), "username": "recbot", "discriminator": "0", "global_name": "recbot",
                "avatar": None, "bot": True, "flags": 0, "verified": True, "mfa_enabled": False}

    @staticmethod
    def user(user_id: int, name: str = "alice", *, bot: bool = False) -> dict[str, Any]:
        return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name,
                "avatar": None, "bot": bot}

    def channel_of(self, channel_id: int) -> tuple[FakeGuild | None, int | None]:
        """(guild, parent id if the channel is a thread)."""
        for g in self.guilds:
            if channel_id in g.channels:
                return g, None
            if channel_id in g.threads:
                return g, g.threads[channel_id]
        return None, None

    def channel_payload(self, channel_id: int) -> dict[str, Any]:
        guild, parent = self.channel_of(channel_id)
        if guild is None:
            return {"id": str(channel_id), "type": 1, "recipients": [self.user(1)], "last_message_id": None}
        base = {"id": str(channel_id), "guild_id": str(guild.id), "name": f"c{channel_id}", "position": 0,
                "permission_overwrites": [], "nsfw": False, "last_message_id": None}
        if parent is None:
            return {**base, "type": 0, "parent_id": None, "topic": None, "rate_limit_per_user": 0}
        return {**base, "type": 11, "parent_id": str(parent), "owner_id": "1", "message_count": 0,
                "member_count": 1, "rate_limit_per_user": 0,
                "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                    "archive_timestamp": "2024-01-01T00:00:00+00:00", "locked": False}}

    def guild_payload(self, g: FakeGuild) -> dict[str, Any]:
        return {
            "id": str(g.id), "name": g.name, "owner_id": "1", "icon": None, "features": [],
            "roles": [{"id": str(g.id), "name": "@everyone", "permissions": "1071698660929", "position": 0,
                       "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}],
            "emojis": [], "stickers": [], "member_count": 2, "large": False, "unavailable": False,
            "joined_at": "2024-01-01T00:00:00+00:00", "verification_level": 0, "premium_tier": 0,
            "mfa_level": 0, "nsfw_level": 0, "system_channel_flags": 0, "preferred_locale": "en-US",
            "members": [{"user": self.bot_user(), "roles": [], "joined_at": "2024-01-01T00:00:00+00:00",
                         "deaf": False, "mute": False, "flags": 0}],
            "channels": [self.channel_payload(c) for c in g.channels],
            "threads": [self.channel_payload(t) for t in g.threads],
            "voice_states": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
        }

    def message_payload(self, channel_id: int, author: dict[str, Any], content: str,
                        mentions: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
        guild, _ = self.channel_of(channel_id)
        data: dict[str, Any] = {
            "id": str(self.snowflake()), "channel_id": str(channel_id), "author": author, "content": content,
            "timestamp": "2024-01-01T00:00:00+00:00", "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": mentions or [], "mention_roles": [], "attachments": [],
            "embeds": [], "pinned": False, "type": 0, "flags": 0, "components": [],
        }
        if guild is not None:
            data["guild_id"] = str(guild.id)
            data["member"] = {"roles": [], "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False,
                              "mute": False, "flags": 0}
        return {**data, **extra}

    def interaction_payload(self, channel_id: int, user: dict[str, Any], itype: int,
                            data: dict[str, Any], message: dict[str, Any] | None = None) -> dict[str, Any]:
        guild, _ = self.channel_of(channel_id)
        payload: dict[str, Any] = {
            "id": str(self.snowflake()), "application_id": str(self.app_id), "type": itype, "data": data,
            "channel_id": str(channel_id), "channel": self.channel_payload(channel_id),
            "token": (token := f"tok{next(self._ids)}"), "version": 1, "locale": "en-US", "app_permissions": "2248473465835073",
            "entitlements": [], "authorizing_integration_owners": {"0": str(guild.id) if guild else "1"},
            "context": 0 if guild else 1, "attachment_size_limit": 8388608,
        }
        self._token_channel[token] = channel_id
        if guild is not None:
            payload["guild_id"] = str(guild.id)
            payload["guild_locale"] = "en-US"
            payload["member"] = {"user": user, "roles": [], "joined_at": "2024-01-01T00:00:00+00:00",
                                 "deaf": False, "mute": False, "flags": 0, "permissions": "2248473465835073"}
        else:
            payload["user"] = user
        if message is not None:
            payload["message"] = message
        return payload

    # ----- server lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gw", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for ws, _ in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @contextlib.contextmanager
    def patched(self) -> Iterator[None]:
        """Point discord.py at this fake for the duration; always restore the real endpoints."""
        old_base, old_gw = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = f"{self.base}/api/v10"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"{self.base.replace('http', 'ws')}/gw")
        try:
            yield
        finally:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gw

    # ----- gateway ------------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        compress = request.query.get("compress")
        if compress not in (None, "zlib-stream"):
            raise web.HTTPBadRequest(text=f"fake supports zlib-stream only, client asked {compress}")
        conn = (ws, zlib.compressobj() if compress else None)
        await self._send(conn, {"op": 10, "d": {"heartbeat_interval": 41250}})
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            msg = json.loads(frame.data)
            if msg["op"] == 1:
                await self._send(conn, {"op": 11})
            elif msg["op"] == 2:
                await self._identify(conn, msg["d"])
            elif msg["op"] == 6:
                await self._resume(conn, msg["d"])
        with contextlib.suppress(ValueError):
            self._sockets.remove(conn)
        return ws

    async def _identify(self, conn: tuple[web.WebSocketResponse, Any], d: dict[str, Any]) -> None:
        self.identifies.append(d)
        shard = d.get("shard")
        ready: dict[str, Any] = {
            "v": 10, "user": self.bot_user(), "session_id": f"s{next(self._ids)}",
            "resume_gateway_url": f"{self.base.replace('http', 'ws')}/gw",
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self._shard_guilds(shard)],
            "application": {"id": str(self.app_id), "flags": 0}, "private_channels": [], "relationships": [],
        }
        if shard:
            ready["shard"] = shard
        self._resumable[ready["session_id"]] = shard
        await self._send(conn, {"op": 0, "t": "READY", "s": next(self._seq), "d": ready})
        for g in self._shard_guilds(shard):
            await self._send(conn, {"op": 0, "t": "GUILD_CREATE", "s": next(self._seq),
                                    "d": self.guild_payload(g)})
        self._sockets.append(conn)
        self._shard_of[id(conn[0])] = shard
        async with self._changed:
            self._changed.notify_all()

    async def _resume(self, conn: tuple[web.WebSocketResponse, Any], d: dict[str, Any]) -> None:
        """RESUME: the session continues on the new socket (nothing was missed in these tests)."""
        self.resumes.append(d)
        shard = self._resumable.get(str(d.get("session_id")))
        await self._send(conn, {"op": 0, "t": "RESUMED", "s": next(self._seq), "d": {}})
        self._sockets.append(conn)
        self._shard_of[id(conn[0])] = shard
        async with self._changed:
            self._changed.notify_all()

    async def close_gateway(self, code: int) -> None:
        """Close every gateway session with ``code`` (4000: resumable; 4014: disallowed intents, fatal)."""
        for ws, _ in list(self._sockets):
            await ws.close(code=code)

    async def send_raw(self, frame: str | bytes) -> None:
        """Send one frame exactly as given to every session, e.g. one that is not JSON or not zlib."""
        for ws, _ in list(self._sockets):
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
            else:
                await ws.send_str(frame)

    def _shard_guilds(self, shard: list[int] | None) -> list[FakeGuild]:
        if not shard:
            return self.guilds
        return [g for g in self.guilds if (g.id >> 22) % shard[1] == shard[0]]

    @staticmethod
    async def _send(conn: tuple[web.WebSocketResponse, Any], payload: dict[str, Any]) -> None:
        ws, z = conn
        raw = json.dumps(payload).encode()
        if z is None:
            await ws.send_str(raw.decode())
        else:
            await ws.send_bytes(z.compress(raw) + z.flush(zlib.Z_SYNC_FLUSH))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send one DISPATCH to each connected session that owns it: a guild's events go only to the
        shard responsible for that guild (as Discord routes them); DMs go to shard 0."""
        assert self._sockets, "no client is connected"
        guild_id = int(data.get("guild_id") or 0)
        for conn in list(self._sockets):
            shard = self._shard_of.get(id(conn[0]))
            if shard and (guild_id >> 22) % shard[1] != shard[0]:
                continue
            await self._send(conn, {"op": 0, "t": event, "s": next(self._seq), "d": data})

    async def wait_connected(self, n: int = 1, limit_s: float = 15) -> None:
        async with asyncio.timeout(limit_s), self._changed:
            await self._changed.wait_for(lambda: len(self._sockets) >= n)

    # ----- REST ---------------------------------------------------------------------------------
    async def wait_request(self, method: str, pattern: str, *, start: int = 0,
                           limit_s: float = 30) -> Recorded:
        """The first recorded request at index >= start whose path fully matches the regex."""
        rx = re.compile(pattern)

        def find() -> Recorded | None:
            for r in self.requests[start:]:
                if r.method == method and rx.fullmatch(r.path):
                    return r
            return None

        async with asyncio.timeout(limit_s), self._changed:
            await self._changed.wait_for(lambda: find() is not None)
        found = find()
        assert found is not None
        return found

    def matching(self, method: str, pattern: str, start: int = 0) -> list[Recorded]:
        rx = re.compile(pattern)
        return [r for r in self.requests[start:] if r.method == method and rx.fullmatch(r.path)]

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
            elif request.content_type.startswith("multipart/"):
                reader = await request.multipart()
                async for part in reader:
                    if getattr(part, "name", None) == "payload_json":
                        body = json.loads(await part.text())  # type: ignore[union-attr]
        result = self._answer(request.method, path, dict(request.query), body)
        self.requests.append(Recorded(request.method, path, dict(request.query), body))
        async with self._changed:
            self._changed.notify_all()
        if result is None:
            return web.Response(status=204)
        # aiohttp would append "; charset=utf-8" to content_type=; set the header verbatim instead.
        return web.Response(body=json.dumps(result).encode(), headers={"Content-Type": JSON})

    def _posted_message(self, channel_id: int, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
        msg = self.message_payload(channel_id, self.bot_user(), body.get("content") or "",
                                   embeds=body.get("embeds") or [], components=body.get("components") or [],
                                   flags=body.get("flags") or 0, **extra)
        self.messages[int(msg["id"])] = msg
        return msg

    def _answer(self, method: str, path: str, query: dict[str, str], body: Any) -> Any:
        if path == "/users/@me" and method == "GET":
            return self.bot_user()
        if path == "/oauth2/applications/@me":
            return {"id": str(self.app_id), "name": "recbot", "icon": None, "description": "",
                    "bot_public": True, "bot_require_code_grant": False, "verify_key": "00", "flags": 0,
                    "owner": self.user(1, "owner"), "team": None, "summary": ""}
        if path in ("/gateway", "/gateway/bot"):
            # max_concurrency 16: discord.py may identify all shards at once instead of 5 s apart.
            return {"url": f"{self.base.replace('http', 'ws')}/gw", "shards": 1,
                    "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0,
                                            "max_concurrency": 16}}
        if m := re.fullmatch(r"/channels/(\d+)/messages", path):
            if method == "POST":
                return self._posted_message(int(m[1]), body)
        if re.fullmatch(r"/channels/(\d+)/typing", path):
            return None
        if m := re.fullmatch(r"/channels/(\d+)", path):
            return self.channel_payload(int(m[1]))
        if path == "/users/@me/channels" and method == "POST":
            return {"id": str(int(body["recipient_id"]) + 1), "type": 1,
                    "recipients": [self.user(int(body["recipient_id"]))], "last_message_id": None}
        if m := re.fullmatch(r"/users/(\d+)", path):
            return self.user(int(m[1]))
        if m := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path):
            return {"interaction": {"id": m[1], "type": 2, "response_message_loading": body["type"] == 5,
                                    "response_message_ephemeral": bool((body.get("data") or {}).get("flags"))}}
        if m := re.fullmatch(r"/webhooks/(\d+)/([^/]+)(?:/messages/(@original|\d+))?", path):
            if method == "DELETE":
                return None
            return self._posted_message(self._token_channel.get(m[2], 0), body or {}, webhook_id=m[1])
        if m := re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", path):
            if method == "PUT":
                return [{**c, "id": str(self.snowflake()), "application_id": m[1], "version": "1",
                         "default_member_permissions": None, "dm_permission": True, "nsfw": False,
                         **({"guild_id": m[2]} if m[2] else {})} for c in body]
            return []
        raise web.HTTPNotFound(body=json.dumps({"message": f"fake has no {method} {path}", "code": 0}).encode(),
                               headers={"Content-Type": JSON})
