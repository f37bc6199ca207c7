"""Hostile and malformed input at the Discord edge.

Rendering (Reply -> message kwargs, embed, persistent buttons) and custom_id parsing are fuzzed directly
against Discord's documented limits; then the real adapter, discord.py client and core run against the
loopback fake Discord (tests/fake_discord.py) while malformed MESSAGE_CREATE / INTERACTION_CREATE
payloads and random message text arrive over the gateway: the client must keep answering.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord_views import (
    BUTTON_LABEL_MAX,
    CONTENT_MAX,
    CUSTOM_ID_MAX,
    CUSTOM_ID_RE,
    EMBED_DESCRIPTION_MAX,
    EMBED_FIELDS_MAX,
    EMBED_FOOTER_MAX,
    EMBED_TITLE_MAX,
    EMBED_TOTAL_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    ROWS_MAX,
    custom_id,
    render,
)
from core.events import ButtonAction, ItemView, Reply
from tests.discord_harness import ALICE, CHAN_A, CHAN_A2, DM_CHAN, Bot, make_config, make_fake, running_bot
from tests.fake_discord import FakeDiscord, Recorded
from tests.helpers import ErrorLog


def pings_nobody(body: dict[str, Any]) -> bool:
    """Discord pings only what allowed_mentions allows: nothing parsed, no users, roles or reply ping."""
    allowed = body.get("allowed_mentions")
    return (isinstance(allowed, dict) and allowed.get("parse") == [] and not allowed.get("users")
            and not allowed.get("roles") and not allowed.get("replied_user"))


def examples(n: int) -> int:
    """RECBOT_FUZZ_EXAMPLES=2000 for a long soak; the defaults keep the file at a few seconds."""
    return int(os.environ.get("RECBOT_FUZZ_EXAMPLES", n))


POST_MESSAGE = r"/channels/\d+/messages"

# ---- rendering, directly ------------------------------------------------------------------------------

huge_text = st.builds(lambda unit, n: (unit * n)[:100_000],
                      st.sampled_from(["a", "@everyone ", "<@&1> ", "😀", "\n", "**", "`"]), st.integers(1, 100_000))
any_text = st.one_of(st.text(max_size=200), huge_text)
item_views = st.builds(
    ItemView, item_id=st.one_of(st.text(min_size=1, max_size=120),
                                st.sampled_from(["m0", "movie:a:b", "\n", "a\nb", " ", "x" * 90])),
    title=any_text, year=st.one_of(st.none(), st.integers(-10**6, 10**6)), reason=any_text,
    creator=st.one_of(st.none(), st.text(max_size=300)))
replies = st.builds(Reply, text=any_text, items=st.lists(item_views, max_size=30).map(tuple),
                    rec_id=st.one_of(st.none(), st.text(alphabet="0123456789abcdef", min_size=1, max_size=40)),
                    buttons=st.booleans(), ephemeral=st.booleans())


@settings(max_examples=examples(80), deadline=None)
@given(replies)
def test_render_respects_discord_limits_and_pings_nobody(reply: Reply) -> None:
    kwargs = render(reply)
    mentions = kwargs["allowed_mentions"].to_dict()
    assert mentions["parse"] == [] and not mentions.get("users") and not mentions.get("roles")
    if not reply.items:
        assert 0 < len(kwargs["content"]) <= CONTENT_MAX and "embed" not in kwargs
        return
    embed: discord.Embed = kwargs["embed"]
    data = embed.to_dict()
    assert len(data.get("title", "")) <= EMBED_TITLE_MAX
    assert len(data.get("description", "")) <= EMBED_DESCRIPTION_MAX
    assert len(data.get("footer", {}).get("text", "")) <= EMBED_FOOTER_MAX
    fields = data.get("fields", [])
    assert 1 <= len(fields) <= EMBED_FIELDS_MAX  # the first item always fits
    assert all(0 < len(f["name"]) <= FIELD_NAME_MAX and 0 < len(f["value"]) <= FIELD_VALUE_MAX for f in fields)
    assert len(embed) <= EMBED_TOTAL_MAX
    view: discord.ui.View | None = kwargs.get("view")
    if view is None:
        return
    rows = view.to_components()
    assert 0 < len(rows) <= ROWS_MAX and all(len(r["components"]) == 3 for r in rows)
    for button in (b for r in rows for b in r["components"]):
        assert len(button["custom_id"]) <= CUSTOM_ID_MAX
        assert len(button.get("label") or "") <= BUTTON_LABEL_MAX
        # every button can be read back by the next process (RecButton's template), to the same parts
        match = CUSTOM_ID_RE.fullmatch(button["custom_id"])
        assert match is not None, button["custom_id"]
        assert custom_id(ButtonAction(match["action"]), match["rec_id"], match["item_id"]) == button["custom_id"]
        assert match["rec_id"] == reply.rec_id


@settings(max_examples=examples(300), deadline=None)
@given(st.one_of(st.text(max_size=220),
                 st.sampled_from(["rb:::", "rb:like::", "rb:like:r:", "rb:share:r:i", "rb:like:r:i:j", "rb:more:r:\n",
                                  "rb:like:" + "r" * 200 + ":i", "RB:LIKE:r:i"]),
                 st.builds(lambda a, r, i: f"rb:{a}:{r}:{i}", st.sampled_from(["like", "dislike", "more", "x"]),
                           st.text(max_size=20), st.text(max_size=200))))
def test_custom_id_parsing_yields_a_button_action_or_nothing(value: str) -> None:
    match = CUSTOM_ID_RE.fullmatch(value)
    if match is None:
        return
    action = ButtonAction(match["action"])  # the template admits only the three actions
    assert match["rec_id"] and ":" not in match["rec_id"] and match["item_id"]
    assert custom_id(action, match["rec_id"], match["item_id"]) == value


# ---- the live client under fire ------------------------------------------------------------------------

@dataclass
class Live:
    loop: asyncio.AbstractEventLoop
    fake: FakeDiscord
    bot: Bot
    errors: ErrorLog

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def mention(self, text: str, channel: int = CHAN_A) -> Recorded:
        """Post a message that mentions the bot; return the bot's answer in that channel."""
        start = len(self.fake.requests)
        data = self.fake.message_payload(channel, self.fake.user(ALICE), f"<@{self.fake.bot_id}> {text}",
                                         mentions=[self.fake.bot_user()])
        self.run(self.fake.dispatch("MESSAGE_CREATE", data))
        return self.run(self.fake.wait_request("POST", rf"/channels/{channel}/messages", start=start))

    def assert_still_answering(self) -> None:
        """The gateway task lives and a plain request, in a channel nothing else writes to, is answered."""
        gateway = self.bot.adapter._gateway
        assert gateway is not None and not gateway.done()
        reply = self.mention("recommend a sci-fi movie", CHAN_A2)
        assert reply.body["embeds"] and pings_nobody(reply.body)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """Fake Discord + bot (real adapter, discord.py client and core) on a loop of the test's own, so that
    hypothesis can drive it from plain functions."""
    loop = asyncio.new_event_loop()
    errors = ErrorLog()
    loggers = [logging.getLogger(n) for n in ("adapters.discord", "discord", "aiohttp.server")]
    for lg in loggers:
        lg.addHandler(errors)
    fake = make_fake()
    loop.run_until_complete(fake.start())
    ctx: AbstractAsyncContextManager[Bot] = running_bot(
        fake, make_config(tmp_path, "[limits]\nmessages_per_minute = 0\n"))
    bot = loop.run_until_complete(ctx.__aenter__())
    try:
        yield Live(loop, fake, bot, errors)
    finally:
        loop.run_until_complete(ctx.__aexit__(None, None, None))
        loop.run_until_complete(fake.stop())
        loop.close()
        for lg in loggers:
            lg.removeHandler(errors)


