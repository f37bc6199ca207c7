"""Digests through the real Slack adapter (HTTP mode, loopback Web API slack_api): `/digest` slash command,
a Block Kit digest with the feedback buttons, a press and a reaction teaching the model, a DM digest,
and a platform error retried with backoff and posted once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.slack import SlackAdapter
from bot.wiring import App
from tests.digest_support import Clock, sub_id_of
from tests.slack_mock import MockSlack, form_body, message_ts
from tests.slack_support import (
    T1,
    button,
    buttons,
    item_ids,
    post,
    reaction,
)


async def slash(slack: SlackAdapter, slack_api: MockSlack, text: str, channel: str = "C100") -> str:
    """Run `/digest <text>` and return the (ephemeral) answer's text."""
    before = len(slack_api.of("response_url")) + len(slack_api.of("chat.postEphemeral"))
    status, _ = await post(slack, form_body({
        "command": "/digest", "text": text, "team_id": T1.team_id, "channel_id": channel, "user_id": "U100",
        "user_name": "ann", "trigger_id": f"trig.{message_ts()}", "response_url": slack_api.response_url(),
        "api_app_id": "A0TEST"}), form=True)
    assert status == 200
    await slack.wait_idle()
    answers = slack_api.of("response_url") + slack_api.of("chat.postEphemeral")
    assert len(answers) == before + 1
    return str(answers[-1].args["text"])


async def test_a_slack_digest_is_block_kit_with_buttons_and_teaches_the_model(
        slack: SlackAdapter, slack_api: MockSlack, slack_app: App) -> None:
    assert slack_app.digests is not None
    clock = slack_app.digests.clock = Clock(datetime(2024, 5, 6, 8, tzinfo=UTC))
    sub = sub_id_of(await slash(slack, slack_api, "subscribe daily at 09:00 size 3"))
    await slack_app.digests.run_due(datetime(2024, 5, 6, 9, tzinfo=UTC))
    [digest] = slack_api.of("chat.postMessage")
    assert digest.args["channel"] == "C100" and digest.token == T1.token
    assert len(item_ids(digest)) == 3 and "daily digest" in digest.args["text"]
    assert any(b.startswith("rb:like:") for b in buttons(digest))

    like = next(b for b in buttons(digest) if b.startswith("rb:like:"))
    await post(slack, button(T1, digest, like, slack_api, user="U200"), form=True)
    await post(slack, reaction(T1, "thumbsup", digest.result["ts"], user="U300"))
    await slack.wait_idle()
    liked = await slack_app.store.prefs.for_user(T1.team_id, "U200")
    assert [(p.item_id, p.kind) for p in liked] == [(like.split(":", 3)[3], "button")]
    reacted = await slack_app.store.prefs.for_user(T1.team_id, "U300")
    assert {p.item_id for p in reacted} == set(item_ids(digest))

    # A DM digest asked for in the channel goes to the person's DM.
    await slash(slack, slack_api, "subscribe daily at 10:00 size 2 dm")
    await slack_app.digests.run_due(datetime(2024, 5, 6, 10, tzinfo=UTC))
    dm = slack_api.of("chat.postMessage")[-1]
    assert dm.args["channel"] == "U100" and len(item_ids(dm)) == 2

    # A platform error (Slack answers channel_not_found once) propagates and is retried with backoff.
    slack_api.failures["chat.postMessage"] = ["channel_not_found"]
    clock.now = datetime(2024, 5, 7, 9, tzinfo=UTC)
    report = await slack_app.digests.run_due()
    assert sub in report.retrying and not report.sent
    report = await slack_app.digests.run_due(clock.now + timedelta(seconds=30))
    assert (sub, "d:2024-05-07") in report.sent
    channel_posts = [c for c in slack_api.of("chat.postMessage") if c.args["channel"] == "C100" and c.result]
    assert len([c for c in channel_posts if c.result.get("ok")]) == 2  # day 1 and day 2, once each
