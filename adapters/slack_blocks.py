"""Block Kit rendering and Slack text conventions for the Slack adapter.

Pure functions (no I/O) so the layouts can be unit-tested without a server. Slack limits that shape
this code: 50 blocks per message, 3000 characters per section text, 255 characters per action_id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from core.events import ButtonAction, ItemView, Reply
from core.ports import UserSummary

Block = dict[str, Any]

BUTTON_PREFIX = "rb"
HOME_FORGET_ACTION = "rb_home:forget"
# Each item costs two blocks (section + actions) and the intro one; 20 items stay far below 50 blocks.
MAX_ITEMS = 20
_SECTION_LIMIT = 3000
_ACTION_ID_LIMIT = 255
_BUTTON_LABELS: dict[ButtonAction, tuple[str, str | None]] = {
    ButtonAction.LIKE: ("👍", "primary"),
    ButtonAction.DISLIKE: ("👎", None),
    ButtonAction.MORE_LIKE: ("More like this", None),
}
_FEEDBACK_MARK = {ButtonAction.LIKE: "👍", ButtonAction.DISLIKE: "👎", ButtonAction.MORE_LIKE: "➕"}

# No "<" inside a token (Slack sends a literal one as &lt;): with [^>] instead of [^<>], an unclosed
# "<@U1|" repeated through a 40k-character message made each match scan to the end: quadratic, 12 s of
# a blocked event loop for one message.
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_CHANNEL_LINK = re.compile(r"<#[CG][A-Z0-9]+\|([^<>]*)>")
_LABELED_LINK = re.compile(r"<((?:https?|mailto):[^|<>]+)\|([^<>]*)>")
_BARE_LINK = re.compile(r"<((?:https?|mailto):[^<>]+)>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^<>]*)?>")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clean_incoming(text: str, bot_user_id: str | None) -> str:
    """Turn Slack's wire format into what a person typed: the bot's own mention removed, links and
    channel references reduced to their labels, HTML entities decoded."""

    def _mention(m: re.Match[str]) -> str:
        return "" if bot_user_id and m.group(1) == bot_user_id else m.group(0)

    text = _USER_MENTION.sub(_mention, text)
    text = _CHANNEL_LINK.sub(lambda m: f"#{m.group(1)}", text)
    text = _LABELED_LINK.sub(lambda m: m.group(2), text)
    text = _BARE_LINK.sub(lambda m: m.group(1), text)
    text = _SPECIAL.sub(lambda m: f"@{m.group(1)}", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


def mentions(text: str, user_id: str | None) -> bool:
    return bool(user_id) and any(m.group(1) == user_id for m in _USER_MENTION.finditer(text))


def button_id(action: ButtonAction, rec_id: str, item_id: str) -> str:
    return f"{BUTTON_PREFIX}:{action.value}:{rec_id}:{item_id}"


def parse_button_id(value: str) -> tuple[ButtonAction, str, str] | None:
    """``rb:<action>:<rec_id>:<item_id>`` -> parts; item ids may themselves contain colons."""
    parts = value.split(":", 3)
    if len(parts) != 4 or parts[0] != BUTTON_PREFIX or not parts[2] or not parts[3]:
        return None
    try:
        return ButtonAction(parts[1]), parts[2], parts[3]
    except ValueError:
        return None


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _item_text(item: ItemView) -> str:
    title = f"*{escape(item.title)}*"
    if item.year:
        title += f" ({item.year})"
    if item.creator:
        title += f" · _{escape(item.creator)}_"
    body = f"{title}\n{escape(item.reason)}" if item.reason else title
    return _truncate(body, _SECTION_LIMIT)


def _intro(reply: Reply) -> str:
    """The prose before the item list. The core's plain text is the prose followed by the numbered
    list (core.render.compose), so cut at the first item's line; when that line is missing keep only the
    first line, so the items are not shown twice."""
    if not reply.items:
        return reply.text
    at = reply.text.find(f"1. {reply.items[0].label()}")
    return (reply.text[:at] if at >= 0 else reply.text.split("\n", 1)[0]).strip()


def item_blocks(item: ItemView, rec_id: str | None, with_buttons: bool) -> list[Block]:
    blocks: list[Block] = [
        {"type": "section", "block_id": _block_id("item", item.item_id),
         "text": {"type": "mrkdwn", "text": _item_text(item)}},
    ]
    if with_buttons and rec_id:
        elements = []
        for action, (label, style) in _BUTTON_LABELS.items():
            aid = button_id(action, rec_id, item.item_id)
            if len(aid) > _ACTION_ID_LIMIT:  # ids this long cannot round-trip; show the item without buttons
                return blocks
            button: Block = {"type": "button", "text": {"type": "plain_text", "text": label, "emoji": True},
                             "action_id": aid, "value": aid}
            if style:
                button["style"] = style
            elements.append(button)
        blocks.append({"type": "actions", "block_id": _block_id("act", item.item_id), "elements": elements})
    return blocks


def _block_id(kind: str, item_id: str) -> str:
    return _truncate(f"{kind}:{item_id}", _ACTION_ID_LIMIT)


def render_reply(reply: Reply) -> tuple[str, list[Block] | None]:
    """(fallback text, blocks). Text is always set: it is what notifications and old clients show."""
    text = _truncate(escape(reply.text), 39_000) or " "
    if not reply.items:
        return text, None
    blocks: list[Block] = []
    intro = _intro(reply)
    if intro:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _truncate(escape(intro), _SECTION_LIMIT)}})
    for item in reply.items[:MAX_ITEMS]:
        blocks.extend(item_blocks(item, reply.rec_id, reply.buttons))
    return text, blocks


def with_feedback(blocks: Sequence[Block], item_id: str, user: str, action: ButtonAction) -> list[Block]:
    """Copy of a posted message's blocks with ``user``'s latest feedback on ``item_id`` shown in a
    context line under the item. The buttons stay: in a channel several people rate the same list."""
    mark = f"{_FEEDBACK_MARK[action]} <@{user}>"
    fb_id = _block_id("fb", item_id)
    out: list[Block] = []
    existing: list[Block] = []
    for block in blocks:
        if block.get("block_id") == fb_id:
            existing = [e for e in block.get("elements", []) if f"<@{user}>" not in e.get("text", "")]
            continue
        out.append(dict(block))
    elements = ([*existing, {"type": "mrkdwn", "text": mark}])[-10:]  # Slack allows 10 context elements
    context = {"type": "context", "block_id": fb_id, "elements": elements}
    anchor = next((i for i, b in enumerate(out) if b.get("block_id") == _block_id("act", item_id)), None)
    if anchor is None:
        anchor = next((i for i, b in enumerate(out) if b.get("block_id") == _block_id("item", item_id)), None)
    if anchor is None:
        out.append(context)
    else:
        out.insert(anchor + 1, context)
    return out


def _bullets(title: str, entries: Sequence[str], empty: str) -> Block:
    body = "\n".join(f"• {escape(e)}" for e in entries[:25]) if entries else f"_{empty}_"
    return {"type": "section", "text": {"type": "mrkdwn", "text": _truncate(f"*{title}*\n{body}", _SECTION_LIMIT)}}


def home_view(summary: UserSummary) -> Block:
    """The App Home tab: what the bot has learned about this person, and a way to erase it."""
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Your recommendations profile"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text":
                "Mention me, DM me or use `/recommend` to get picks. Rate them with 👍 / 👎."}]},
            _bullets("You like", summary.likes, "nothing yet"),
            _bullets("You dislike", summary.dislikes, "nothing yet"),
            _bullets("Digest subscriptions", summary.subscriptions, "none — try `/digest subscribe`"),
            {"type": "divider"},
            {"type": "actions", "block_id": "home_actions", "elements": [{
                "type": "button", "style": "danger", "action_id": HOME_FORGET_ACTION, "value": "forget",
                "text": {"type": "plain_text", "text": "Forget me"},
                "confirm": {
                    "title": {"type": "plain_text", "text": "Forget everything?"},
                    "text": {"type": "mrkdwn", "text": "This deletes your likes, dislikes and subscriptions."},
                    "confirm": {"type": "plain_text", "text": "Forget me"},
                    "deny": {"type": "plain_text", "text": "Cancel"},
                },
            }]},
        ],
    }
