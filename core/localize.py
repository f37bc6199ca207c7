"""The parts of a recommendation reply that are built from data, in the user's language.

English stays exactly as the recommender and ``Constraints.describe`` write it. For another
language the same facts are said again from the catalog: the item's tags and genre through the
translated tag names, "because you liked X" through the catalog's message ids, the constraints of
the request as translated genre names, years and the domain. Nothing here is free text: every
word is either a catalog message or a fact of the item.
"""

from __future__ import annotations

import re

from core.i18n import join, normalize, t, tag
from core.recommend.catalog import Catalog, Item
from core.recommend.types import Constraints

_BECAUSE = re.compile(r"(you liked|you rated highly|you looked at|you asked for something like) (.+?)"
                      r"(?= and you |$| and you asked)")
_ASKED = re.compile(r"you asked for something (.+)$")
_PLAIN = frozenset({"classic", "award-winning"})
_VERB_MSGID = {
    "you liked": "you liked {title}",
    "you rated highly": "you rated {title} highly",
    "you looked at": "you looked at {title}",
    "you asked for something like": "you asked for something like {title}",
}
_CRITIQUE = re.compile(r"^(more|less) (.+)$")


def title(item: Item, lang: str | None) -> str:
    return item.display_title(normalize(lang))


def label(item: Item, lang: str | None) -> str:
    name = title(item, lang)
    return f"{name} ({item.year})" if item.year else name


def portrait(item: Item, lang: str, reason_en: str) -> str:
    """"一部黑暗、太空科幻片，导演 Ridley Scott": the tags the English reason chose, translated."""
    words = set(reason_en.split(";")[0].lower().replace(",", " ").split())
    chosen = [x for x in item.tags if x not in _PLAIN and (x in words or x.replace("-", " ") in reason_en.lower())]
    chosen = chosen[:2] or [x for x in item.tags if x not in _PLAIN][:2]
    genre = item.genres[0] if item.genres else item.domain
    descr = t(lang, ", ").join(tag(lang, x) for x in chosen)
    what = t(lang, "a {tags} {genre}", tags=descr, genre=tag(lang, genre)) if descr else \
        t(lang, "a {genre}", genre=tag(lang, genre))
    if item.creator:
        person = item.creator.split(",")[0].strip()
        key = "{what} by {person}" if item.domain == "book" else "{what} directed by {person}"
        what = t(lang, key, what=what, person=person)
    return what


def reason(item: Item, reason_en: str, lang: str | None, catalog: Catalog) -> str:
    """The English reason said again in ``lang`` (unchanged for English)."""
    code = normalize(lang)
    if code == "en":
        return reason_en
    text = portrait(item, code, reason_en)
    why: list[str] = []
    tail = reason_en.split("; because ", 1)[1] if "; because " in reason_en else ""
    for m in _BECAUSE.finditer(tail):
        named = _item_by_label(catalog, m.group(2).strip())
        if named is not None:
            why.append(t(code, _VERB_MSGID[m.group(1)], title=label(named, code)))
    if (m := _ASKED.search(tail)) and "something like" not in m.group(0):
        asked = [_critique(code, c) for c in m.group(1).split(" and ")]
        why.append(t(code, "you asked for something {critique}", critique=join(code, asked)))
    if why:
        return t(code, "{portrait}; because {why}", portrait=text, why=join(code, why))
    if reason_en.endswith(", a popular pick to start with"):
        return t(code, "{portrait}, a popular pick to start with", portrait=text)
    return text


def item_reason(catalog: Catalog, item_id: str, reason_en: str | None, lang: str | None) -> str:
    """The reason shown for an item: the recommender's (localized), or a plain one from its genres."""
    it = catalog.get(item_id)
    if it is None:
        return t(lang, "a pick from the catalog")
    if reason_en:
        return reason(it, reason_en, lang, catalog)
    if normalize(lang) == "en":
        return f"a {', '.join(it.genres[:2]) or it.domain} pick"
    return t(lang, "a {genre} pick", genre=tag(lang, (it.genres[:1] or [it.domain])[0]))


def relaxed(note_en: str, constraints: str, lang: str | None) -> str:
    """The recommender's note that it relaxed the filters (English), said in ``lang``: a list that does
    not fit the request must not sit under an intro that says it does."""
    if note_en.startswith("nothing matches"):
        return t(lang, "Nothing matches {constraints}; here is the closest:", constraints=constraints or "—")
    if note_en.startswith("you have seen everything"):
        return t(lang, "You have seen everything that fits; here are the best of them again:")
    return t(lang, "Nothing fits exactly; here is the closest:")


def _critique(lang: str, text: str) -> str:
    m = _CRITIQUE.match(text.strip())
    if not m:
        return tag(lang, text.strip())
    key = "more {quality}" if m.group(1) == "more" else "less {quality}"
    return t(lang, key, quality=tag(lang, m.group(2)))


def _item_by_label(catalog: Catalog, text: str) -> Item | None:
    for it in catalog:
        if it.label() == text:
            return it
    return None


def describe(c: Constraints, lang: str | None) -> str:
    """Constraints.describe() in ``lang``."""
    code = normalize(lang)
    if code == "en":
        return c.describe()
    parts: list[str] = []
    if c.domain:
        parts.append(t(code, {"movie": "movies", "book": "books"}.get(c.domain, c.domain)))
    if c.genres:
        parts.append("/".join(tag(code, g) for g in c.genres))
    if c.not_genres:
        parts.append(t(code, "no {genres}", genres="/".join(tag(code, g) for g in c.not_genres)))
    if c.creators:
        parts.append(t(code, "by {people}", people=" / ".join(c.creators)))
    if c.not_creators:
        parts.append(t(code, "not by {people}", people=" / ".join(c.not_creators)))
    if c.year_min and c.year_max:
        parts.append(f"{c.year_min}–{c.year_max}")
    elif c.year_min:
        parts.append(t(code, "from {year} on", year=c.year_min))
    elif c.year_max:
        parts.append(t(code, "up to {year}", year=c.year_max))
    return t(code, ", ").join(parts)


__all__ = ["title", "label", "reason", "item_reason", "relaxed", "describe", "portrait"]