def _press(fake: FakeDiscord, cid: Any, message: dict[str, Any] | None = None) -> dict[str, Any]:
    """A button click. discord.py reads a persistent (dynamic) button back from the clicked message, so
    unless one is given the click comes from a bot message that carries exactly that button."""
    if message is None:
        button = {"type": 2, "style": 2, "custom_id": cid, "label": "x"}
        message = fake.message_payload(CHAN_A, fake.bot_user(), "", components=[{"type": 1, "components": [button]}])
    return fake.interaction_payload(CHAN_A, fake.user(ALICE), 3, {"custom_id": cid, "component_type": 2},
                                    message=message)


def test_malformed_gateway_events_do_not_silence_the_bot(live: Live) -> None:
    fake = live.fake
    live.mention("recommend a comedy")  # a real recommendation of the bot's, for presses on it
    posted = list(fake.messages.values())[-1]
    rec_id = posted["components"][0]["components"][0]["custom_id"].split(":")[2]

    def message(**change: Any) -> dict[str, Any]:
        data = fake.message_payload(CHAN_A, fake.user(ALICE), f"<@{fake.bot_id}> hi", mentions=[fake.bot_user()])
        for key, value in change.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return data

    # Payloads discord.py cannot parse: each was the end of the gateway (one is enough) before the fix.
    unparsable = [
        ("MESSAGE_CREATE", message(author=None)),
        ("MESSAGE_CREATE", message(channel_id="not-a-snowflake")),
        ("MESSAGE_CREATE", message(mentions=[{"id": "zz"}])),
        ("INTERACTION_CREATE", {**_press(fake, "rb:::"), "data": {"component_type": 2}}),  # no custom_id
        ("INTERACTION_CREATE", _press(fake, 12345)),  # a number for a custom_id
    ]
    # Payloads discord.py parses but nothing of ours should act on, or should act on harmlessly.
    odd = [
        ("MESSAGE_CREATE", message(guild_id="123", channel_id="999")),  # a guild we are not in
        ("MESSAGE_CREATE", message(content="@everyone " * 300, mentions=[])),  # not addressed: ignored
        ("MESSAGE_CREATE", message(type=19, content="<@1> " * 500)),  # a reply-type message, spammy
        ("INTERACTION_CREATE", _press(fake, "rb:::")),
        ("INTERACTION_CREATE", _press(fake, "rb:share:r:m0")),  # unknown action
        ("INTERACTION_CREATE", _press(fake, "rb:like:" + "9" * 200 + ":m0")),  # 200-char ids
        ("INTERACTION_CREATE", _press(fake, "rb:like:r:" + "m" * 200)),
        ("INTERACTION_CREATE", _press(fake, "rb:like:nosuchrec:m0", posted)),  # well-formed, unknown list
        ("INTERACTION_CREATE", _press(fake, f"rb:dislike:{rec_id}:not-an-item", posted)),
        ("INTERACTION_CREATE", fake.interaction_payload(CHAN_A, fake.user(ALICE), 99, {})),
    ]
    start = len(fake.requests)
    for event, data in unparsable + odd:
        live.run(fake.dispatch(event, data))
    live.assert_still_answering()  # the gateway is ordered: everything above was read before this
    live.run(live.bot.adapter.stop(grace_s=5))  # let the handlers of the presses finish, then look
    errors = live.errors.take()
    dropped = [m for m in errors if "could not parse" in m]
    assert len(dropped) == len(unparsable) and len(errors) == len(dropped), errors  # and nothing else broke
    sent = fake.matching("POST", POST_MESSAGE, start) + fake.matching("POST", r"/webhooks/.*", start)
    assert sent and all(pings_nobody(r.body) for r in sent), [r.body for r in sent]


