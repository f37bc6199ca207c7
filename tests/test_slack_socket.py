"""The Slack adapter in Socket Mode against a local WebSocket server speaking the envelope protocol.

apps.connections.open is answered by the mock Web API with the mock's ws:// URL; the mock then says
hello, pushes envelopes and checks the client acknowledges each by its envelope_id. Behind the adapter
is the real core from bot.wiring (SQLite in tmp_path).
"""

from __future__ import annotations

import time
from pathlib import Path

from adapters.slack import SlackAdapter, SlackSettings
from tests.slack_mock import MockSlack, Workspace, build_test_app, message_ts

TEAM = Workspace("T0000001", "xoxb-team-one", "UBOT1", "BBOT1")


async def test_socket_mode_events_commands_and_buttons(tmp_path: Path) -> None:
    app = await build_test_app(tmp_path)
    mock = MockSlack([TEAM])
    await mock.start()
    adapter = SlackAdapter(app.core, SlackSettings(mode="socket", api_base_url=mock.api_url),
                           {"SLACK_BOT_TOKEN": TEAM.token, "SLACK_APP_TOKEN": mock.app_token})
    try:
        await adapter.start()
        [opened] = mock.of("apps.connections.open")
        assert opened.token == mock.app_token  # the app-level token, not the bot token

        ts = message_ts()
        event = {"team_id": TEAM.team_id, "api_app_id": "A0TEST", "type": "event_callback",
                 "event_id": "Ev0SOCKET1", "event_time": int(time.time()),
                 "event": {"type": "app_mention", "user": "U100", "channel": "C100", "ts": ts,
                           "text": f"<@{TEAM.bot_user_id}> recommend a sci-fi movie"}}
        ack = await mock.send_envelope("events_api", event)
        assert set(ack) == {"envelope_id"}  # a plain ack; the work happens after it
        await adapter.wait_idle()
        [answer] = mock.of("chat.postMessage")
        assert answer.token == TEAM.token and answer.args["thread_ts"] == ts and answer.args["blocks"]

        # Slack redelivers the envelope (retry_attempt 1): acknowledged again, handled once
        assert "envelope_id" in await mock.send_envelope("events_api", event, retry_attempt=1)

        # a slash command and a button press over the same socket
        await mock.send_envelope("slash_commands", {
            "command": "/recommend", "text": "comedy", "team_id": TEAM.team_id, "channel_id": "C200",
            "user_id": "U100", "user_name": "ann", "trigger_id": "trig.1", "response_url": mock.response_url()})
        await adapter.wait_idle()
        like = next(e["action_id"] for b in answer.args["blocks"] if b["type"] == "actions" for e in b["elements"])
        await mock.send_envelope("interactive", {
            "type": "block_actions", "team": {"id": TEAM.team_id}, "user": {"id": "U100", "team_id": TEAM.team_id},
            "trigger_id": "trig.2", "response_url": mock.response_url(),
            "container": {"type": "message", "message_ts": answer.result["ts"], "channel_id": "C100",
                          "thread_ts": ts},
            "channel": {"id": "C100"},
            "message": {"ts": answer.result["ts"], "text": answer.args["text"], "blocks": answer.args["blocks"]},
            "actions": [{"type": "button", "action_id": like, "value": like, "action_ts": "1"}]})
        await adapter.wait_idle()

        posts = mock.of("chat.postMessage")
        assert len(posts) == 2 and posts[1].args["channel"] == "C200"
        assert len(mock.acks) == 4 and len(mock.of("chat.update")) == 1
        liked = app.catalog.get(like.split(":", 3)[3])
        assert liked is not None
        assert (await app.core.user_summary(TEAM.team_id, "U100")).likes == [liked.label()]
    finally:
        await adapter.stop()
        await mock.stop()
        await app.aclose()
