"""Text hygiene shared by every reply: clean input, defuse pings, render item lists as plain text."""

from __future__ import annotations

import re
import unicodedata

from core.events import ItemView

MAX_INPUT_CHARS = 2000
MAX_REPLY_CHARS = 1900  # fits Discord's 2,000-character content limit with room for a footer

# Case-insensitive: clients differ on "@Everyone", and a defused word costs nothing.
_PING = re.compile(r"@(everyone|here|channel)\b|<[@#!][^>\s]{1,40}>|<!(everyone|here|channel)[^<>]*>",
                   re.IGNORECASE)


def clean_input(text: str) -> tuple[str, bool]:
    """Drop control/format characters (keep newlines and tabs), trim, cap the length.

    Returns (text, truncated).
    """
    kept = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C"
    )
    kept = re.sub(r"[ \t]+", " ", kept).strip()
    if len(kept) > MAX_INPUT_CHARS:
        return kept[:MAX_INPUT_CHARS], True
    return kept, False


def defuse(text: str) -> str:
    """Neutralize anything that would ping people or channels on Discord/Slack."""
    return _PING.sub(lambda m: m.group(0).replace("@", "@\u200b").replace("<", "‹").replace(">", "›"), text)


def item_lines(items: tuple[ItemView, ...] | list[ItemView]) -> str:
    return "\n".join(f"{n}. {it.label()} — {it.reason}" for n, it in enumerate(items, 1))


def compose(prose: str, items: tuple[ItemView, ...] | list[ItemView] = (), footer: str = "") -> str:
    parts = [defuse(prose.strip())] if prose.strip() else []
    if items:
        parts.append(item_lines(items))
    if footer:
        parts.append(footer)
    text = "\n".join(parts)
    return text if len(text) <= MAX_REPLY_CHARS else text[: MAX_REPLY_CHARS - 1] + "…"