def test_random_messages_are_answered_without_pings(live: Live) -> None:
    sent = [0]

    @settings(max_examples=examples(15), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.one_of(any_text, st.lists(st.sampled_from(["@everyone", "@here", "<@123>", "<@&456>", "<#789>",
                                                          "recommend", "sci-fi", "😀", "\u202e"]),
                                         max_size=60).map(" ".join)),
           st.sampled_from([CHAN_A, DM_CHAN]))
    def run(text: str, channel: int) -> None:
        sent[0] += 1
        reply = live.mention(text, channel)
        assert pings_nobody(reply.body)
        wire = json.dumps(reply.body)
        assert "@everyone" not in wire and "@here" not in wire
        assert len(reply.body.get("content") or "") <= CONTENT_MAX
        assert live.errors.take() == []

    start = len(live.fake.requests)
    run()
    assert len(live.fake.matching("POST", POST_MESSAGE, start)) == sent[0]  # one answer per message
    live.assert_still_answering()


def test_random_button_ids_through_the_gateway(live: Live) -> None:
    @settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.one_of(st.text(max_size=120), st.builds(lambda a, r, i: f"rb:{a}:{r}:{i}",
                                                      st.sampled_from(["like", "dislike", "more", "nope", ""]),
                                                      st.text(max_size=40), st.text(max_size=90))))
    def run(cid: str) -> None:
        live.run(live.fake.dispatch("INTERACTION_CREATE", _press(live.fake, cid)))

    run()
    live.assert_still_answering()
    live.run(live.bot.adapter.stop(grace_s=5))
    assert live.errors.take() == []


