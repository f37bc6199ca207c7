"""Bundled catalog and `catalog import`: formats, errors per row, no partial silent import."""

from __future__ import annotations

import json
from pathlib import Path

from bot.cli import main
from core.recommend.catalog import bundled_catalog
from core.recommend.catalog_import import movielens_title, read_catalog_file
from tests.conftest import SHARED_DATA, write_config


def test_bundled_catalog_is_large_and_complete() -> None:
    cat = bundled_catalog()
    assert len(cat) >= 300
    assert {"movie", "book"} <= set(cat.domains)
    for it in cat:
        assert it.title and it.year and it.creator and it.genres and it.description, it.item_id
        assert len(it.description.split()) >= 20, it.item_id


def test_movielens_titles_are_normalized() -> None:
    assert movielens_title("Matrix, The (1999)") == ("The Matrix", 1999)
    assert movielens_title("Babe: Pig in the City (1998)") == ("Babe: Pig in the City", 1998)
    assert movielens_title("Hyena Road") == ("Hyena Road", None)


def test_jsonl_errors_name_line_and_reason(tmp_path: Path) -> None:
    f = tmp_path / "c.jsonl"
    f.write_text('{"id": "1", "title": "Ok", "year": 1999}\n{oops\n{"id": "2"}\n'
                 '{"id": "1", "title": "Dup"}\n{"id": "3", "title": "T", "year": "soon"}\n', encoding="utf-8")
    res = read_catalog_file(f)
    assert [i.title for i in res.items] == ["Ok"]
    reasons = dict(res.errors)
    assert "invalid JSON" in reasons[2]
    assert reasons[3] == "missing title"
    assert "duplicate id" in reasons[4]
    assert "year" in reasons[5]


def test_cli_import_refuses_partial_then_skip_bad(tmp_path: Path, capsys) -> None:
    cfg = write_config(tmp_path)
    f = tmp_path / "mine.csv"
    f.write_text("id,title,year,genres,description\n1,Alpha,2001,drama|war,A film.\n2,,2002,drama,x\n",
                 encoding="utf-8")
    assert main(["--config", str(cfg), "catalog", "import", str(f)]) == 1
    err = capsys.readouterr().err
    assert "mine.csv:3: missing title" in err and "nothing imported" in err
    assert not (tmp_path / "data" / "catalogs").exists()
    assert main(["--config", str(cfg), "catalog", "import", str(f), "--skip-bad"]) == 0
    rows = [json.loads(x) for x in (tmp_path / "data" / "catalogs" / "mine.jsonl").read_text().splitlines()]
    assert rows[0]["id"] == "mine:1" and rows[0]["genres"] == ["drama", "war"]
    assert main(["--config", str(cfg), "catalog", "info"]) == 0
    assert "movies" in capsys.readouterr().out


def test_cli_import_movielens_movies_csv(tmp_path: Path, capsys) -> None:
    src = SHARED_DATA / "movielens-small" / "movies.csv"
    f = tmp_path / "movies.csv"
    if src.is_file():
        f.write_text("\n".join(src.read_text(encoding="utf-8").splitlines()[:200]) + "\n", encoding="utf-8")
    else:  # the same format, written here
        f.write_text('movieId,title,genres\n1,"Matrix, The (1999)",Action|Sci-Fi\n', encoding="utf-8")
    cfg = write_config(tmp_path)
    assert main(["--config", str(cfg), "catalog", "import", str(f), "--name", "ml"]) == 0
    assert "imported" in capsys.readouterr().out
    rows = [json.loads(x) for x in (tmp_path / "data" / "catalogs" / "ml.jsonl").read_text().splitlines()]
    assert all(r["year"] is None or 1900 < r["year"] < 2030 for r in rows)
    assert not any(r["title"].endswith(", The") for r in rows)


def test_cli_import_rejects_binary_and_missing(tmp_path: Path, capsys) -> None:
    cfg = write_config(tmp_path)
    f = tmp_path / "x.csv"
    f.write_bytes(b"\xff\xfe\x00garbage")
    assert main(["--config", str(cfg), "catalog", "import", str(f)]) == 1
    assert main(["--config", str(cfg), "catalog", "import", str(tmp_path / "nope.csv")]) == 2
