"""The item catalog: typed items, the bundled demo catalog, and lookups.

The bundled catalog (core/data/*.jsonl) is written by this project. Users add their own with
``recbot catalog import`` (see core/recommend/catalog_import.py); imported files live in the data dir.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Item:
    item_id: str
    title: str
    domain: str = "movie"  # "movie", "book", "product", "course", ...
    year: int | None = None
    creator: str | None = None  # director, author, brand, instructor
    genres: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    description: str = ""
    popularity: float = 0.0  # any non-negative prior; higher is more popular
    # Localized titles as (language, title) pairs, e.g. (("zh", "星际穿越"),), and other names people
    # use for the item (any language). Tuples keep Item hashable and immutable.
    titles: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = ()

    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    def title_in(self, lang: str | None) -> str | None:
        """The title in ``lang`` ("zh", "zh-TW" falls back to "zh"), or None when there is none."""
        if not lang or lang == "en":
            return None
        found = dict(self.titles)
        return found.get(lang) or found.get(lang.split("-")[0])

    def display_title(self, lang: str | None) -> str:
        """What a list shows: "星际穿越 Interstellar" for a Chinese reader, the title alone otherwise.
        The English title stays in the line so the list remains parseable and unambiguous."""
        local = self.title_in(lang)
        return f"{local} {self.title}" if local and local != self.title else self.title

    def text_for_index(self) -> str:
        parts = [self.title, self.creator or "", ", ".join(self.genres), ", ".join(self.tags), self.description]
        return ". ".join(p for p in parts if p)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.item_id,
            "title": self.title,
            "domain": self.domain,
            "year": self.year,
            "creator": self.creator,
            "genres": list(self.genres),
            "tags": list(self.tags),
            "description": self.description,
            "popularity": self.popularity,
            **({"titles": dict(self.titles)} if self.titles else {}),
            **({"aliases": list(self.aliases)} if self.aliases else {}),
        }

    @classmethod
    def from_json(cls, d: dict[str, object]) -> Item:
        year = d.get("year")
        return cls(
            item_id=str(d["id"]),
            title=str(d["title"]),
            domain=str(d.get("domain") or "movie"),
            year=int(year) if year not in (None, "") else None,  # type: ignore[arg-type]
            creator=(str(d["creator"]) if d.get("creator") else None),
            genres=tuple(str(g).lower() for g in (d.get("genres") or [])),  # type: ignore[union-attr]
            tags=tuple(str(t).lower() for t in (d.get("tags") or [])),  # type: ignore[union-attr]
            description=str(d.get("description") or ""),
            popularity=float(d.get("popularity") or 0.0),  # type: ignore[arg-type]
            titles=parse_titles(d.get("titles")),
            aliases=parse_aliases(d.get("aliases")),
        )


LANG_CODE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z]{2,4})?$")


def parse_titles(value: object) -> tuple[tuple[str, str], ...]:
    """``{"zh": "星际穿越", "es": "Interestelar"}`` -> sorted pairs; a clear error for anything else."""
    if value in (None, "", {}):
        return ()
    if not isinstance(value, dict):
        raise ValueError("titles must be an object of language code -> title")
    out: list[tuple[str, str]] = []
    for lang, title in value.items():
        if not isinstance(lang, str) or not LANG_CODE.match(lang):
            raise ValueError(f"titles: {str(lang)[:20]!r} is not a language code like 'zh' or 'zh-TW'")
        if not isinstance(title, str) or not title.strip():
            raise ValueError(f"titles.{lang} must be a non-empty string")
        if len(title) > 300:
            raise ValueError(f"titles.{lang} is longer than 300 characters")
        out.append((lang, title.strip()))
    return tuple(sorted(out))


def parse_aliases(value: object) -> tuple[str, ...]:
    if value in (None, "", []):
        return ()
    if isinstance(value, str):
        value = [v for v in re.split(r"[|;]", value)]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("aliases must be a list of strings")
    out = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    if any(len(v) > 300 for v in out):
        raise ValueError("an alias is longer than 300 characters")
    return out


@dataclass
class Catalog:
    """An immutable-by-convention list of items with id lookup and a content version hash."""

    items: list[Item] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_id: dict[str, Item] = {}
        for it in self.items:
            # First definition wins; importers reject duplicate ids, this guards merged sources.
            self.by_id.setdefault(it.item_id, it)
        self.items = list(self.by_id.values())
        self.index_of: dict[str, int] = {it.item_id: i for i, it in enumerate(self.items)}

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def get(self, item_id: str) -> Item | None:
        return self.by_id.get(item_id)

    @property
    def domains(self) -> list[str]:
        return sorted({it.domain for it in self.items})


    def tag_vocabulary(self) -> list[str]:
        return sorted({t for it in self.items for t in (*it.genres, *it.tags)})

    def version(self) -> str:
        """A stable hash of the content; caches (embeddings, CF) are keyed by it."""
        h = hashlib.sha256()
        for it in self.items:
            h.update(json.dumps(it.to_json(), sort_keys=True).encode())
        return h.hexdigest()[:16]


def read_jsonl_items(lines: Iterable[str]) -> list[Item]:
    return [Item.from_json(json.loads(line)) for line in lines if line.strip()]


def bundled_catalog() -> Catalog:
    items: list[Item] = []
    data = resources.files("core") / "data"
    for name in sorted(p.name for p in data.iterdir() if p.name.endswith(".jsonl")):
        items.extend(read_jsonl_items((data / name).read_text(encoding="utf-8").splitlines()))
    return Catalog(items)


def load_catalog(include_bundled: bool, extra_files: Iterable[Path]) -> Catalog:
    items: list[Item] = list(bundled_catalog().items) if include_bundled else []
    for path in extra_files:
        items.extend(read_jsonl_items(path.read_text(encoding="utf-8").splitlines()))
    return Catalog(items)
