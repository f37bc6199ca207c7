"""User-facing text in the user's language.

``t(lang, msgid, **fields)`` looks ``msgid`` (the English text, with ``{field}`` placeholders) up in the
gettext catalog of ``lang`` and formats it. Until a language has a catalog, the English text is used.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"


def t(lang: str | None, msgid: str, **fields: object) -> str:
    """Translate ``msgid`` into ``lang`` and fill its ``{placeholders}`` from ``fields``."""
    text = msgid
    return text.format(**fields) if fields else text
