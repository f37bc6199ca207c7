"""Reading a user's catalog from CSV, JSONL or MovieLens ``movies.csv``, with an error per bad row.

Validation happens for every row before anything is written: the caller either gets all rows or a
list of (line number, reason) errors, never a partial silent import.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.recommend.catalog import LANG_CODE, Item, parse_aliases, parse_titles

_ML_TITLE = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})(?:[-–]\d{0,4})?\)\s*$")
_ARTICLE = re.compile(r"^(?P<rest>.*), (?P<art>The|A|An|Les|La|Le|Il|El|Die|Das|Der)$")


@dataclass
class ImportResult:
    items: list[Item] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def movielens_title(raw: str) -> tuple[str, int | None]:
    """'Matrix, The (1999)' -> ('The Matrix', 1999)."""
    m = _ML_TITLE.match(raw.strip())
    title, year = (m.group("title"), int(m.group("year"))) if m else (raw.strip(), None)
    # MovieLens also moves articles inside alternative titles: "American President, The"
    if a := _ARTICLE.match(title):
        title = f"{a.group('art')} {a.group('rest')}"
    return title, year


def detect_format(path: Path, head: str) -> str:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return "jsonl"
    first = head.splitlines()[0].strip().lower() if head else ""
    if first.replace(" ", "") == "movieid,title,genres":
        return "movielens"
    return "csv"


def _split_list(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value or "")
    if text in ("(no genres listed)",):
        return []
    return [p.strip() for p in re.split(r"[|;,]", text) if p.strip()]


def _item_from_record(rec: dict[str, object], id_prefix: str) -> Item:
    title = str(rec.get("title") or "").strip()
    if not title:
        raise ValueError("missing title")
    if len(title) > 300:
        raise ValueError("title longer than 300 characters")
    raw_id = str(rec.get("id") or rec.get("item_id") or "").strip()
    if not raw_id:
        raise ValueError("missing id")
    year_raw = rec.get("year")
    year: int | None = None
    if year_raw not in (None, ""):
        try:
            year = int(str(year_raw).strip())
        except ValueError as e:
            raise ValueError(f"year is not a whole number: {str(year_raw)[:20]!r}") from e
        if not 1000 <= year <= 2100:
            raise ValueError(f"year out of range: {year}")
    pop_raw = rec.get("popularity")
    try:
        popularity = float(str(pop_raw)) if pop_raw not in (None, "") else 0.0
    except ValueError as e:
        raise ValueError(f"popularity is not a number: {str(pop_raw)[:20]!r}") from e
    titles, aliases = _localized(rec)
    return Item(
        item_id=id_prefix + raw_id, title=title, domain=str(rec.get("domain") or "movie").strip().lower(),
        year=year, creator=(str(rec["creator"]).strip() or None) if rec.get("creator") else None,
        genres=tuple(g.lower() for g in _split_list(rec.get("genres"))),
        tags=tuple(t.lower() for t in _split_list(rec.get("tags"))),
        description=str(rec.get("description") or "").strip(), popularity=max(0.0, popularity),
        titles=titles, aliases=aliases,
    )


def _localized(rec: dict[str, object]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """Localized titles from a JSONL ``titles`` object and/or CSV columns ``title_zh``, ``title_es``...;
    aliases from a list (JSONL) or a ``|``/``;``-separated cell (CSV)."""
    raw = rec.get("titles")
    merged: dict[str, object] = dict(raw) if isinstance(raw, dict) else {}
    if raw not in (None, "") and not isinstance(raw, dict):
        raise ValueError("titles must be an object of language code -> title")
    for key, value in rec.items():
        if isinstance(key, str) and key.startswith("title_") and str(value or "").strip():
            lang = key[len("title_"):].replace("_", "-")
            if not LANG_CODE.match(lang):
                raise ValueError(f"column {key!r}: {lang!r} is not a language code like 'zh'")
            merged.setdefault(lang, str(value))
    return parse_titles(merged), parse_aliases(rec.get("aliases"))


def _records(fmt: str, text: str) -> Iterator[tuple[int, dict[str, object] | str]]:
    """(line number, record or parse-error reason)."""
    if fmt == "jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield n, f"invalid JSON: {e.msg}"
                continue
            yield (n, obj) if isinstance(obj, dict) else (n, "not a JSON object")
        return
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "title" not in [f.strip().lower() for f in reader.fieldnames]:
        yield 1, "header must name a 'title' column"
        return
    for rec in reader:
        n = reader.line_num
        if None in rec:
            yield n, "more fields than the header names"
            continue
        clean = {str(k).strip().lower(): v for k, v in rec.items()}
        if fmt == "movielens":
            title, year = movielens_title(str(clean.get("title") or ""))
            clean = {"id": clean.get("movieid"), "title": title, "year": year, "genres": clean.get("genres"),
                     "domain": "movie"}
        yield n, clean


def read_catalog_file(path: Path, fmt: str | None = None, id_prefix: str = "",
                      progress: Callable[[int], None] | None = None) -> ImportResult:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        return ImportResult(errors=[(0, f"file is not UTF-8 text ({e.reason})")])
    fmt = fmt or detect_format(path, text[:500])
    result = ImportResult()
    seen: dict[str, int] = {}
    for n, rec in _records(fmt, text):
        if progress:
            progress(1)
        if isinstance(rec, str):
            result.errors.append((n, rec))
            continue
        try:
            item = _item_from_record(rec, id_prefix)
        except ValueError as e:
            result.errors.append((n, str(e)))
            continue
        if item.item_id in seen:
            result.errors.append((n, f"duplicate id {item.item_id!r} (first on line {seen[item.item_id]})"))
            continue
        seen[item.item_id] = n
        result.items.append(item)
    if not result.items and not result.errors:
        result.errors.append((0, "no rows"))
    return result


def write_catalog(items: list[Item], dest: Path) -> None:
    """Atomic write: a reader never sees half a catalog."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it.to_json(), ensure_ascii=False) + "\n")
    tmp.replace(dest)
