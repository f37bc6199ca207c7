"""The Slack adapter in HTTP mode, end to end over loopback.

Real pieces only: the adapter's aiohttp server, requests signed the way Slack signs them, a local slack_api
of the Slack Web API (tests/slack_mock.py) capturing what the bot posts, and the real DialogueCore
built by bot.wiring on a SQLite file in tmp_path (keyword engines, template generation).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from adapters.slack import SlackAdapter, SlackSettings
from bot.wiring import App
from core.events import ConversationKey, Message
from tests.slack_mock import (
    MockSlack,
    Workspace,
    build_test_app,
    event_body,
    form_body,
    interactive_body,
    message_ts,
    sign,
)
from tests.slack_support import (
    ENV,
    SECRET,
    T1,
    T2,
    USER_TABLES,
    ask,
    button,
    buttons,
    count,
    http_settings,
    item_ids,
    mention,
    post,
    reaction,
)

# ---- tests -------------------------------------------------------------------------------------

async def test_mention_gets_a_block_kit_recommendation_in_a_thread(slack: SlackAdapter, slack_api: MockSlack,
                                                                 slack_app: App) -> None:
    body, ts = mention(T1, "recommend a sci-fi movie")
    assert (await post(slack, body))[0] == 200
    await slack.wait_idle()
    [call] = slack_api.of("chat.postMessage")
    assert call.token == T1.token and call.args["channel"] == "C100" and call.args["thread_ts"] == ts
    assert "Alien" in call.args["text"]  # plain-text fallback always set
    ids = item_ids(call)
    assert len(ids) == 5 and all(i.startswith("movie:") for i in ids)
    rec_id = buttons(call)[0].split(":")[2]
    assert buttons(call)[:3] == [f"rb:like:{rec_id}:{ids[0]}", f"rb:dislike:{rec_id}:{ids[0]}",
                                 f"rb:more:{rec_id}:{ids[0]}"]
    # the core learned where the list was posted (so reactions can find its items) ...
    found = await slack_app.store.recs.by_message(T1.team_id, "slack", call.result["ts"])
    assert found is not None and found[0].rec_id == rec_id
    # ... and saw the text without the bot mention
    row = await slack_app.store.db.fetchone("SELECT text FROM turns WHERE role = 'user'")
    assert row is not None and row[0] == "recommend a sci-fi movie"


async def test_the_ack_does_not_wait_for_the_work(slack_app: App, slack_api: MockSlack) -> None:
    gate = asyncio.Event()

    class Gated:  # the real core behind a gate, to show the HTTP answer comes before the work
        async def handle(self, event: Any) -> Any:
            await gate.wait()
            return await slack_app.core.handle(event)

        def __getattr__(self, name: str) -> Any:
            return getattr(slack_app.core, name)

    adapter = SlackAdapter(Gated(), http_settings(slack_api), ENV)  # type: ignore[arg-type]
    await adapter.start()
    try:
        assert (await post(adapter, mention(T1, "recommend a sci-fi movie")[0]))[0] == 200
        assert slack_api.of("chat.postMessage") == [] and await count(slack_app, "processed_events") == 0
        gate.set()
        await adapter.wait_idle()
        assert len(slack_api.of("chat.postMessage")) == 1
    finally:
        await adapter.stop()


async def test_thumbs_down_reaction_changes_the_next_recommendation(slack: SlackAdapter, slack_api: MockSlack,
                                                                   slack_app: App) -> None:
    first = await ask(slack, slack_api, T1, "recommend a sci-fi movie")
    assert (await post(slack, reaction(T1, "-1", first.result["ts"])))[0] == 200
    await slack.wait_idle()
    summary = await slack_app.core.user_summary(T1.team_id, "U100")
    assert summary.dislikes and summary.likes == []
    again = await ask(slack, slack_api, T1, "recommend a sci-fi movie", channel="C200")  # fresh conversation
    assert again.args["channel"] == "C200" and item_ids(again)
    assert not set(item_ids(first)) & set(item_ids(again))
    # taking the reaction back takes the evidence back
    await post(slack, reaction(T1, "-1", first.result["ts"], added=False))
    await slack.wait_idle()
    assert (await slack_app.core.user_summary(T1.team_id, "U100")).dislikes == []


async def test_reactions_on_other_peoples_messages_are_ignored(slack: SlackAdapter, slack_api: MockSlack,
                                                               slack_app: App) -> None:
    body = event_body(T1.team_id, {"type": "reaction_added", "user": "U100", "reaction": "+1",
                                   "item_user": "U999", "item": {"type": "message", "channel": "C1", "ts": "1.2"}})
    assert (await post(slack, body))[0] == 200
    await slack.wait_idle()
    assert await count(slack_app, "reactions") == 0 and await count(slack_app, "processed_events") == 0


async def test_buttons_change_the_next_recommendation(slack: SlackAdapter, slack_api: MockSlack, slack_app: App) -> None:
    first = await ask(slack, slack_api, T1, "recommend a sci-fi movie")
    top = item_ids(first)[0]
    dislike = next(b for b in buttons(first) if b.startswith("rb:dislike:") and b.endswith(top))
    assert (await post(slack, button(T1, first, dislike, slack_api), form=True))[0] == 200
    await slack.wait_idle()
    # the person gets an ephemeral confirmation; the list shows their mark and keeps its buttons
    [note] = slack_api.of("response_url")
    assert note.args["response_type"] == "ephemeral" and "fewer like" in note.args["text"]
    [update] = slack_api.of("chat.update")
    assert update.args["ts"] == first.result["ts"] and update.token == T1.token
    marks = [e["text"] for b in update.args["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert marks == ["👎 <@U100>"] and buttons(update) == buttons(first)
    again = await ask(slack, slack_api, T1, "recommend a sci-fi movie", channel="C300")
    assert top not in item_ids(again)
    disliked = slack_app.catalog.get(top)
    assert disliked is not None
    assert (await slack_app.core.user_summary(T1.team_id, "U100")).dislikes == [disliked.label()]

    # "More like this" posts a new list in the same thread, seeded by that item
    more = next(b for b in buttons(first) if b.startswith("rb:more:"))
    assert (await post(slack, button(T1, first, more, slack_api), form=True))[0] == 200
    await slack.wait_idle()
    latest = slack_api.of("chat.postMessage")[-1]
    assert latest.args["thread_ts"] == first.args["thread_ts"] and item_ids(latest)
    assert more.split(":", 3)[3] not in item_ids(latest)


async def test_two_people_rating_one_list_at_once_both_show(slack: SlackAdapter, slack_api: MockSlack) -> None:
    first = await ask(slack, slack_api, T1, "recommend a sci-fi movie")
    like = next(b for b in buttons(first) if b.startswith("rb:like:"))
    dislike = next(b for b in buttons(first) if b.startswith("rb:dislike:"))
    # both payloads carry the blocks as they were before either press
    await asyncio.gather(post(slack, button(T1, first, like, slack_api, user="U100"), form=True),
                         post(slack, button(T1, first, dislike, slack_api, user="U200"), form=True))
    await slack.wait_idle()
    last = slack_api.of("chat.update")[-1]
    marks = sorted(e["text"] for b in last.args["blocks"] if b["type"] == "context" for e in b["elements"])
    assert marks == ["👍 <@U100>", "👎 <@U200>"]


async def test_feedback_mark_falls_back_to_the_response_url(slack: SlackAdapter, slack_api: MockSlack) -> None:
    first = await ask(slack, slack_api, T1, "recommend a sci-fi movie")
    slack_api.failures["chat.update"] = ["cant_update_message"]  # e.g. a list posted through a response_url
    like = next(b for b in buttons(first) if b.startswith("rb:like:"))
    await post(slack, button(T1, first, like, slack_api), form=True)
    await slack.wait_idle()
    replaced = [c for c in slack_api.of("response_url") if c.args.get("replace_original")]
    assert len(replaced) == 1 and buttons(replaced[0]) == buttons(first)
    assert ["👍 <@U100>"] == [e["text"] for b in replaced[0].args["blocks"] if b["type"] == "context"
                              for e in b["elements"]]


async def test_app_home_shows_the_profile_and_forget_me_erases_it(slack: SlackAdapter, slack_api: MockSlack,
                                                                  slack_app: App) -> None:
    first = await ask(slack, slack_api, T1, "recommend a sci-fi movie")
    like = next(b for b in buttons(first) if b.startswith("rb:like:"))
    await post(slack, button(T1, first, like, slack_api), form=True)
    await slack.wait_idle()
    opened = event_body(T1.team_id, {"type": "app_home_opened", "user": "U100", "channel": "D100", "tab": "home"})
    assert (await post(slack, opened))[0] == 200
    await slack.wait_idle()
    [home] = slack_api.of("views.publish")
    assert home.args["user_id"] == "U100" and home.args["view"]["type"] == "home"
    liked = slack_app.catalog.get(like.split(":", 3)[3])
    assert liked is not None and liked.label() in json.dumps(home.args["view"], ensure_ascii=False)

    forget = interactive_body({
        "type": "block_actions", "team": {"id": T1.team_id}, "user": {"id": "U100", "team_id": T1.team_id},
        "trigger_id": "trig.forget", "container": {"type": "view", "view_id": "V1"},
        "view": {"id": "V1", "type": "home"},
        "actions": [{"type": "button", "action_id": "rb_home:forget", "value": "forget", "action_ts": "1"}]})
    assert (await post(slack, forget, form=True))[0] == 200
    await slack.wait_idle()
    republished = slack_api.of("views.publish")[-1]
    assert len(slack_api.of("views.publish")) == 2 and liked.label() not in json.dumps(republished.args["view"])
    assert (await slack_app.core.user_summary(T1.team_id, "U100")).likes == []
    note = slack_api.of("chat.postMessage")[-1]
    assert note.args["channel"] == "U100" and "deleted everything" in note.args["text"]


async def test_a_retried_event_is_processed_once(slack: SlackAdapter, slack_api: MockSlack, slack_app: App) -> None:
    body, _ = mention(T1, "recommend a sci-fi movie", event_id="Ev0RETRY1")
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    now = int(time.time())
    statuses = await asyncio.gather(post(slack, body, timestamp=now),
                                    post(slack, body, timestamp=now + 1, headers=retry))
    assert [s for s, _ in statuses] == [200, 200]
    await slack.wait_idle()
    # a later retry, after a restart (fresh adapter, same store): the core's dedupe catches it
    await slack.stop()
    restarted = SlackAdapter(slack_app.core, http_settings(slack_api), ENV)
    await restarted.start()
    try:
        assert (await post(restarted, body, timestamp=now + 2, headers={**retry, "X-Slack-Retry-Num": "2"}))[0] == 200
        await restarted.wait_idle()
    finally:
        await restarted.stop()
    assert len(slack_api.of("chat.postMessage")) == 1
    assert await count(slack_app, "processed_events") == 1 and await count(slack_app, "recommendations") == 1


async def test_forged_stale_and_replayed_requests_are_refused(slack: SlackAdapter, slack_api: MockSlack,
                                                              slack_app: App) -> None:
    body, _ = mention(T1, "recommend a sci-fi movie")
    assert (await post(slack, body, secret="not-the-secret"))[0] == 401  # forged signature
    assert (await post(slack, body, timestamp=int(time.time()) - 6 * 60))[0] == 401  # stale, properly signed
    assert (await post(slack, body, headers={"X-Slack-Signature": ""}))[0] == 401
    assert (await post(slack, body, headers={"X-Slack-Request-Timestamp": "soon"}))[0] == 401
    tampered = body.replace(b"sci-fi", b"comedy")
    hdrs = sign(SECRET, body)
    assert (await post(slack, tampered, headers=hdrs))[0] == 401  # signature of another body
    await slack.wait_idle()
    for table in USER_TABLES:
        assert await count(slack_app, table) == 0, table
    assert slack_api.calls == []  # not even auth.test: nothing was dispatched

    replayed = mention(T1, "recommend a sci-fi movie")[0]
    first_try = sign(SECRET, replayed)
    assert (await post(slack, replayed, headers=first_try))[0] == 200
    assert (await post(slack, replayed, headers=first_try))[0] == 401  # same signed request again
    await slack.wait_idle()
    assert await count(slack_app, "processed_events") == 1 and len(slack_api.of("chat.postMessage")) == 1


async def test_two_workspaces_are_isolated(slack: SlackAdapter, slack_api: MockSlack, slack_app: App) -> None:
    one = await ask(slack, slack_api, T1, "recommend a sci-fi movie")
    await post(slack, reaction(T1, "thumbsdown", one.result["ts"]))
    await slack.wait_idle()
    # the same user id and channel id in another workspace is another person in another conversation
    two = await ask(slack, slack_api, T2, "recommend a sci-fi movie")
    assert one.token == T1.token and two.token == T2.token
    assert item_ids(two) == item_ids(one)  # T1's dislikes and shown items do not leak into T2
    assert (await slack_app.core.user_summary(T2.team_id, "U100")).dislikes == []
    assert (await slack_app.core.user_summary(T1.team_id, "U100")).dislikes
    # a reaction in T2 on T1's message id maps to nothing
    await post(slack, reaction(T2, "+1", one.result["ts"]))
    await slack.wait_idle()
    assert (await slack_app.core.user_summary(T2.team_id, "U100")).likes == []
    # a workspace the bot is not installed in gets nothing done
    stranger = Workspace("T0000009", "xoxb-none", "UBOT9", "BBOT9")
    before = await count(slack_app, "processed_events")
    await post(slack, mention(stranger, "recommend a sci-fi movie")[0])
    await slack.wait_idle()
    assert await count(slack_app, "processed_events") == before and len(slack_api.of("chat.postMessage")) == 2


async def test_bots_and_the_bot_itself_are_ignored(slack: SlackAdapter, slack_api: MockSlack, slack_app: App) -> None:
    im = {"type": "message", "channel": "D100", "channel_type": "im", "text": "recommend a sci-fi movie"}
    for extra in ({"user": T1.bot_user_id, "bot_id": T1.bot_id},  # our own message
                  {"subtype": "bot_message", "bot_id": "BOTHER", "username": "otherbot"},
                  {"user": "U555", "bot_id": "BOTHER"}):  # another app's bot user
        assert (await post(slack, event_body(T1.team_id, {**im, **extra, "ts": message_ts()})))[0] == 200
    await slack.wait_idle()
    assert await count(slack_app, "processed_events") == 0 and slack_api.of("chat.postMessage") == []
    # a person's DM is answered, in the DM, without a thread
    await post(slack, event_body(T1.team_id, {**im, "user": "U100", "ts": message_ts()}))
    await slack.wait_idle()
    [answer] = slack_api.of("chat.postMessage")
    assert answer.args["channel"] == "D100" and "thread_ts" not in answer.args and item_ids(answer)


async def test_thread_follow_ups_without_a_mention(slack: SlackAdapter, slack_api: MockSlack, slack_app: App) -> None:
    first = await ask(slack, slack_api, T1, "recommend a sci-fi movie")
    thread = first.args["thread_ts"]
    follow = {"type": "message", "channel": "C100", "channel_type": "channel", "user": "U100",
              "text": "something else", "thread_ts": thread, "parent_user_id": "U100"}
    await post(slack, event_body(T1.team_id, {**follow, "ts": message_ts()}))
    # chatter in a thread the bot is not part of, and top-level channel messages, are not read
    await post(slack, event_body(T1.team_id, {**follow, "ts": message_ts(), "thread_ts": "111.222"}))
    await post(slack, event_body(T1.team_id, {**follow, "ts": message_ts(), "thread_ts": None}))
    await slack.wait_idle()
    calls = slack_api.of("chat.postMessage")
    assert len(calls) == 2 and calls[1].args["thread_ts"] == thread
    assert item_ids(calls[1]) and not set(item_ids(calls[1])) & set(item_ids(first))
    assert await count(slack_app, "processed_events") == 2


async def test_slash_commands(slack: SlackAdapter, slack_api: MockSlack, slack_app: App) -> None:
    def command(name: str, text: str = "", channel: str = "C100") -> bytes:
        return form_body({"command": name, "text": text, "team_id": T1.team_id, "channel_id": channel,
                          "user_id": "U100", "user_name": "ann", "trigger_id": f"trig.{message_ts()}",
                          "response_url": slack_api.response_url(), "api_app_id": "A0TEST"})

    status, text = await post(slack, command("/recommend", "sci-fi movies"), form=True)
    assert (status, text) == (200, "")
    await slack.wait_idle()
    [rec] = slack_api.of("chat.postMessage")
    assert rec.args["channel"] == "C100" and len(item_ids(rec)) == 5

    slack_api.failures["chat.postMessage"] = ["not_in_channel"]  # bot not in that channel: answer via response_url
    await post(slack, command("/recommend", "comedy", channel="C999"), form=True)
    await slack.wait_idle()
    [via_url] = slack_api.of("response_url")
    assert via_url.args["response_type"] == "in_channel" and via_url.args["blocks"]

    await post(slack, command("/prefs", "export"), form=True)  # personal data goes to the DM as a file
    await slack.wait_idle()
    [dm] = slack_api.of("conversations.open")
    assert dm.args["users"] == "U100"
    [upload] = slack_api.of("file_upload")
    assert json.loads(upload.args["content"])["user"] == "U100"
    [done] = slack_api.of("files.completeUploadExternal")
    assert done.args["channel_id"] == "D100"


async def test_rate_limited_posts_are_retried(slack: SlackAdapter, slack_api: MockSlack, slack_app: App) -> None:
    slack_api.failures["chat.postMessage"] = ["ratelimited"]
    await post(slack, mention(T1, "recommend a sci-fi movie")[0])
    await slack.wait_idle()
    first, second = slack_api.of("chat.postMessage")
    assert first.args["blocks"] == second.args["blocks"]
    assert await slack_app.store.recs.by_message(T1.team_id, "slack", second.result["ts"]) is not None


async def test_outbound_send_posts_and_maps_the_message(slack: SlackAdapter, slack_api: MockSlack, slack_app: App) -> None:
    [reply] = await slack_app.core.handle(Message(platform="slack", tenant=T2.team_id, channel="C777", user="U100",
                                            event_id="digest-1", text="recommend a sci-fi movie"))
    ts = await slack.send(ConversationKey("slack", T2.team_id, "C777"), reply, user="U100")
    [call] = slack_api.of("chat.postMessage")
    assert ts == call.result["ts"] and call.token == T2.token and call.args["channel"] == "C777"
    found = await slack_app.store.recs.by_message(T2.team_id, "slack", ts)
    assert found is not None and found[0].rec_id == reply.rec_id


async def test_secrets_never_reach_the_logs(slack: SlackAdapter, slack_api: MockSlack,
                                            caplog: pytest.LogCaptureFixture) -> None:
    for name in ("recbot.slack", "slack_bolt", "slack_sdk"):  # not root: aiosqlite's thread logs late
        caplog.set_level(logging.DEBUG, logger=name)
    await ask(slack, slack_api, T1, "recommend a sci-fi movie")
    await post(slack, mention(T1, "hi")[0], secret="forged")
    await slack.wait_idle()
    assert "Sending a request" in caplog.text  # the SDK's debug logging was on
    for secret in (SECRET, T1.token, T2.token):
        assert secret not in caplog.text


async def test_the_config_table_wires_the_adapter(tmp_path: Path, slack_api: MockSlack,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.runner import build_adapters

    monkeypatch.setenv("RB_TEST_SLACK_TOKEN", T1.token)
    monkeypatch.setenv("RB_TEST_SLACK_SECRET", SECRET)
    built = await build_test_app(tmp_path, f"""[slack]
