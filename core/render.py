"""Text hygiene shared by every reply: clean input, defuse pings, render item lists as plain text."""

from __future__ import annotations

import re
import unicodedata

from core.events import ItemView

MAX_INPUT_CHARS = 2000
MAX_NAME_CHARS = 80
MAX_REPLY_CHARS = 1900  # a reply people still read; each adapter splits or cuts to its own limit too

# Case-insensitive: clients differ on "@Everyone", and a defused word costs nothing.
# A mention in any chat's syntax: "@" before a name, or "<" opening a markup token.
_PING = re.compile(r"[@＠﹫](?=\w)|<(?=\S)")


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


_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD.

    Python keeps argv, environment and login-name bytes that are not UTF-8 as lone surrogates, and JSON
    may carry them as escapes; no store can encode them, so an id holding one failed every message."""
    return _SURROGATE.sub("\ufffd", text)


def clean_name(name: str | None) -> str | None:
    """A display name as it may be stored and shown, or None when nothing is left of it.

    Cleaned like message text (clean_input): a lone surrogate or a control character from a platform
    profile or a login name made the store refuse the name and with it every message of that person.
    Names are one line and short.
    """
    if not name:
        return None
    kept = " ".join(clean_input(name)[0].split())
    return kept[:MAX_NAME_CHARS] or None


def defuse(text: str) -> str:
    """Neutralize anything that could notify people or rooms, whatever the platform: "@name" gets a
    zero-width space after the "@", and a "<" that could open markup becomes "‹" (adapters escape their own
    syntax as well)."""
    return _PING.sub(lambda m: "‹" if m.group(0) == "<" else m.group(0) + "\u200b", text)


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