# Display names with any code point: lone surrogates, NULs, bidi controls. One lone surrogate in a name
# made every message of that person fail (the store cannot encode it).
display_names = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.sampled_from(["\ud800", "Ann \udfff", "\ud83d\ude00\ud83d", "\x00", "\u202e\u200b", " ", ""]))


def test_display_names_with_any_code_point(live: Live) -> None:
    users = iter(range(10**6))

    @settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(display_names)
    def run(name: str) -> None:
        fake, user = live.fake, 1600000000000000000 + next(users)  # a new person each time
        author = {**fake.user(user), "global_name": name, "username": name or "x"}
        data = fake.message_payload(CHAN_A, author, f"<@{fake.bot_id}> hello", mentions=[fake.bot_user()])
        start = len(fake.requests)
        live.run(fake.dispatch("MESSAGE_CREATE", data))
        reply = live.run(fake.wait_request("POST", POST_MESSAGE, start=start))
        assert "went wrong" not in (reply.body.get("content") or ""), reply.body
        assert live.errors.take() == []
        row = live.run(live.bot.core.store.db.fetchone("SELECT display_name FROM users WHERE user_id = ?",
                                                       (str(user),)))
        assert row is not None and (row[0] is None or row[0].encode("utf-8"))

    run()
    live.assert_still_answering()


def test_mention_spam_gets_an_answer_that_pings_nobody(live: Live) -> None:
    for text in ("@everyone" * 100, "recommend a sci-fi movie " + "@everyone @here " * 100):
        reply = live.mention(text)
        assert pings_nobody(reply.body)
        assert "@everyone" not in json.dumps(reply.body) and "@here" not in json.dumps(reply.body)
    assert live.errors.take() == []


# ---- regressions ---------------------------------------------------------------------------------------

def test_an_item_id_with_a_newline_still_gets_working_buttons() -> None:
    """CUSTOM_ID_RE's ".+" stopped at a newline: an id starting with one made RecButton raise (the whole
    reply failed to render), one containing one gave a button no click could ever reach."""
    for item_id in ("\n", "a\nb"):
        view = render(Reply(text="x", items=(ItemView(item_id, "T", None, "r"),), rec_id="ab")).get("view")
        assert view is not None
        ids = [b["custom_id"] for row in view.to_components() for b in row["components"]]
        assert [CUSTOM_ID_RE.fullmatch(i)["item_id"] for i in ids] == [item_id] * 3  # type: ignore[index]


def test_a_press_on_such_a_button_reaches_the_adapter(live: Live) -> None:
    start = len(live.fake.requests)
    press = _press(live.fake, "rb:like:nosuchrec:a\nb")
    live.run(live.fake.dispatch("INTERACTION_CREATE", press))
    callback = live.run(live.fake.wait_request("POST", rf"/interactions/{press['id']}/{press['token']}/callback",
                                               start=start))
    assert callback.body == {"type": 6}  # deferred by RecButton -> adapter, not ignored
    live.run(live.bot.adapter.stop(grace_s=5))
    assert live.errors.take() == []