mode = "http"
host = "127.0.0.1"
port = 0
api_base_url = "{slack_api.api_url}"
bot_token_env = "RB_TEST_SLACK_TOKEN"
signing_secret_env = "RB_TEST_SLACK_SECRET"
""")
    try:
        [adapter] = build_adapters(built)
        assert isinstance(adapter, SlackAdapter)
        await adapter.start()
        try:
            call = await ask(adapter, slack_api, T1, "recommend a sci-fi movie")
            assert call.token == T1.token and item_ids(call)
        finally:
            await adapter.stop()
    finally:
        await built.aclose()


def test_settings_need_their_secrets() -> None:
    class NoCore:
        pass

    with pytest.raises(ValueError, match="SLACK_BOT_TOKEN"):
        SlackAdapter(NoCore(), SlackSettings(mode="http"), {"SLACK_SIGNING_SECRET": "x"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="SLACK_SIGNING_SECRET"):
        SlackAdapter(NoCore(), SlackSettings(mode="http"), {"SLACK_BOT_TOKEN": "xoxb-1"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="SLACK_APP_TOKEN"):
        SlackAdapter(NoCore(), SlackSettings(mode="socket"), {"SLACK_BOT_TOKEN": "xoxb-1"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="TEAM_ID=xoxb"):
        SlackAdapter(NoCore(), SlackSettings(mode="http"),  # type: ignore[arg-type]
                     {"SLACK_BOT_TOKENS": "xoxb-no-team", "SLACK_SIGNING_SECRET": "x"})
