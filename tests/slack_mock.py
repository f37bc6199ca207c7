"""A local stand-in for Slack, for the Slack adapter tests: real aiohttp servers on loopback.

``MockSlack`` serves the Web API methods the adapter calls (capturing each call with the token that
made it), ``response_url`` endpoints, and a Socket Mode WebSocket that speaks the envelope protocol
(hello, events_api / slash_commands / interactive envelopes, waits for the ack by envelope_id).
Helpers build signed Events API requests the way Slack does (v0 HMAC-SHA256 over "v0:ts:body").
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier

from bot.config import load_config
from bot.wiring import App, build_app
from tests.helpers import write_config

# Upper bound for waiting on something the adapter does in the background: a hang detector only.
LIVENESS_S = 20.0


@dataclass(frozen=True)
class Workspace:
    team_id: str
    token: str
    bot_user_id: str
    bot_id: str


@dataclass
class ApiCall:
    method: str
    token: str | None
    args: dict[str, Any]
    result: dict[str, Any] = field(default_factory=dict)  # what the mock answered


@dataclass
class MockSlack:
    workspaces: list[Workspace]
    app_token: str = "xapp-test-app-token"
    calls: list[ApiCall] = field(default_factory=list)
    # method -> queued error names; each call pops one ("ratelimited" answers HTTP 429 like Slack).
    failures: dict[str, list[str]] = field(default_factory=dict)
    acks: list[dict[str, Any]] = field(default_factory=list)
    # user id -> the display name users.info answers (default "Person <id>"), e.g. one with a lone surrogate
    display_names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_token = {w.token: w for w in self.workspaces}
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()
        self._ws: web.WebSocketResponse | None = None
        self._ws_ready = asyncio.Event()
        self._pending_acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.port = 0

    # ---- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{id}", self._respond)
        app.router.add_post("/upload/{id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{uuid.uuid4().hex}"

    # ---- inspection ---------------------------------------------------------------------------
    def of(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1) -> list[ApiCall]:
        """Wait until ``count`` calls of ``method`` were captured (a liveness bound, not a timing claim)."""
        async def _enough() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.of(method)) >= count)
        await asyncio.wait_for(_enough(), LIVENESS_S)
        return self.of(method)

    # ---- Web API ------------------------------------------------------------------------------
    async def _record(self, call: ApiCall) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.pop("token", None)
        status, result = self._answer(method, token, args)
        await self._record(ApiCall(method, token, args, result))
        return web.json_response(result, status=status, headers={"Retry-After": "0"} if status == 429 else None)

    def _answer(self, method: str, token: str | None, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        queued = self.failures.get(method)
        if queued:
            error = queued.pop(0)
            return (429 if error == "ratelimited" else 200), {"ok": False, "error": error}
        if method == "apps.connections.open":
            if token != self.app_token:
                return 200, {"ok": False, "error": "invalid_auth"}
            return 200, {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}
        ws = self._by_token.get(token or "")
        if ws is None:
            return 200, {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return 200, {"ok": True, "team_id": ws.team_id, "team": ws.team_id, "user": "recbot",
                         "user_id": ws.bot_user_id, "bot_id": ws.bot_id, "url": f"https://{ws.team_id}.slack.test/"}
        if method in ("chat.postMessage", "chat.update"):
            ts = args.get("ts") or f"{int(time.time())}.{next(self._ts):06d}"
            return 200, {"ok": True, "channel": args.get("channel"), "ts": ts,
                         "message": {"text": args.get("text"), "ts": ts}}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}
        if method == "users.info":
            user = str(args.get("user", ""))
            return 200, {"ok": True, "user": {"id": user, "name": user.lower(),
                                              "profile": {"display_name": self.display_names.get(
                                                  user, f"Person {user}")}}}
        if method == "conversations.open":
            return 200, {"ok": True, "channel": {"id": "D" + str(args.get("users", ""))[1:]}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):06d}"
            return 200, {"ok": True, "file_id": file_id, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = json.loads(args.get("files", "[]"))
            return 200, {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "views.publish":
            return 200, {"ok": True, "view": args.get("view")}
        return 200, {"ok": False, "error": "unknown_method"}

    async def _upload(self, request: web.Request) -> web.Response:
        await self._record(ApiCall("file_upload", None, {"file_id": request.match_info["id"],
                                                         "content": (await request.read()).decode()}))
        return web.Response(text="OK - uploaded")

    async def _respond(self, request: web.Request) -> web.Response:
        await self._record(ApiCall("response_url", None, await request.json()))
        return web.Response(text="ok")

    # ---- Socket Mode --------------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "mock", "approximate_connection_time": 3600},
                            "connection_info": {"app_id": "A0TEST"}})
        self._ws_ready.set()
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            self.acks.append(data)
            waiter = self._pending_acks.pop(data.get("envelope_id", ""), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(data)
        return ws

    async def send_envelope(self, kind: str, payload: dict[str, Any], retry_attempt: int = 0) -> dict[str, Any]:
        """Push one envelope over the socket and return the client's ack for it."""
        await asyncio.wait_for(self._ws_ready.wait(), LIVENESS_S)
        assert self._ws is not None
        envelope_id = str(uuid.uuid4())
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending_acks[envelope_id] = waiter
        await self._ws.send_json({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                  "accepts_response_payload": kind != "events_api",
                                  "retry_attempt": retry_attempt, "retry_reason": ""})
        return await asyncio.wait_for(waiter, LIVENESS_S)


