"""The Slack edges found in review (issue 15): private answers, marks only for recorded feedback, the
tenant bolt authorizes, and display names the store cannot encode.

Same real pieces as tests/test_slack_http.py: the adapter's signed HTTP endpoint on loopback, the
recording Web API mock (tests/slack_mock.py) and the real core from bot.wiring on SQLite in tmp_path.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from adapters.slack import SlackAdapter
from bot.wiring import App
from tests.helpers import ErrorLog
from tests.slack_mock import MockSlack, Workspace, event_body, message_ts
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
    post,
    slash,
)

T3 = Workspace("T0000003", "xoxb-not-installed", "UBOT3", "BBOT3")  # known to the mock, not to the bot
ORG = Workspace("E0000001", "xoxb-org-wide", "UBOTE", "BBOTE")  # an org-wide (Enterprise Grid) install


@pytest.fixture
def errors() -> Any:
    """ERROR records from the adapter and bolt during the test (a refusal must not be one)."""
    handler = ErrorLog()
    loggers = [logging.getLogger(n) for n in ("recbot.slack", "slack_bolt")]
    for lg in loggers:
        lg.addHandler(handler)
    yield handler
    for lg in loggers:
        lg.removeHandler(handler)


def _marks(call: Any) -> list[str]:
    return [e["text"] for b in call.args["blocks"] if b["type"] == "context" for e in b["elements"]]


async def _rows_of(app: App, tenant: str) -> int:
    total = 0
    for table in USER_TABLES:
        row = await app.store.db.fetchone(f"SELECT COUNT(*) FROM {table} WHERE tenant = ?", (tenant,))
        total += int(row[0]) if row else 0
    return total


# ---- 1. /prefs answers the person alone ------------------------------------------------------------

async def test_prefs_without_an_argument_is_ephemeral(slack: SlackAdapter, slack_api: MockSlack,
                                                      slack_app: App) -> None:
    first = await ask(slack, slack_api, T1, "recommend a sci-fi movie")
    like = next(b for b in buttons(first) if b.startswith("rb:like:"))
    await post(slack, button(T1, first, like, slack_api), form=True)
    await slack.wait_idle()
    liked = slack_app.catalog.get(like.split(":", 3)[3])
    assert liked is not None
    public_before = len(slack_api.of("chat.postMessage"))

    assert (await post(slack, slash(slack_api, T1, "/prefs"), form=True))[0] == 200
    await slack.wait_idle()
    assert len(slack_api.of("chat.postMessage")) == public_before  # nothing in the channel
    answer = slack_api.of("response_url")[-1]
    assert answer.args["response_type"] == "ephemeral" and liked.title in answer.args["text"]

    # the export still goes to the DM as a file, and nothing of it is posted in the channel
    await post(slack, slash(slack_api, T1, "/prefs", "export"), form=True)
    await slack.wait_idle()
    [upload] = slack_api.of("file_upload")
    assert json.loads(upload.args["content"])["user"] == "U100"
    assert slack_api.of("files.completeUploadExternal")[-1].args["channel_id"] == "D100"
    assert len(slack_api.of("chat.postMessage")) == public_before


# ---- 2. a refused button press leaves the list unmarked --------------------------------------------

async def test_a_press_on_an_unknown_item_is_not_marked(slack: SlackAdapter, slack_api: MockSlack,
                                                       slack_app: App) -> None:
    first = await ask(slack, slack_api, T1, "recommend a sci-fi movie")
    rec_id = buttons(first)[0].split(":")[2]
    await post(slack, button(T1, first, f"rb:like:{rec_id}:movie:heat", slack_api), form=True)  # not in the list
    await slack.wait_idle()
    assert slack_api.of("chat.update") == []
    assert not [c for c in slack_api.of("response_url") if c.args.get("replace_original")]
    [note] = slack_api.of("response_url")
    assert note.args["response_type"] == "ephemeral" and "no longer have" in note.args["text"]
    assert (await slack_app.core.user_summary(T1.team_id, "U100")).likes == []


async def test_a_press_after_forget_is_not_marked_but_a_recorded_one_is(slack: SlackAdapter, slack_api: MockSlack,
                                                                        slack_app: App) -> None:
    first = await ask(slack, slack_api, T1, "recommend a sci-fi movie")
    like, dislike = (next(b for b in buttons(first) if b.startswith(p)) for p in ("rb:like:", "rb:dislike:"))
    await post(slack, slash(slack_api, T1, "/forget"), form=True)
    await slack.wait_idle()
    await post(slack, button(T1, first, like, slack_api), form=True)
    await slack.wait_idle()
    assert slack_api.of("chat.update") == []  # the list is gone: no 👍 under it
    assert (await slack_app.core.user_summary(T1.team_id, "U100")).likes == []

    again = await ask(slack, slack_api, T1, "recommend a sci-fi movie", channel="C200")
    dislike = next(b for b in buttons(again) if b.startswith("rb:dislike:"))
    await post(slack, button(T1, again, dislike, slack_api), form=True)
    await slack.wait_idle()
    [update] = slack_api.of("chat.update")  # what the core recorded is still marked
    assert update.args["ts"] == again.result["ts"] and _marks(update) == ["👎 <@U100>"]


# ---- 3. the tenant is the installation bolt authorized ---------------------------------------------

def _event(team_id: str, authorization: dict[str, Any], text: str = "recommend a sci-fi movie",
           **top: Any) -> bytes:
    ts = message_ts()
    body = json.loads(event_body(team_id, {"type": "app_mention", "user": "U100", "channel": "C100", "ts": ts,
                                           "text": f"<@UBOT1> {text}", "event_ts": ts}))
    body["authorizations"] = [{"enterprise_id": None, "is_bot": True, "is_enterprise_install": False,
                               **authorization}]
    return json.dumps({**body, **top}).encode()


async def test_the_tenant_is_the_authorized_installation_not_the_body_team(
        slack: SlackAdapter, slack_api: MockSlack, slack_app: App, errors: ErrorLog) -> None:
    # Slack Connect: the event happened in T3 (a workspace we are not in) and was delivered to our T1 install.
    await post(slack, _event(T3.team_id, {"team_id": T1.team_id}))
    # The body names T2, but the request is authorized for T1: it is T1's, and T1's token answers.
    await post(slack, _event(T2.team_id, {"team_id": T1.team_id}))
    await slack.wait_idle()
    posts = slack_api.of("chat.postMessage")
    assert len(posts) == 2 and {p.token for p in posts} == {T1.token}
    assert await _rows_of(slack_app, T3.team_id) == 0 and await _rows_of(slack_app, T2.team_id) == 0
    assert await slack_app.store.recs.by_message(T1.team_id, "slack", posts[1].result["ts"]) is not None
    assert errors.take() == []


async def test_an_installation_we_do_not_serve_stores_nothing(slack: SlackAdapter, slack_api: MockSlack,
                                                              slack_app: App, errors: ErrorLog) -> None:
    # The body says T1 (installed); the authorization is for T3 (not installed).
    status, _ = await post(slack, _event(T1.team_id, {"team_id": T3.team_id}))
    assert status == 200  # answered (Slack would retry an error), but nothing is done
    await slack.wait_idle()
    for table in USER_TABLES:
        assert await count(slack_app, table) == 0, table
    assert slack_api.of("chat.postMessage") == []
    assert errors.take() == []  # refused with a warning: no traceback, no ERROR line


async def test_an_org_wide_install_is_one_tenant(slack_app: App, tmp_path: Path) -> None:
    mock = MockSlack([T1, ORG])
    await mock.start()
    env = {**ENV, "SLACK_BOT_TOKENS": f"{T1.team_id}={T1.token},{ORG.team_id}={ORG.token}"}
    adapter = SlackAdapter(slack_app.core, http_settings(mock), env)
    await adapter.start()
    try:
        org = {"enterprise_id": ORG.team_id, "team_id": None, "is_enterprise_install": True}
        await post(adapter, _event("T0000005", org, enterprise_id=ORG.team_id))
        await post(adapter, _event("T0000006", org, "recommend a comedy", enterprise_id=ORG.team_id))
        await adapter.wait_idle()
        posts = mock.of("chat.postMessage")
        assert len(posts) == 2 and {p.token for p in posts} == {ORG.token}
        # both workspaces of the organization share the install's tenant
        assert await _rows_of(slack_app, ORG.team_id) > 0
        assert await _rows_of(slack_app, "T0000005") == 0 and await _rows_of(slack_app, "T0000006") == 0
    finally:
        await adapter.stop()
        await mock.stop()


async def test_a_single_token_serves_only_its_own_workspace(slack_app: App, slack_api: MockSlack,
                                                            errors: ErrorLog) -> None:
    adapter = SlackAdapter(slack_app.core, http_settings(slack_api),
                           {"SLACK_BOT_TOKEN": T1.token, "SLACK_SIGNING_SECRET": SECRET})
    await adapter.start()
    try:
        await post(adapter, _event(T2.team_id, {"team_id": T2.team_id}))  # the token is T1's (auth.test)
        await adapter.wait_idle()
        assert slack_api.of("chat.postMessage") == [] and await count(slack_app, "processed_events") == 0
        await post(adapter, _event(T1.team_id, {"team_id": T1.team_id}))
        await adapter.wait_idle()
        assert [p.token for p in slack_api.of("chat.postMessage")] == [T1.token]
        assert await _rows_of(slack_app, T1.team_id) > 0
    finally:
        await adapter.stop()
    assert errors.take() == []


# ---- 8. a display name the store cannot encode ----------------------------------------------------

@pytest.mark.parametrize("name", ["Ann \ud800", "\udfff", "Bo\x00b\u202e"])
async def test_a_display_name_with_an_invalid_code_point_is_cleaned(slack: SlackAdapter, slack_api: MockSlack,
                                                                   slack_app: App, name: str) -> None:
    slack_api.display_names["U100"] = name
    call = await ask(slack, slack_api, T1, "recommend a sci-fi movie")
    assert item_ids(call)  # a recommendation, not "Sorry, something went wrong"
    row = await slack_app.store.db.fetchone("SELECT display_name FROM users WHERE user_id = 'U100'")
    assert row is not None
    stored = row[0]
    assert stored is None or (stored.encode("utf-8") and stored.isprintable())
    assert await count(slack_app, "turns") == 2
