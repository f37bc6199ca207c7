"""Parse and shape-check a signed Slack HTTP request body before slack-bolt sees it.

slack-bolt trusts Slack's schema: it indexes, iterates and calls ``.get`` on fields without checking their
types, and so do our listeners. A body that is signed but malformed (invalid JSON, a JSON list,
``"event": "x"``, ``"team_id": [..]``, ``"view": null``) used to raise inside bolt and come back as HTTP
500, or raise in a listener and be logged as a crash. Here such a body is refused with a short reason
(the caller answers 400), naming only our own key names, never the content.

We also parse the body ourselves because bolt's form parsing treats any body that merely *contains* the
text "payload" as an interactivity payload: a slash command typed as ``/recommend payload`` (or sent
from a channel whose name contains it) was parsed as an empty request and silently dropped.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

Payload = dict[str, Any]

# Keys bolt or our listeners read, by the shape they must have wherever they appear (bolt looks for
# them at the top level and again inside "event", "authorizations"[0], "message", "item"...). Strings
# may be null (Slack sends "enterprise_id": null in authorizations, for one); where a listener needs a
# value, _check_kind asks for it.
_STRINGS = frozenset({
    "type", "subtype", "team_id", "enterprise_id", "user_id", "channel_id", "event_id", "api_app_id", "ts",
    "event_ts", "thread_ts", "message_ts", "channel_type", "tab", "reaction", "item_user", "parent_user_id",
    "bot_id", "command", "trigger_id", "response_url", "action_id", "action_ts", "block_id", "username",
    "user_name", "callback_id", "app_installed_team_id", "user_team", "context_team_id", "context_enterprise_id",
    "function_execution_id", "bot_access_token", "challenge",
})
_ID_OR_OBJECT = frozenset({"team", "enterprise", "user", "channel"})  # "T01", or {"id": "T01", ...}, or null
_OBJECTS = frozenset({"event", "item", "message", "previous_message", "view", "container", "assistant_thread",
                      "function_data", "bot_profile"})
_LISTS_OF_OBJECTS = frozenset({"authorizations", "response_urls", "actions", "blocks", "elements"})
_MAX_DEPTH = 12
# Slack ids (T…, U…, W…, C…, D…, G…, E…): what becomes a tenant, channel or user of a core event, and what
# the adapter sends back to the Web API (users.info?user=…), must look like one.
_SLACK_ID = re.compile(r"[A-Z0-9]{1,40}")
_HANDLED_EVENTS = frozenset({"app_mention", "message", "reaction_added", "reaction_removed", "app_home_opened"})


class Malformed(ValueError):
    """A body that is not a Slack payload; the message names what is wrong, not what was sent."""


def check_payload(body: bytes, content_type: str | None) -> tuple[Payload | None, str | None]:
    """(payload, None) for a body bolt and our listeners can handle, else (None, reason)."""
    try:
        payload = _parse(body, content_type)
        _check_shape(payload, "body", 0)
        _check_kind(payload)
    except Malformed as err:
        return None, str(err)
    return payload, None


def _parse(body: bytes, content_type: str | None) -> Payload:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Malformed("body is not UTF-8") from err
    if not text.strip():
        return {}
    try:
        # Same choice as Slack makes: the Events API sends JSON, commands and interactivity send a form.
        if content_type == "application/json" or text.lstrip().startswith("{"):
            parsed: Any = json.loads(text)
        else:
            form = {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
            parsed = json.loads(form["payload"]) if "payload" in form else form
    except ValueError as err:  # JSONDecodeError included
        raise Malformed("body is not valid JSON") from err
    except RecursionError as err:
        raise Malformed("body is nested too deeply") from err
    if not isinstance(parsed, dict):
        raise Malformed("body is not a JSON object")
    return parsed


def _check_shape(obj: Mapping[str, Any], where: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise Malformed(f"{where} is nested too deeply")
    for key in _STRINGS & obj.keys():
        if not isinstance(obj[key], str | None):
            raise Malformed(f"{where}.{key} is not a string")
    if isinstance(obj.get("response_url"), str) and not _is_web_url(obj["response_url"]):
        raise Malformed(f"{where}.response_url is not a URL")  # the adapter would POST the reply there
    if not isinstance(obj.get("text"), str | dict | None):  # a string, or a Block Kit text object
        raise Malformed(f"{where}.text is neither a string nor a text object")
    for key in _ID_OR_OBJECT & obj.keys():
        value = obj[key]
        if isinstance(value, dict):
            if not isinstance(value.get("id"), str | None):
                raise Malformed(f"{where}.{key}.id is not a string")
            _check_shape(value, f"{where}.{key}", depth + 1)
        elif value is not None and not isinstance(value, str):
            raise Malformed(f"{where}.{key} is neither an id nor an object")
    for key in _OBJECTS & obj.keys():
        if not isinstance(obj[key], dict):
            raise Malformed(f"{where}.{key} is not an object")
        _check_shape(obj[key], f"{where}.{key}", depth + 1)
    for key in _LISTS_OF_OBJECTS & obj.keys():
        value = obj[key]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise Malformed(f"{where}.{key} is not a list of objects")
        for v in value:
            _check_shape(v, f"{where}.{key}[]", depth + 1)


def _is_web_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("https", "http") and bool(parts.hostname) and value.isascii() and value.isprintable()


def _require(obj: Mapping[str, Any], where: str, *keys: str) -> None:
    for key in keys:
        if not isinstance(obj.get(key), str) or not obj[key]:
            raise Malformed(f"{where}.{key} is missing")


def _ids(obj: Mapping[str, Any], where: str, *keys: str) -> None:
    for key in keys:
        if key in obj and obj[key] is not None and not _SLACK_ID.fullmatch(str(obj[key])):
            raise Malformed(f"{where}.{key} is not a Slack id")


def _timestamp(obj: Mapping[str, Any], where: str, key: str) -> None:
    _require(obj, where, key)
    try:
        ok = math.isfinite(float(obj[key]))
    except ValueError:
        ok = False
    if not ok:
        raise Malformed(f"{where}.{key} is not a timestamp")


def _check_kind(payload: Payload) -> None:
    """What our listeners read unconditionally, for the kinds of request they handle."""
    kind = payload.get("type")
    _ids(payload, "body", "team_id")
    if isinstance(payload.get("team"), dict):
        _ids(payload["team"], "body.team", "id")
    if kind == "event_callback" and isinstance(payload.get("event"), dict):
        _require(payload, "body", "event_id")
        event = payload["event"]
        _require(event, "event", "type")
        if event["type"] in _HANDLED_EVENTS:
            for key in ("user", "text"):
                if key in event and not isinstance(event[key], str):
                    raise Malformed(f"event.{key} is not a string")
            _ids(event, "event", "user", "channel", "item_user")
        if event["type"] in ("app_mention", "message"):
            _require(event, "event", "channel")
            _timestamp(event, "event", "ts")
        elif event["type"] in ("reaction_added", "reaction_removed") and isinstance(event.get("item"), dict):
            if event["item"].get("type") == "message":
                _require(event["item"], "event.item", "channel")
                _ids(event["item"], "event.item", "channel")
                _timestamp(event["item"], "event.item", "ts")
    elif kind == "block_actions":
        if not isinstance(payload.get("user"), dict):
            raise Malformed("body.user is not an object")
        _require(payload["user"], "body.user", "id")
        _ids(payload["user"], "body.user", "id")
        if isinstance(payload.get("channel"), dict):
            _ids(payload["channel"], "body.channel", "id")
        if isinstance(payload.get("container"), dict):
            _ids(payload["container"], "body.container", "channel_id")
        if not payload.get("actions"):
            raise Malformed("body.actions is missing")
        _require(payload["actions"][0], "body.actions[]", "action_id")
    elif kind is None and "command" in payload:  # a slash command (form fields are always strings)
        _require(payload, "body", "command", "channel_id", "user_id")
        _ids(payload, "body", "channel_id", "user_id")
        if not isinstance(payload.get("text", ""), str):
            raise Malformed("body.text is not a string")
