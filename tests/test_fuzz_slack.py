"""Hostile and malformed input at the Slack edge, through the adapter's real HTTP server.

Every request goes over loopback to the adapter's aiohttp endpoint, signed the way Slack signs (or
forged), with the real DialogueCore behind it (tests/slack_mock.py) and the Slack Web API mocked on
loopback. Properties: the server never answers 5xx, unsigned or forged requests are always 401, nothing
raises inside the adapter or bolt (no ERROR log records), and a valid mention sent afterwards is still
answered. The pure parsing/rendering functions are fuzzed directly as well.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.slack import SlackAdapter, SlackSettings
from adapters.slack_blocks import button_id, clean_incoming, mentions, parse_button_id, render_reply
from adapters.slack_payload import check_payload
from bot.wiring import App
from core.events import ButtonAction, ItemView, Reply
from tests.helpers import ErrorLog
from tests.slack_mock import MockSlack, Workspace, build_test_app, event_body, message_ts

SECRET = "fuzz-signing-secret-0123456789ab"
T1 = Workspace("T0000001", "xoxb-fuzz-one", "UBOT1", "BBOT1")
ENV = {"SLACK_BOT_TOKEN": T1.token, "SLACK_SIGNING_SECRET": SECRET}
BODY_LIMIT = 1024**2  # aiohttp's default client_max_size, which the adapter's server keeps
JSON_CT, FORM_CT = "application/json", "application/x-www-form-urlencoded"


def examples(n: int) -> int:
    """RECBOT_FUZZ_EXAMPLES=2000 for a long soak; the defaults keep the file at a few seconds."""
    return int(os.environ.get("RECBOT_FUZZ_EXAMPLES", n))


FUZZ = settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
# What a live Slack ping looks like on the wire; none of it may appear in what the bot posts.
LIVE_PINGS = ("<!everyone", "<!channel", "<!here", "<@U", "<@W")


# ---- a served adapter on its own loop (hypothesis drives sync functions) -------------------------

@dataclass
class Served:
    loop: asyncio.AbstractEventLoop
    app: App
    mock: MockSlack
    adapter: SlackAdapter
    session: aiohttp.ClientSession
    errors: ErrorLog
    _stamp: int = field(default=0)

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def post(self, body: bytes, content_type: str | None = JSON_CT, *, signed: bool = True,
             secret: str = SECRET, extra: dict[str, str] | None = None) -> tuple[int, str]:
        # A fresh timestamp each time: the adapter refuses a (timestamp, signature) pair it has seen.
        self._stamp += 1
        ts = str(int(time.time()) - self._stamp % 200)
        headers = {**(raw_signature(secret, body, ts) if signed else {}), **(extra or {})}
        if content_type is not None:
            headers["Content-Type"] = content_type

        async def go() -> tuple[int, str]:
            url = f"http://127.0.0.1:{self.adapter.port}/slack/events"
            async with self.session.post(url, data=body, headers=headers) as resp:
                return resp.status, await resp.text()

        status = self.run(go())
        self.run(self.adapter.wait_idle())
        return status

    def assert_still_serving(self) -> None:
        """A plain, valid mention after the storm is answered with a recommendation."""
        before = len(self.mock.of("chat.postMessage"))
        ts = message_ts()
        body = event_body(T1.team_id, {"type": "app_mention", "user": "U777", "channel": "C777", "ts": ts,
                                       "text": f"<@{T1.bot_user_id}> recommend a sci-fi movie", "event_ts": ts})
        assert self.post(body)[0] == 200
        calls = self.mock.of("chat.postMessage")
        assert len(calls) == before + 1 and calls[-1].args["channel"] == "C777"
        assert "block_id" in json.dumps(calls[-1].args.get("blocks"))

    def assert_no_errors(self) -> None:
        found, self.errors.records = self.errors.records, []  # each example answers for its own
        assert not found, [(r.getMessage()[:300], repr(r.exc_info[1])[:300] if r.exc_info else None)
                           for r in found]


def raw_signature(secret: str, body: bytes, ts: str) -> dict[str, str]:
    """Slack's v0 signature over the raw bytes (slack_sdk's helper only signs UTF-8 text)."""
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    loop = asyncio.new_event_loop()
    errors = ErrorLog()
    loggers = [logging.getLogger(n) for n in ("recbot.slack", "slack_bolt", "aiohttp.server", "asyncio")]
    for lg in loggers:
        lg.addHandler(errors)

    async def setup() -> Served:
        app = await build_test_app(tmp_path, "[limits]\nmessages_per_minute = 0\n")
        mock = MockSlack([T1])
        await mock.start()
        adapter = SlackAdapter(app.core, SlackSettings(mode="http", host="127.0.0.1", port=0,
                                                       api_base_url=mock.api_url), ENV)
        await adapter.start()
        return Served(loop, app, mock, adapter, aiohttp.ClientSession(), errors)

    s = loop.run_until_complete(setup())
    try:
        yield s
    finally:
        async def teardown() -> None:
            await s.session.close()
            await s.adapter.stop()
            await s.mock.stop()
            await s.app.aclose()

        loop.run_until_complete(teardown())
        loop.close()
        for lg in loggers:
            lg.removeHandler(errors)


# ---- strategies ------------------------------------------------------------------------------------

DROP = object()  # "remove this key" marker for mutations
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                    st.text(max_size=30))
junk = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                    max_leaves=8)
huge_text = st.builds(lambda unit, n: (unit * n)[:100_000],
                      st.sampled_from(["a", "<@UA|", "<http:", "<!here|", "&lt;", "😀", "<#C1|", "\u202e"]),
                      st.integers(1, 100_000))
any_text = st.one_of(st.text(max_size=300), huge_text)

EVENT_TYPES = ["app_mention", "message", "reaction_added", "reaction_removed", "app_home_opened"]


def mutate(base: dict[str, Any], keys: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The base payload with a few of ``keys`` dropped or replaced by junk."""
    def apply(changes: dict[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for k, v in changes.items():
            if v is DROP:
                out.pop(k, None)
            else:
                out[k] = v
        return out

    return st.dictionaries(st.sampled_from(keys), st.one_of(st.just(DROP), values), max_size=4).map(apply)


@st.composite
def event_callbacks(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(EVENT_TYPES))
    ts = message_ts()
    event: dict[str, Any] = {"type": kind, "user": "U100", "channel": draw(st.sampled_from(["C100", "D100"])),
                             "ts": ts, "event_ts": ts, "text": f"<@{T1.bot_user_id}> " + draw(any_text),
                             "channel_type": "im", "thread_ts": None, "tab": "home", "reaction": "+1",
                             "item_user": T1.bot_user_id, "item": {"type": "message", "channel": "C100", "ts": ts}}
    event_keys = [*event, "subtype", "bot_id", "parent_user_id", "blocks"]
    event = draw(mutate(event, event_keys, st.one_of(junk, any_text, st.sampled_from(EVENT_TYPES))))
    body = json.loads(event_body(T1.team_id, {}))
    body["event"] = event
    top_keys = ["type", "team_id", "event_id", "event", "authorizations", "team", "user", "enterprise",
                "channel", "api_app_id", "is_ext_shared_channel", "enterprise_id", "view", "response_urls"]
    return draw(mutate(body, top_keys, junk))


def button_payload(action_id: str) -> dict[str, Any]:
    ts = message_ts()
    return {"type": "block_actions", "team": {"id": T1.team_id, "domain": "one"},
            "user": {"id": "U100", "username": "ann", "team_id": T1.team_id}, "api_app_id": "A0TEST",
            "trigger_id": f"trig.{ts}", "response_url": RESPONSE_URL,
            "container": {"type": "message", "message_ts": ts, "channel_id": "C100", "is_ephemeral": False},
            "channel": {"id": "C100"},
            "message": {"type": "message", "ts": ts, "text": "x",
                        "blocks": [{"type": "section", "block_id": "item:movie:alien"}]},
            "actions": [{"type": "button", "action_id": action_id, "value": action_id, "block_id": "x",
                         "action_ts": ts}]}


RESPONSE_URL = "response-url-of-the-mock"  # replaced by a live mock URL when the request is sent
action_ids = st.one_of(st.sampled_from(["rb:::", "rb:like::", "rb:like:r:", "rb:nope:r:i", "rb:like:r:i",
                                        "rb:more:r:a:b:c", "rb_home:forget", "rb:dislike:" + "x" * 300 + ":i"]),
                       st.text(max_size=60).map(lambda t: "rb:like:" + t), st.text(max_size=60))


@st.composite
def block_actions(draw: st.DrawFn) -> dict[str, Any]:
    base = button_payload(draw(action_ids))
    payload = draw(mutate(base, [*base, "view", "enterprise", "authorizations", "response_urls"], junk))
    action_keys = ["action_id", "action_ts", "value", "type"]
    if isinstance(payload.get("actions"), list) and draw(st.booleans()):
        payload["actions"] = [draw(mutate(base["actions"][0], action_keys, junk))]
    return payload


SLASH_FIELDS = ["command", "text", "team_id", "channel_id", "user_id", "user_name", "trigger_id",
                "response_url", "api_app_id", "payload"]


@st.composite
def slash_bodies(draw: st.DrawFn) -> bytes:
    fields = {"command": draw(st.sampled_from(["/recommend", "/prefs", "/forget", "/digest", "/nope", ""])),
              "text": draw(any_text), "team_id": T1.team_id, "channel_id": draw(st.sampled_from(["C100", "D1", ""])),
              "user_id": "U100", "user_name": "ann", "trigger_id": f"trig.{message_ts()}"}
    fields = draw(mutate(fields, SLASH_FIELDS, st.text(max_size=40)))
    pairs = list(fields.items()) + draw(st.lists(st.tuples(st.sampled_from(SLASH_FIELDS), st.text(max_size=20)),
                                                 max_size=2))  # repeated keys
    return urlencode(pairs).encode()


content_types = st.sampled_from([JSON_CT, FORM_CT, "text/plain", "", "multipart/form-data; boundary=x",
                                 "application/json; charset=latin-1", None])


# ---- the HTTP server under fire --------------------------------------------------------------------

def test_event_callbacks_of_any_shape(served: Served) -> None:
    @FUZZ
    @given(event_callbacks())
    def run(body: dict[str, Any]) -> None:
        status, text = served.post(json.dumps(body).encode())
        assert status < 500, text
        served.assert_no_errors()

    run()
    served.assert_still_serving()


def test_block_actions_and_slash_commands_of_any_shape(served: Served) -> None:
    def form(payload: dict[str, Any]) -> bytes:
        if payload.get("response_url") == RESPONSE_URL:
            payload = {**payload, "response_url": served.mock.response_url()}
        return urlencode({"payload": json.dumps(payload)}).encode()

    @FUZZ
    @given(st.one_of(block_actions().map(form), slash_bodies(),
                     st.text(max_size=80).map(lambda t: urlencode({"payload": t}).encode())))
    def run(body: bytes) -> None:
        status, text = served.post(body, FORM_CT)
        assert status < 500, text
        served.assert_no_errors()

    run()
    served.assert_still_serving()


def test_raw_garbage_bodies_and_content_types(served: Served) -> None:
    fixed = [b"", b"{", b"[]", b"null", b"42", b'"x"', b"payload=", b"payload=null", b"payload=%7B", b"payload=[1]",
             b"\xff\xfe\x00", b"%%%&&&===", b'{"type": "event_callback", "event": "x"}',
             b'{"type": "url_verification", "challenge": {"a": [1]}}', b'{"type": "url_verification"}',
             b"{}" * 50_000]

    @FUZZ
    @given(st.one_of(st.sampled_from(fixed), st.binary(max_size=300), junk.map(lambda j: json.dumps(j).encode())),
           content_types)
    def run(body: bytes, content_type: str | None) -> None:
        status, text = served.post(body, content_type)
        assert status < 500, text
        served.assert_no_errors()

    run()
    served.assert_still_serving()


def test_unsigned_forged_and_stale_requests_are_always_401(served: Served) -> None:
    @FUZZ
    @given(st.one_of(event_callbacks().map(lambda b: json.dumps(b).encode()), st.binary(max_size=200)),
           st.sampled_from(["unsigned", "forged", "stale", "garbage-ts", "garbage-sig"]), content_types)
    def run(body: bytes, how: str, content_type: str | None) -> None:
        now = str(int(time.time()))
        headers = {"unsigned": None, "forged": raw_signature("not-" + SECRET, body, now),
                   "stale": raw_signature(SECRET, body, str(int(now) - 600)),
                   "garbage-ts": {**raw_signature(SECRET, body, now), "X-Slack-Request-Timestamp": "∞"},
                   "garbage-sig": {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=" + "zz" * 32}}[how]
        status, _ = served.post(body, content_type, signed=False, extra=headers)
        # aiohttp refuses a body over its 1 MiB limit (413) before anyone reads it; anything else is 401.
        assert status == 401 or (status == 413 and len(body) > BODY_LIMIT)

    before = len(served.mock.calls)
    run()
    served.assert_no_errors()
    assert len(served.mock.calls) == before  # nothing was dispatched: not even auth.test
    served.assert_still_serving()


def test_mention_spam_posts_no_live_ping(served: Served) -> None:
    spam = "@everyone <!channel> <!here> <@U123> " * 50
    ts = message_ts()
    for text in (f"<@{T1.bot_user_id}> {spam}", f"<@{T1.bot_user_id}> recommend a sci-fi movie {spam}"):
        body = event_body(T1.team_id, {"type": "app_mention", "user": "U100", "channel": "C100", "ts": ts,
                                       "text": text, "event_ts": ts})
        assert served.post(body)[0] == 200
    posts = served.mock.of("chat.postMessage")
    assert len(posts) == 2
    for call in posts:
        wire = json.dumps({k: call.args.get(k) for k in ("text", "blocks")})
        assert not [p for p in LIVE_PINGS if p in wire], wire[:500]
        assert "<!" not in call.args["text"]
    served.assert_no_errors()


# Display names from users.info with any code point: lone surrogates, NULs, bidi controls. One lone
# surrogate in a name made every message of that person fail (the store cannot encode it).
display_names = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.sampled_from(["\ud800", "Ann \udfff", "\ud83d\ude00\ud83d", "\x00", "\u202e\u200b", " ", ""]))


def test_display_names_with_any_code_point(served: Served) -> None:
    users = iter(range(10**6))

    @FUZZ
    @given(display_names)
    def run(name: str) -> None:
        n = next(users)  # a fresh person in a fresh DM each time: names are cached per user, lists per DM
        user, dm = f"U9{n:06d}", f"D9{n:06d}"
        served.mock.display_names[user] = name
        before = len(served.mock.of("chat.postMessage"))
        body = event_body(T1.team_id, {"type": "message", "channel_type": "im", "channel": dm, "user": user,
                                       "ts": message_ts(), "text": "recommend a sci-fi movie"})
        assert served.post(body)[0] == 200
        calls = served.mock.of("chat.postMessage")
        assert len(calls) == before + 1 and calls[-1].args.get("blocks"), calls[-1].args.get("text")
        row = served.run(served.app.store.db.fetchone("SELECT display_name FROM users WHERE user_id = ?", (user,)))
        assert row is not None and (row[0] is None or row[0].encode("utf-8"))
        served.assert_no_errors()

    run()


# ---- the parsing and rendering functions, directly -------------------------------------------------

@settings(max_examples=examples(200), deadline=None)
@given(st.one_of(st.binary(max_size=200), junk.map(lambda j: json.dumps(j).encode()),
                 event_callbacks().map(lambda b: json.dumps(b).encode()),
                 block_actions().map(lambda p: urlencode({"payload": json.dumps(p)}).encode()), slash_bodies()),
       content_types)
def test_check_payload_accepts_a_mapping_or_names_the_problem(body: bytes, content_type: str | None) -> None:
    parsed, problem = check_payload(body, content_type)
    assert (parsed is None) != (problem is None)
    if problem is not None:
        assert isinstance(problem, str) and problem and len(problem) < 200
    else:
        assert isinstance(parsed, dict)


@settings(max_examples=examples(60), deadline=None)
@given(any_text, st.sampled_from([None, "UBOT1", "U123"]))
def test_clean_incoming_never_raises_and_leaves_no_special_mention(text: str, bot: str | None) -> None:
    cleaned = clean_incoming(text, bot)
    assert isinstance(mentions(text, bot), bool)
    assert not any(p in cleaned for p in ("<!here>", "<!channel>", "<!everyone>"))
    if bot:
        assert f"<@{bot}>" not in cleaned


@settings(max_examples=examples(200), deadline=None)
@given(st.one_of(action_ids, st.text(max_size=300)))
def test_parse_button_id_round_trips_or_refuses(value: str) -> None:
    parsed = parse_button_id(value)
    if parsed is not None:
        action, rec_id, item_id = parsed
        assert isinstance(action, ButtonAction) and rec_id and item_id and ":" not in rec_id
        assert button_id(action, rec_id, item_id) == value


item_views = st.builds(ItemView, item_id=st.text(min_size=1, max_size=300), title=any_text,
                       year=st.one_of(st.none(), st.integers(-10**6, 10**6)), reason=any_text,
                       creator=st.one_of(st.none(), st.text(max_size=500)))


@settings(max_examples=examples(60), deadline=None)
@given(st.builds(Reply, text=any_text, items=st.lists(item_views, max_size=30).map(tuple),
                 rec_id=st.one_of(st.none(), st.text(alphabet="0123456789abcdef", min_size=1, max_size=32)),
                 buttons=st.booleans()))
def test_render_reply_respects_block_kit_limits_and_pings_nobody(reply: Reply) -> None:
    text, blocks = render_reply(reply)
    assert 0 < len(text) <= 40_000
    wire = json.dumps({"text": text, "blocks": blocks})
    assert not [p for p in LIVE_PINGS if p in wire]
    for block in blocks or []:
        assert len(blocks or []) <= 50
        if block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= 3000
        assert len(block.get("block_id", "")) <= 255
        for element in block.get("elements", []):
            assert len(element["action_id"]) <= 255
            assert parse_button_id(element["action_id"]) is not None  # every button can be read back



# ---- regressions: each of these failed before the fix named in its comment -------------------------

def test_bodies_bolt_choked_on_are_refused_with_400(served: Served) -> None:
    """Each was a 500 (a traceback in aiohttp or bolt): now check_payload refuses it first."""
    event = json.loads(event_body(T1.team_id, {"type": "app_mention", "user": "U100", "channel": "C100",
                                               "ts": message_ts(), "text": "hi"}))
    cases: list[tuple[bytes, str]] = [
        (b"{", JSON_CT), (b"[]", JSON_CT), (b"null", JSON_CT), (b'"x"', JSON_CT), (b"42", JSON_CT),
        (b"payload=%7B", FORM_CT), (b"payload=null", FORM_CT), (b"payload=%5B%5D", FORM_CT),
        *((json.dumps({**event, **change}).encode(), JSON_CT) for change in (
            {"event": "x"}, {"team_id": ["T0000001"]}, {"view": None}, {"authorizations": ["x"]},
            {"user": 5}, {"event": {**event["event"], "ts": "soon"}}, {"event": {**event["event"], "user": "x y"}})),
        (urlencode({"payload": json.dumps({**button_payload("rb:like:r:i"), "user": "U100"})}).encode(), FORM_CT),
        (urlencode({"payload": json.dumps({**button_payload("rb:like:r:i"), "response_url": "0"})}).encode(),
         FORM_CT),
    ]
    for body, content_type in cases:
        status, text = served.post(body, content_type)
        assert status == 400 and "malformed" in text, (body[:120], status, text)
    # what bolt is still given, it still answers: Slack's URL check wants its challenge back
    assert served.post(json.dumps({"type": "url_verification", "challenge": "c-123"}).encode()) == (
        200, json.dumps({"challenge": "c-123"}))
    served.assert_no_errors()
    served.assert_still_serving()


def test_several_response_urls_do_not_crash_bolt(served: Served) -> None:
    """Bolt logged through a context logger it had not set yet (KeyError: 'logger' -> 500)."""
    urls = [{"response_url": served.mock.response_url(), "channel_id": c} for c in ("C1", "C2")]
    body = {"type": "view_submission", "team": {"id": T1.team_id}, "user": {"id": "U100"},
            "view": {"type": "modal", "callback_id": "x"}, "response_urls": urls}
    status, _ = served.post(urlencode({"payload": json.dumps(body)}).encode(), FORM_CT)
    assert status < 500
    served.assert_no_errors()


def test_an_event_without_a_team_but_with_a_user_id_is_answered(served: Served) -> None:
    """The tenant lookup called .get on the top-level "user", which is an id string in events."""
    body = {"type": "event_callback", "event_id": "EvNoTeam1", "user": "U100",
            "event": {"type": "message", "channel_type": "im", "user": "U100", "channel": "D100",
                      "ts": message_ts(), "text": "recommend a sci-fi movie"}}
    assert served.post(json.dumps(body).encode())[0] == 200
    served.assert_no_errors()
    assert [c.args["channel"] for c in served.mock.of("chat.postMessage")] == ["D100"]


def test_a_slash_command_that_says_payload_is_answered(served: Served) -> None:
    """Bolt's form parser took any body containing "payload" for interactivity and dropped the command."""
    fields = {"command": "/recommend", "text": "sci-fi movies with a payload", "team_id": T1.team_id,
              "channel_id": "C100", "channel_name": "payload-team", "user_id": "U100", "user_name": "ann",
              "trigger_id": f"trig.{message_ts()}", "response_url": served.mock.response_url()}
    assert served.post(urlencode(fields).encode(), FORM_CT) == (200, "")
    served.assert_no_errors()
    [posted] = served.mock.of("chat.postMessage")
    assert posted.args["channel"] == "C100" and posted.args["blocks"]


def test_a_100k_character_mention_is_answered(served: Served) -> None:
    """clean_incoming's link/mention patterns were quadratic on unclosed tokens: a 40k-character
    "<@UA|" run blocked the event loop for about 12 s before, 100k for minutes."""
    for unit in ("<@UA|", "<http:", "<!here|"):
        ts = message_ts()
        text = f"<@{T1.bot_user_id}> recommend a sci-fi movie " + unit * (100_000 // len(unit))
        body = event_body(T1.team_id, {"type": "app_mention", "user": "U100", "channel": "C100", "ts": ts,
                                       "text": text, "event_ts": ts})
        assert served.post(body)[0] == 200
    assert len(served.mock.of("chat.postMessage")) == 3
    served.assert_no_errors()


def test_slack_tokens_never_span_a_less_than_sign() -> None:
    """What keeps the patterns linear: a token ends before the next "<" (Slack escapes a literal one)."""
    assert clean_incoming("<!here|<!here|x>", None) == "<!here|@here"
    assert clean_incoming("<@UA|<@UB>", "UB") == "<@UA|"
    assert clean_incoming("<http://a|<http://b|label>", None) == "<http://a|label"
    assert clean_incoming("see <https://x.test|the site> and <#C1|general>", None) == "see the site and #general"


def test_real_slack_payload_shapes_pass_the_check() -> None:
    """The check must not refuse what Slack really sends: nulls, rich-text blocks, App Home views."""
    event = {
        "token": "x", "team_id": "T0001", "context_team_id": "T0001", "context_enterprise_id": None,
        "api_app_id": "A0001", "type": "event_callback", "event_id": "Ev0001", "event_time": 1700000000,
        "is_ext_shared_channel": False, "event_context": "4-eyJldCI6ImFwcF9tZW50aW9uIn0",
        "authorizations": [{"enterprise_id": None, "team_id": "T0001", "user_id": "UBOT1", "is_bot": True,
                            "is_enterprise_install": False}],
        "event": {"client_msg_id": "c1", "type": "app_mention", "text": "<@UBOT1> hi <!here>", "user": "U0001",
                  "ts": "1700000000.000100", "team": "T0001", "channel": "C0001", "event_ts": "1700000000.000100",
                  "blocks": [{"type": "rich_text", "block_id": "b1", "elements": [{"type": "rich_text_section",
                              "elements": [{"type": "user", "user_id": "UBOT1"}, {"type": "text", "text": " hi "},
                                           {"type": "broadcast", "range": "here"},
                                           {"type": "date", "timestamp": 1700000000}]}]}]},
    }
    home_press = {
        "type": "block_actions", "user": {"id": "U0001", "username": "ann", "name": "ann", "team_id": "T0001"},
        "api_app_id": "A0001", "token": "x", "trigger_id": "1.2.abc", "enterprise": None,
        "is_enterprise_install": False, "team": {"id": "T0001", "domain": "one"},
        "container": {"type": "view", "view_id": "V0001"},
        "view": {"id": "V0001", "team_id": "T0001", "type": "home", "private_metadata": "", "callback_id": "",
                 "blocks": [{"type": "actions", "block_id": "home_actions", "elements": [
                     {"type": "button", "action_id": "rb_home:forget", "text": {"type": "plain_text", "text": "x"}}]}],
                 "title": {"type": "plain_text", "text": "Home"}, "close": None, "submit": None,
                 "previous_view_id": None, "root_view_id": "V0001", "app_id": "A0001", "external_id": "",
                 "app_installed_team_id": "T0001", "bot_id": "B0001"},
        "actions": [{"action_id": "rb_home:forget", "block_id": "home_actions", "type": "button",
                     "value": "forget", "action_ts": "1700000000.1"}],
    }
    slash = {"token": "x", "team_id": "T0001", "team_domain": "one", "channel_id": "C0001",
             "channel_name": "payload-team", "user_id": "U0001", "user_name": "ann", "command": "/recommend",
             "text": "a payload of films", "api_app_id": "A0001", "is_enterprise_install": "false",
             "response_url": "https://hooks.slack.com/commands/T0001/1/abc", "trigger_id": "1.2.abc"}
    for body, content_type in ((json.dumps(event).encode(), JSON_CT),
                               (urlencode({"payload": json.dumps(home_press)}).encode(), FORM_CT),
                               (urlencode(slash).encode(), FORM_CT), (b"ssl_check=1&token=x", FORM_CT)):
        parsed, problem = check_payload(body, content_type)
        assert problem is None and parsed is not None, problem