# ---- signed HTTP requests, as Slack sends them ------------------------------------------------

def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


_event_ids = itertools.count(1)


def event_body(team_id: str, event: dict[str, Any], event_id: str | None = None) -> bytes:
    return json.dumps({
        "token": "legacy-verification-token", "team_id": team_id, "api_app_id": "A0TEST",
        "type": "event_callback", "event_id": event_id or f"Ev{next(_event_ids):08d}",
        "event_time": int(time.time()), "event": event,
        "authorizations": [{"team_id": team_id, "is_bot": True}],
    }).encode()


def form_body(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


def interactive_body(payload: dict[str, Any]) -> bytes:
    return form_body({"payload": json.dumps(payload)})


def message_ts() -> str:
    return f"{int(time.time())}.{next(_event_ids):06d}"


# ---- the real core, on a small catalog of real films -------------------------------------------

MOVIES = [
    ("alien", "Alien", 1979, "Ridley Scott", ["sci-fi", "horror"]),
    ("blade-runner", "Blade Runner", 1982, "Ridley Scott", ["sci-fi", "noir"]),
    ("matrix", "The Matrix", 1999, "Lana Wachowski", ["sci-fi", "action"]),
    ("arrival", "Arrival", 2016, "Denis Villeneuve", ["sci-fi", "drama"]),
    ("interstellar", "Interstellar", 2014, "Christopher Nolan", ["sci-fi", "drama"]),
    ("gattaca", "Gattaca", 1997, "Andrew Niccol", ["sci-fi", "drama"]),
    ("moon", "Moon", 2009, "Duncan Jones", ["sci-fi", "mystery"]),
    ("ex-machina", "Ex Machina", 2014, "Alex Garland", ["sci-fi", "thriller"]),
    ("ghostbusters", "Ghostbusters", 1984, "Ivan Reitman", ["comedy", "fantasy"]),
    ("groundhog-day", "Groundhog Day", 1993, "Harold Ramis", ["comedy", "romance"]),
    ("airplane", "Airplane!", 1980, "Jim Abrahams", ["comedy"]),
    ("lebowski", "The Big Lebowski", 1998, "Joel Coen", ["comedy", "crime"]),
    ("heat", "Heat", 1995, "Michael Mann", ["crime", "thriller"]),
    ("fargo", "Fargo", 1996, "Joel Coen", ["crime", "comedy"]),
]


async def build_test_app(tmp_path: Path, extra_config: str = "") -> App:
    """bot.wiring's app (real DialogueCore, SQLite in tmp_path, keyword engines, template generation)
    over the catalog above, so the Slack tests do not depend on the bundled catalog's contents."""
    catalog = tmp_path / "films.jsonl"
    catalog.write_text("\n".join(json.dumps({
        "id": f"movie:{slug}", "title": title, "domain": "movie", "year": year, "creator": creator,
        "genres": genres, "description": f"{title} by {creator}.", "popularity": 100 - n,
    }) for n, (slug, title, year, creator, genres) in enumerate(MOVIES)), encoding="utf-8")
    config = load_config(write_config(tmp_path, f'[catalog]\nbundled = false\nfiles = ["{catalog}"]\n{extra_config}'))
    return await build_app(config)
