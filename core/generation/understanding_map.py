"""Maps a model's RequestReading onto the core's Understanding, filling only fields that exist there.

The rule-based parser stays the base: the model adds what the parser left empty (it never overrides a
slot the parser found, never changes the intent), and only with values the catalog knows: genres/tags from
the catalog's vocabulary, titles that resolve to catalog items. Fields are looked up by name, so this keeps
working while Understanding grows (another part of the code owns it).
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from core.generation.assist import RequestReading
from core.nlu.types import ItemMention, Understanding
from core.recommend.catalog import Catalog
from core.recommend.filters import norm_tag
from core.recommend.titles import normalize_title


class CatalogTerms:
    """The catalog's genre/tag vocabulary and titles, for checking what a model names."""

    def __init__(self, catalog: Catalog) -> None:
        self.tags: dict[str, str] = {}
        self.titles: dict[str, str] = {}
        for it in catalog.items:
            for tag in (*it.genres, *it.tags):
                self.tags.setdefault(norm_tag(tag), tag)
            self.titles.setdefault(normalize_title(it.title), it.item_id)
        self.creators = {(it.creator or "").lower() for it in catalog.items if it.creator}

    def tag(self, word: str) -> str | None:
        return self.tags.get(norm_tag(word))

    def title(self, name: str) -> str | None:
        return self.titles.get(normalize_title(name))

    def creator(self, name: str) -> str | None:
        low = name.strip().lower()
        return name.strip() if low and any(low in c for c in self.creators) else None


def apply_reading(u: Understanding, reading: RequestReading, terms: CatalogTerms) -> Understanding:
    """``u`` with the model's reading added where ``u`` is empty and the catalog knows the value."""
    have = {f.name for f in fields(Understanding)}
    changes: dict[str, Any] = {}

    def fill(name: str, value: Any) -> None:
        if name in have and value not in (None, (), []) and not getattr(u, name):
            changes[name] = value

    fill("genres", tuple(dict.fromkeys(t for g in reading.genres if (t := terms.tag(g)))))
    fill("not_genres", tuple(dict.fromkeys(t for g in reading.not_genres if (t := terms.tag(g)))))
    fill("creators", tuple(dict.fromkeys(c for n in reading.creators if (c := terms.creator(n)))))
    fill("not_creators", tuple(dict.fromkeys(c for n in reading.not_creators if (c := terms.creator(n)))))
    if not (u.year_min or u.year_max):  # a range is one slot: take both ends from the same reader
        fill("year_min", reading.year_min)
        fill("year_max", reading.year_max)
    fill("domain", reading.domain)
    mentions = tuple(ItemMention(iid, t, 100.0, 0.5) for t in reading.liked_titles if (iid := terms.title(t)))
    fill("items", mentions)
    return replace(u, **changes) if changes else u
