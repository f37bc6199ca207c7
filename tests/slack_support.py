"""Shared pieces of the Slack adapter tests: two workspaces on a loopback Web API mock, a real app,
a started HTTP-mode adapter, and builders for signed Events API / interactivity payloads.

The fixtures are registered for every test module by tests/conftest.py.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.slack import SlackAdapter, SlackSettings
from bot.wiring import App
from tests.slack_mock import (
    ApiCall,
    MockSlack,
    Workspace,
    build_test_app,
    event_body,
    form_body,
    interactive_body,
    message_ts,
    sign,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
T1 = Workspace("T0000001", "xoxb-team-one", "UBOT1", "BBOT1")
T2 = Workspace("T0000002", "xoxb-team-two", "UBOT2", "BBOT2")
USER_TABLES = ("processed_events", "users", "turns", "conversations", "recommendations", "posted_messages",
               "reactions", "preferences")

# ---- fixtures ----------------------------------------------------------------------------------

@pytest.fixture
async def slack_app(tmp_path: Path) -> AsyncIterator[App]:
    built = await build_test_app(tmp_path)
    yield built
    await built.aclose()


@pytest.fixture
async def slack_api() -> AsyncIterator[MockSlack]:
    server = MockSlack([T1, T2])
    await server.start()
    yield server
    await server.stop()


def http_settings(mock: MockSlack, **kw: Any) -> SlackSettings:
    return SlackSettings(mode="http", host="127.0.0.1", port=0, api_base_url=mock.api_url, **kw)


ENV = {"SLACK_BOT_TOKENS": f"{T1.team_id}={T1.token},{T2.team_id}={T2.token}", "SLACK_SIGNING_SECRET": SECRET}


@pytest.fixture
async def slack(slack_app: App, slack_api: MockSlack) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(slack_app.core, http_settings(slack_api), ENV)
    await adapter.start()
    slack_app.outbound[adapter.platform] = adapter  # what `recbot run` does for every started adapter
    yield adapter
    await adapter.stop()


# ---- helpers -----------------------------------------------------------------------------------

async def post(adapter: SlackAdapter, body: bytes, *, form: bool = False, secret: str = SECRET,
               timestamp: int | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    hdrs = {**sign(secret, body, timestamp),
            "Content-Type": "application/x-www-form-urlencoded" if form else "application/json", **(headers or {})}
    url = f"http://127.0.0.1:{adapter.port}/slack/events"
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=hdrs) as resp:
        return resp.status, await resp.text()


def mention(ws: Workspace, text: str, *, user: str = "U100", channel: str = "C100",
            event_id: str | None = None) -> tuple[bytes, str]:
    ts = message_ts()
    event = {"type": "app_mention", "user": user, "text": f"<@{ws.bot_user_id}> {text}", "ts": ts,
             "channel": channel, "event_ts": ts}
    return event_body(ws.team_id, event, event_id), ts


def reaction(ws: Workspace, name: str, item_ts: str, *, user: str = "U100", channel: str = "C100",
             added: bool = True) -> bytes:
    return event_body(ws.team_id, {
        "type": "reaction_added" if added else "reaction_removed", "user": user, "reaction": name,
        "item_user": ws.bot_user_id, "item": {"type": "message", "channel": channel, "ts": item_ts},
        "event_ts": message_ts()})


def button(ws: Workspace, call: ApiCall, action_id: str, mock: MockSlack, *, user: str = "U100") -> bytes:
    """A block_actions payload for a button on the message that ``call`` (a chat.postMessage) posted."""
    ts = call.result["ts"]
    return interactive_body({
        "type": "block_actions", "team": {"id": ws.team_id, "domain": "one"},
        "user": {"id": user, "username": "ann", "team_id": ws.team_id}, "api_app_id": "A0TEST",
        "trigger_id": f"trig.{message_ts()}", "response_url": mock.response_url(),
        "container": {"type": "message", "message_ts": ts, "channel_id": call.args["channel"],
                      "thread_ts": call.args.get("thread_ts"), "is_ephemeral": False},
        "channel": {"id": call.args["channel"]},
        "message": {"type": "message", "ts": ts, "text": call.args["text"], "blocks": call.args["blocks"],
                    "thread_ts": call.args.get("thread_ts")},
        "actions": [{"type": "button", "action_id": action_id, "value": action_id, "block_id": "x",
                     "action_ts": str(time.time())}],
    })


def slash(mock: MockSlack, ws: Workspace, name: str, text: str = "", *, channel: str = "C100",
          user: str = "U100") -> bytes:
    """A slash command as Slack posts it (form fields)."""
    return form_body({"command": name, "text": text, "team_id": ws.team_id, "channel_id": channel,
                      "user_id": user, "user_name": "ann", "trigger_id": f"trig.{message_ts()}",
                      "response_url": mock.response_url(), "api_app_id": "A0TEST"})


def item_ids(call: ApiCall) -> list[str]:
    return [b["block_id"].removeprefix("item:") for b in call.args.get("blocks") or []
            if b.get("block_id", "").startswith("item:")]


def buttons(call: ApiCall) -> list[str]:
    return [e["action_id"] for b in call.args["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def count(app: App, table: str) -> int:
    row = await app.store.db.fetchone(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def ask(slack: SlackAdapter, mock: MockSlack, ws: Workspace, text: str, **kw: Any) -> ApiCall:
    """Mention the bot and return the message it posted in answer."""
    before = len(mock.of("chat.postMessage"))
    status, _ = await post(slack, mention(ws, text, **kw)[0])
    assert status == 200
    await slack.wait_idle()
    calls = mock.of("chat.postMessage")
    assert len(calls) == before + 1, [c.args.get("text") for c in calls]
    return calls[-1]
