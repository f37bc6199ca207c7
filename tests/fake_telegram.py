"""A local fake of the Telegram Bot API (the subset recbot's adapter uses), served over HTTP on loopback.

python-telegram-bot talks to it exactly as to api.telegram.org: ``POST /bot<token>/<method>`` with
form-encoded parameters (nested values JSON-encoded) or multipart for uploads, answers
``{"ok": true, "result": ...}``. Tests push updates (messages, button presses, reactions) into the
queue that ``getUpdates`` long-polls, and read back every call the bot made.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 7000000001
BOT_USERNAME = "recbot_test_bot"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None  # what the fake answered (e.g. the sent message with its message_id)


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-TOKEN"
    calls: list[Call] = field(default_factory=list)
    blocked_users: set[int] = field(default_factory=set)  # users who never started a private chat
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(500))
    _new: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    port: int = 0

    # ---- server ---------------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{self.port}/bot"

    async def stop(self) -> None:
        self._new.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        form = await request.post()
        params: dict[str, Any] = {}
        for k, v in form.items():
            if isinstance(v, web.FileField):
                params[k] = {"filename": v.filename, "content": v.file.read().decode("utf-8", "replace")}
                continue
            try:
                params[k] = json.loads(v)
            except (TypeError, ValueError):
                params[k] = v
        handler = getattr(self, "_m_" + method.lower(), None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        result = await handler(params)
        if method != "getUpdates":
            self.calls.append(Call(method, params, None if isinstance(result, web.Response) else result))
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    # ---- Bot API methods ------------------------------------------------------------------------
    async def _m_getme(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "recbot", "username": BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _m_deletewebhook(self, p: dict[str, Any]) -> bool:
        return True

    async def _m_setmycommands(self, p: dict[str, Any]) -> bool:
        return True

    async def _m_getupdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(p.get("offset") or 0)
        deadline = time.monotonic() + min(float(p.get("timeout") or 0), 2.0)
        while True:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if self._updates or time.monotonic() >= deadline:
                return list(self._updates)
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                pass

    def _sent(self, chat_id: int, extra: dict[str, Any]) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        return {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "recbot"}, **extra}

    async def _m_sendmessage(self, p: dict[str, Any]) -> Any:
        chat_id = int(p["chat_id"])
        if chat_id in self.blocked_users:
            return web.json_response({"ok": False, "error_code": 403,
                                      "description": "Forbidden: bot can't initiate conversation with a user"},
                                     status=403)
        if len(str(p.get("text", ""))) > 4096:
            return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: message is too long"},
                                     status=400)
        return self._sent(chat_id, {"text": p.get("text", "")})

    async def _m_senddocument(self, p: dict[str, Any]) -> Any:
        chat_id = int(p["chat_id"])
        if chat_id in self.blocked_users:
            return web.json_response({"ok": False, "error_code": 403, "description": "Forbidden"}, status=403)
        return self._sent(chat_id, {"document": {"file_id": "f1", "file_unique_id": "u1"}})

    async def _m_answercallbackquery(self, p: dict[str, Any]) -> bool:
        return True

    async def _m_editmessagereplymarkup(self, p: dict[str, Any]) -> Any:
        return self._sent(int(p["chat_id"]), {"text": "(edited)"})

    async def _m_sendchataction(self, p: dict[str, Any]) -> bool:
        return True

    # ---- what tests push -----------------------------------------------------------------------
    def _push(self, update: dict[str, Any]) -> int:
        uid = next(self._update_ids)
        self._updates.append({"update_id": uid, **update})
        self._new.set()
        return uid

    @staticmethod
    def _chat(chat_id: int, title: str = "group") -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "someone"}
        return {"id": chat_id, "type": "supergroup", "title": title}

    @staticmethod
    def _user(user_id: int, name: str = "Alice") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": name}

    def message(self, chat_id: int, user_id: int, text: str, *, name: str = "Alice",
                reply_to_bot: int | None = None, thread_id: int | None = None) -> int:
        """A text message; a leading /command gets its bot_command entity like the real API sends."""
        msg: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()),
                               "chat": self._chat(chat_id), "from": self._user(user_id, name), "text": text}
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        elif f"@{BOT_USERNAME}" in text:
            msg["entities"] = [{"type": "mention", "offset": text.index("@" + BOT_USERNAME),
                                "length": len(BOT_USERNAME) + 1}]
        if reply_to_bot is not None:
            msg["reply_to_message"] = {"message_id": reply_to_bot, "date": int(time.time()),
                                       "chat": self._chat(chat_id), "text": "...",
                                       "from": {"id": BOT_ID, "is_bot": True, "first_name": "recbot"}}
        if thread_id is not None:
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
        return self._push({"message": msg})

    def callback(self, chat_id: int, user_id: int, message_id: int, data: str) -> int:
        message = {"message_id": message_id, "date": int(time.time()), "chat": self._chat(chat_id),
                   "from": {"id": BOT_ID, "is_bot": True, "first_name": "recbot"}, "text": "..."}
        return self._push({"callback_query": {"id": f"cq{next(self._update_ids)}", "from": self._user(user_id),
                                              "chat_instance": "ci", "message": message, "data": data}})

    def reaction(self, chat_id: int, user_id: int, message_id: int, old: list[str], new: list[str]) -> int:
        def emojis(es: list[str]) -> list[dict[str, str]]:
            return [{"type": "emoji", "emoji": e} for e in es]

        return self._push({"message_reaction": {
            "chat": self._chat(chat_id), "message_id": message_id, "user": self._user(user_id),
            "date": int(time.time()), "old_reaction": emojis(old), "new_reaction": emojis(new)}})

    def sent(self, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int, within_s: float = 15.0) -> list[Call]:
        """Wait until the bot made ``count`` calls of ``method`` in all."""
        deadline = time.monotonic() + within_s
        while len(self.sent(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} calls, got {len(self.sent(method))}: "
                                     f"{[c.method for c in self.calls]}")
            await asyncio.sleep(0.02)
        return self.sent(method)
