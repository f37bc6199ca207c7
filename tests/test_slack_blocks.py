"""Block Kit layouts and Slack text conventions (pure functions, no servers)."""

from __future__ import annotations

from adapters.slack_blocks import (
    HOME_FORGET_ACTION,
    button_id,
    clean_incoming,
    home_view,
    mentions,
    parse_button_id,
    render_reply,
    with_feedback,
)
from core.events import ButtonAction, ItemView, Reply
from core.ports import UserSummary

ITEMS = (
    ItemView("movie:alien-1979", "Alien", 1979, "Slow-burn horror in space.", creator="Ridley Scott"),
    ItemView("book:dune", "Dune & <Sons>", None, "Desert politics."),
)


def _reply(**kw: object) -> Reply:
    text = "Two picks for you:\n1. Alien (1979) - Slow-burn horror in space.\n2. Dune & <Sons> - Desert politics."
    return Reply(text=text, items=ITEMS, rec_id="rec42", **kw)  # type: ignore[arg-type]


def test_recommendation_renders_a_section_and_three_buttons_per_item() -> None:
    text, blocks = render_reply(_reply())
    assert blocks is not None
    assert "Alien" in text and "&lt;Sons&gt;" in text  # fallback text always set, mrkdwn-escaped
    assert blocks[0]["text"]["text"] == "Two picks for you:"
    sections = [b for b in blocks if b.get("block_id", "").startswith("item:")]
    assert [s["text"]["text"] for s in sections] == [
        "*Alien* (1979) · _Ridley Scott_\nSlow-burn horror in space.",
        "*Dune &amp; &lt;Sons&gt;*\nDesert politics.",
    ]
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(actions) == 2
    ids = [e["action_id"] for e in actions[0]["elements"]]
    assert ids == ["rb:like:rec42:movie:alien-1979", "rb:dislike:rec42:movie:alien-1979",
                   "rb:more:rec42:movie:alien-1979"]
    assert [e["text"]["text"] for e in actions[0]["elements"]] == ["👍", "👎", "More like this"]
    assert all(e["value"] == e["action_id"] for e in actions[0]["elements"])


def test_plain_reply_and_buttonless_list() -> None:
    text, blocks = render_reply(Reply(text="Hi <you> & me"))
    assert (text, blocks) == ("Hi &lt;you&gt; &amp; me", None)
    _, blocks = render_reply(_reply(buttons=False))
    assert blocks is not None and not [b for b in blocks if b["type"] == "actions"]


def test_button_ids_round_trip_even_with_colons_in_item_ids() -> None:
    aid = button_id(ButtonAction.MORE_LIKE, "r1", "movie:alien-1979")
    assert parse_button_id(aid) == (ButtonAction.MORE_LIKE, "r1", "movie:alien-1979")
    assert parse_button_id("rb:bogus:r1:x") is None
    assert parse_button_id("rb:like:r1") is None
    assert parse_button_id("other:like:r1:x") is None


def test_incoming_text_loses_the_bot_mention_and_slack_markup() -> None:
    raw = "<@UBOT> something like <https://x.test/heat|Heat> &amp; <#C1|films> for <@U2|ann> &lt;3"
    assert clean_incoming(raw, "UBOT") == "something like Heat & #films for <@U2|ann> <3"
    assert clean_incoming("<@UBOT|recbot>   hi", "UBOT") == "hi"
    assert mentions("hey <@UBOT>", "UBOT") and not mentions("hey <@U2>", "UBOT")


def test_feedback_marks_replace_a_users_previous_mark_and_keep_buttons() -> None:
    _, blocks = render_reply(_reply())
    assert blocks is not None
    once = with_feedback(blocks, "movie:alien-1979", "U1", ButtonAction.LIKE)
    twice = with_feedback(once, "movie:alien-1979", "U1", ButtonAction.DISLIKE)
    both = with_feedback(twice, "movie:alien-1979", "U2", ButtonAction.LIKE)
    ctx = [b for b in both if b["type"] == "context"]
    assert len(ctx) == 1 and [e["text"] for e in ctx[0]["elements"]] == ["👎 <@U1>", "👍 <@U2>"]
    pos = [b.get("block_id") for b in both]
    assert pos.index("fb:movie:alien-1979") == pos.index("act:movie:alien-1979") + 1
    assert len([b for b in both if b["type"] == "actions"]) == 2


def test_home_view_lists_the_profile_and_offers_forget() -> None:
    view = home_view(UserSummary(likes=["Alien (1979)"], dislikes=[], subscriptions=["weekly movies"]))
    assert view["type"] == "home"
    texts = " ".join(b.get("text", {}).get("text", "") for b in view["blocks"])
    assert "• Alien (1979)" in texts and "• weekly movies" in texts and "_nothing yet_" in texts
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0]["action_id"] == HOME_FORGET_ACTION and "confirm" in buttons[0]
