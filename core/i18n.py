"""User-facing text in the user's language.

``t(lang, msgid, **fields)`` looks ``msgid`` (the English text, with ``{field}`` placeholders) up in
the gettext catalog of ``lang`` and formats it. Catalogs are standard gettext: the sources are
``core/locale/<lang>/LC_MESSAGES/recbot.po``, compiled with Babel (``make i18n``) into the ``.mo``
files next to them, which ship as package data. A language without a catalog, or a message its
catalog lacks, reads in English. ``tag(lang, name)`` names a catalog tag or genre ("sci-fi") in the
language (msgctxt "tag" in the same catalogs).
"""

from __future__ import annotations

import gettext
import logging
import threading
from importlib import resources

DEFAULT_LANGUAGE = "en"
DOMAIN = "recbot"
LANGUAGES = ("en", "zh", "es", "de", "fr", "ja")  # the ones with catalogs (English is the msgids)
TAG_CONTEXT = "tag"

log = logging.getLogger("recbot.i18n")
_cache: dict[str, gettext.NullTranslations] = {}
_lock = threading.Lock()


def _localedir() -> str:
    return str(resources.files("core") / "locale")


def normalize(lang: str | None) -> str:
    """"zh-TW" / "zh_Hant" / "ZH" -> "zh"; unknown or empty -> "en"."""
    base = (lang or "").replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def translations(lang: str | None) -> gettext.NullTranslations:
    code = normalize(lang)
    with _lock:
        found = _cache.get(code)
        if found is None:
            found = (gettext.NullTranslations() if code == DEFAULT_LANGUAGE else
                     gettext.translation(DOMAIN, _localedir(), languages=[code], fallback=True))
            _cache[code] = found
        return found


def t(lang: str | None, msgid: str, **fields: object) -> str:
    """Translate ``msgid`` into ``lang`` and fill its ``{placeholders}`` from ``fields``."""
    text = translations(lang).gettext(msgid)
    if not fields:
        return text
    try:
        return text.format(**fields)
    except (KeyError, IndexError, ValueError):
        # A translation whose placeholders drifted from the msgid: the English text, never a crash.
        log.warning("translation of %r into %s has bad placeholders; using English", msgid[:40], lang)
        return msgid.format(**fields)


def tag(lang: str | None, name: str) -> str:
    """A tag or genre name in ``lang`` ("sci-fi" -> "科幻"); the name itself when not translated."""
    return translations(lang).pgettext(TAG_CONTEXT, name)


def join(lang: str | None, words: list[str]) -> str:
    """A list as the language writes it: "a, b and c" / "a、b和c"."""
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return t(lang, "{items} and {last}", items=t(lang, ", ").join(words[:-1]), last=words[-1])


__all__ = ["t", "tag", "join", "normalize", "translations", "LANGUAGES", "DEFAULT_LANGUAGE"]
