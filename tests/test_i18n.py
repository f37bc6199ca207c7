"""Languages: gettext catalogs, localized titles in the catalog and its import, language detection and
the lexical pivot that lets the English parser understand zh/ja/es/de/fr."""

from __future__ import annotations

import ast
import gettext
import io
import json
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.cli import main
from core import i18n, localize
from core.i18n import t, tag
from core.nlu.lexicon import COMPARATIVES, CRITIQUE_ADJECTIVES
from core.nlu.multilingual.detect import LanguageGuesser
from core.nlu.parser import build_parser
from core.nlu.types import Intent, NluContext
from core.recommend.catalog import Item, bundled_catalog
from core.recommend.catalog_import import read_catalog_file
from core.recommend.types import Constraints
from tests.conftest import ROOT, write_config

LOCALE = ROOT / "core" / "locale"
CATALOG = bundled_catalog()
CTX = ("m-alien-1979", "m-heat-1995", "m-jaws-1975")


@pytest.fixture(scope="module")
def parser():
    return build_parser(CATALOG, None, now_year=2026)


# ----- gettext catalogs -----

# Every module whose text reaches a person. In core/reply_text.py and core/portrait.py the functions that
# assemble English from pieces ("a"/"an", "80s comedies", "{n} of these are not ...") run for English only:
# another language takes reply_text.localized_prose (whole sentences), which
# test_other_languages_never_take_the_english_grammar_path guards.
REPLY_MODULES = ("core/dialogue.py", "core/texts.py", "core/localize.py", "core/i18n.py", "core/reply_text.py",
                 "core/portrait.py", "core/reply_writer.py", "core/item_talk.py", "core/statements.py")
ENGLISH_GRAMMAR = {"core/reply_text.py": {"era_phrase", "_noun", "_not_phrase", "_critique_phrase", "_count",
                                          "what_phrase", "intro_line", "unmet_note", "blurbs"},
                   "core/portrait.py": {"portrait"}}


def _strings(node: ast.AST | None) -> set[str]:
    """The string constants an expression can yield as a msgid: dict values (not keys), both sides of a
    conditional, the dict of ``d.get(k, default)`` and its default, a tuple/list of options."""
    if node is None:
        return set()
    if isinstance(node, ast.Constant):
        return {node.value} if isinstance(node.value, str) and node.value else set()
    if isinstance(node, ast.Dict):
        return set().union(*(_strings(v) for v in node.values))
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return set().union(*(_strings(e) for e in node.elts))
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    if isinstance(node, ast.Subscript):
        return _strings(node.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return _strings(node.func.value) | set().union(*(_strings(a) for a in node.args[1:]))
    if isinstance(node, ast.Call):  # _pick(options, seed): the options
        return set().union(*(_strings(a) for a in node.args))
    if isinstance(node, ast.BoolOp):
        return set().union(*(_strings(v) for v in node.values))
    return set()


def _assigned(scope: ast.AST) -> dict[str, list[ast.AST]]:
    out: dict[str, list[ast.AST]] = {}
    for n in ast.walk(scope):
        targets = n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AnnAssign) else []
        for tg in targets:
            if isinstance(tg, ast.Name) and getattr(n, "value", None) is not None:
                out.setdefault(tg.id, []).append(n.value)  # type: ignore[arg-type]
    return out


def _msgids_in(path: str, skip: set[str]) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    module = {k: v for k, v in _assigned(tree).items()}
    for imp in (n for n in tree.body if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("core.")):
        source = ROOT / (imp.module or "").replace(".", "/")
        source = source.with_suffix(".py") if source.with_suffix(".py").exists() else source / "__init__.py"
        if source.exists():  # a template constant imported from another module (reply_text.NOTHING_FITS)
            theirs = _assigned(ast.parse(source.read_text(encoding="utf-8")))
            for alias in imp.names:
                module.setdefault(alias.asname or alias.name, []).extend(
                    v for v in theirs.get(alias.name, []) if isinstance(v, ast.Constant))
    ids: set[str] = set()
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for fn in scopes:
        if fn.name in skip:
            continue
        local = _assigned(fn)
        for n in ast.walk(fn):
            if not (isinstance(n, ast.Call) and getattr(n.func, "id", None) == "t" and len(n.args) >= 2):
                continue
            arg = n.args[1]
            ids |= _strings(arg)
            for name in (x.id for x in ast.walk(arg) if isinstance(x, ast.Name)):
                for value in local.get(name, []) + module.get(name, []):
                    ids |= _strings(value)
    return ids


def _code_msgids() -> set[str]:
    """Every msgid the code can pass to t() for a language other than English: the texts constants,
    literal t(lang, "...") calls, and the module-level tuples/dicts and local variables of templates
    (picked by seed or by kind) that reach t()."""
    from core import texts

    ids = {v for k, v in vars(texts).items() if k.isupper() and isinstance(v, str)}
    for f in REPLY_MODULES:
        ids |= _msgids_in(f, ENGLISH_GRAMMAR.get(f, set()))
    return ids


def test_the_msgid_scan_sees_templates_picked_from_collections() -> None:
    ids = _code_msgids()
    from core import reply_text, statements

    assert set(reply_text.LOCALIZED_INTROS.values()) | {reply_text.LOCALIZED_UNMET, reply_text.NOTHING_FITS} <= ids
    assert set(statements.STANCE_NOTES.values()) <= ids and "you liked {title}" in ids  # localize's dict
    assert "Description (in English): {text}" in ids and "Noted: {what}." in ids
    assert "Try these {n} {what}:" not in ids  # English grammar only (see ENGLISH_GRAMMAR)


def test_other_languages_never_take_the_english_grammar_path(monkeypatch) -> None:
    """The pieces of English grammar are not translated one by one: a Chinese/Spanish/... reply must be
    written by localized_prose and keep the localized reasons."""
    from core import reply_text, reply_writer
    from core.events import ItemView

    def boom(*_a, **_k):
        raise AssertionError("English grammar path taken for another language")

    for name in ("intro_line", "unmet_note", "blurbs"):
        monkeypatch.setattr(reply_writer, name, boom)
    items = [CATALOG.get(i) for i in ("m-alien-1979", "m-aliens-1986")]
    views = [ItemView(i.item_id, i.display_title("zh"), i.year, "一部科幻片", i.creator, i.domain) for i in items]
    req = reply_text.RequestView(Constraints(genres=("sci-fi",), domain="movie", not_genres=("comedy",)))
    for lang in ("zh", "es", "de", "fr", "ja"):
        text, out = reply_writer.deterministic_text(lang, req, items, views, None, 7)
        assert text.startswith(t(lang, "Here are some picks ({constraints}):", constraints="\x00").split("\x00")[0])
        assert [v.reason for v in out] == ["一部科幻片"] * 2
    zh, _ = reply_writer.deterministic_text("zh", req, items, views, None, 7)
    assert zh == "给你推荐这些（电影、科幻、不要喜剧）：", zh
    eighties = reply_text.RequestView(Constraints(genres=("sci-fi",), year_min=1980, year_max=1989))
    zh, _ = reply_writer.deterministic_text("zh", eighties, items, views, None, 7)  # Alien is from 1979
    assert "1980–1989" in zh.split("：", 1)[1] and "1980" not in zh.split("：", 1)[0], zh


@pytest.mark.parametrize("lang", ["zh", "es", "de", "fr", "ja"])
def test_every_reply_text_is_translated_and_the_mo_is_current(lang: str) -> None:
    po_path = LOCALE / lang / "LC_MESSAGES" / "recbot.po"
    with po_path.open("rb") as f:
        po = read_po(f)
    translated = {m.id for m in po if m.id and m.string and not m.context}
    missing = _code_msgids() - translated
    assert not missing, f"{lang}: untranslated {sorted(missing)[:5]}"
    # Catalog tags (explanations) and every critique word the parser reads (intros: "less cheesy").
    for name in {*CATALOG.tag_vocabulary(), *CRITIQUE_ADJECTIVES, *COMPARATIVES.values()}:
        assert po.get(name, context="tag") is not None, f"{lang}: tag {name!r} has no translation"
    # The committed .mo must say exactly what the .po says (run `make i18n` after editing a .po).
    fresh = io.BytesIO()
    write_mo(fresh, po)
    fresh.seek(0)
    expected = gettext.GNUTranslations(fresh)
    with (LOCALE / lang / "LC_MESSAGES" / "recbot.mo").open("rb") as f:
        shipped = gettext.GNUTranslations(f)
    for m in po:
        if m.id and not m.context:
            assert shipped.gettext(m.id) == expected.gettext(m.id), f"{lang}: stale .mo for {m.id[:40]!r}"
        # Placeholders must survive translation: a reply never shows "{items}" or crashes on format.
        if m.id and "{" in m.id:
            assert sorted(_fields(m.id)) == sorted(_fields(m.string)), (lang, m.id)


def _fields(text: str) -> list[str]:
    import string

    return [f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f]


def test_t_translates_formats_and_falls_back() -> None:
    assert t("zh", "Here are some picks ({constraints}):", constraints="书") == "给你推荐这些（书）："
    assert t("zh-TW", "Here are a few more:") == t("zh", "Here are a few more:") != "Here are a few more:"
    assert t("it", "Here are a few more:") == "Here are a few more:"  # no Italian catalog: English
    assert t(None, "Got it — noted for {items}.", items="X") == "Got it — noted for X."
    assert tag("de", "sci-fi") == "Science-Fiction" and tag("xx", "sci-fi") == "sci-fi"


def test_a_translation_with_broken_placeholders_reads_in_english(monkeypatch) -> None:
    class Broken(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return "{nope} ..."

    monkeypatch.setitem(i18n._cache, "es", Broken())
    assert t("es", "You like: {items}", items="Heat") == "You like: Heat"


def test_localized_reason_and_constraints() -> None:
    item = CATALOG.get("m-alien-1979")
    assert item is not None
    en = "a scary, space sci-fi by Ridley Scott; because you liked Jaws (1975)"
    zh = localize.reason(item, en, "zh", CATALOG)
    assert "大白鲨 Jaws (1975)" in zh and "因为你喜欢" in zh and "吓人" in zh and "Ridley Scott" in zh
    assert localize.reason(item, en, "en", CATALOG) == en
    c = Constraints(genres=("sci-fi",), domain="movie", year_min=1990, year_max=1999)
    assert localize.describe(c, "zh") == "电影、科幻、1990–1999"
    assert localize.describe(c, "en") == c.describe()
    # A relaxed list never sits under an intro claiming it fits.
    note = localize.relaxed("nothing matches books, comedy; here is the closest", "书、喜剧", "zh")
    assert note == "没有完全符合（书、喜剧）的作品，这些最接近："


# ----- localized titles in the catalog -----

def test_every_bundled_item_has_a_chinese_title() -> None:
    assert all(it.title_in("zh") for it in CATALOG)
    it = CATALOG.get("m-interstellar-2014")
    assert it is not None and it.title_in("zh") == "星际穿越" and it.display_title("zh") == "星际穿越 Interstellar"
    assert it.display_title("en") == "Interstellar" and it.title_in("zh-CN") == "星际穿越"
    assert Item.from_json(it.to_json()) == it


def test_import_reads_localized_titles_from_csv_and_jsonl(tmp_path: Path) -> None:
    csv = tmp_path / "c.csv"
    csv.write_text("id,title,year,title_zh,title_es,aliases\n1,Heat,1995,盗火线,Fuego contra fuego,Heat 95|热\n"
                   "2,Bad,2000,,,\n", encoding="utf-8")
    res = read_catalog_file(csv)
    assert not res.errors
    assert res.items[0].titles == (("es", "Fuego contra fuego"), ("zh", "盗火线"))
    assert res.items[0].aliases == ("Heat 95", "热") and res.items[1].titles == ()
    jl = tmp_path / "c.jsonl"
    jl.write_text(json.dumps({"id": "1", "title": "Heat", "titles": {"zh": "盗火线"}, "aliases": ["热"]},
                             ensure_ascii=False) + "\n"
                  + json.dumps({"id": "2", "title": "X", "titles": {"chinese!": "x"}}) + "\n"
                  + json.dumps({"id": "3", "title": "Y", "titles": ["zh"]}) + "\n", encoding="utf-8")
    res = read_catalog_file(jl)
    assert res.items[0].titles == (("zh", "盗火线"),)
    reasons = dict(res.errors)
    assert "not a language code" in reasons[2] and "titles must be an object" in reasons[3]


def test_imported_chinese_title_is_understood(tmp_path: Path, capsys) -> None:
    cfg = write_config(tmp_path)
    f = tmp_path / "mine.jsonl"
    f.write_text(json.dumps({"id": "q1", "title": "Quiet Harbor", "year": 2011, "domain": "movie",
                             "titles": {"zh": "宁静港湾"}}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["--config", str(cfg), "catalog", "import", str(f)]) == 0
    row = json.loads((tmp_path / "data" / "catalogs" / "mine.jsonl").read_text(encoding="utf-8"))
    assert row["titles"] == {"zh": "宁静港湾"}
    from core.recommend.catalog import load_catalog

    cat = load_catalog(True, [tmp_path / "data" / "catalogs" / "mine.jsonl"])
    p = build_parser(cat, None, now_year=2026)
    assert [m.item_id for m in p.parse("我喜欢宁静港湾").items] == ["mine:q1"]
    assert [m.item_id for m in p.parse("我喜欢《宁静巷湾》").items] == ["mine:q1"]  # a typo, in 《》: fuzzy


# ----- detection -----

@pytest.mark.parametrize("text,lang", [
    ("我最近想买一本好书，你有什么推荐吗？", "zh"), ("おすすめの映画を教えて", "ja"),
    ("recomiéndame una película de terror", "es"), ("el segundo", "es"),
    ("Empfiehl mir einen Film aus den 90ern", "de"), ("nicht zu brutal", "de"),
    ("je veux un film d'horreur", "fr"), ("recommend me a funny movie", "en"),
    ("something like Das Boot", "en"), ("Se7en was too dark for me", "en"),
    ("more", None), ("Interstellar", None), ("ok", None),
])
def test_language_detection_on_short_messages(text: str, lang: str | None) -> None:
    assert LanguageGuesser().detect(text) == lang


def test_short_messages_and_titles_keep_the_speakers_language(parser) -> None:
    zh = NluContext(CTX, language="zh")
    assert parser.parse("more", zh).language == "zh"
    assert parser.parse("Interstellar", zh).language == "zh"
    assert parser.parse("The Dark Knight", zh).language == "zh"
    assert parser.parse("recommend me a funny movie", zh).language == "en"  # a real English sentence
    assert parser.parse("odio Titanic", NluContext(language="zh")).language == "es"


# ----- understanding through the pivot -----

@pytest.mark.parametrize("text,check", [
    ("推荐几部90年代的电影", lambda u: u.year_min == 1990 and u.year_max == 1999 and u.domain == "movie"),
    ("不要太血腥", lambda u: u.critiques == ("-gory",)),
    ("una película de los 90", lambda u: (u.year_min, u.year_max) == (1990, 1999)),
    ("nicht zu brutal", lambda u: u.critiques == ("-violent",)),
    ("第二个讲的是什么", lambda u: u.intent == Intent.ABOUT and u.refs == (1,)),
    ("el segundo no me gusta", lambda u: u.refs == (1,) and u.reject_refs),
    ("den zweiten bitte", lambda u: u.refs == (1,)),
    ("我喜欢《教父》", lambda u: [(m.item_id, m.sentiment > 0) for m in u.items] == [("m-the-godfather-1972", True)]),
    ("我讨厌泰坦尼克号", lambda u: [(m.item_id, m.sentiment < 0) for m in u.items] == [("m-titanic-1997", True)]),
    ("推荐一部科幻电影，不要恐怖的", lambda u: "sci-fi" in u.genres and {"horror", "scary"} & set(u.not_genres)),
    ("ein lustiger Vampirfilm", lambda u: {"funny", "vampires"} <= set(u.genres) and u.domain == "movie"),
    ("ホラー映画をおすすめして", lambda u: u.intent == Intent.RECOMMEND and "horror" in u.genres),
    ("给我来几部宫崎骏的动画", lambda u: u.creators == ("Hayao Miyazaki",) and "animation" in u.genres),
    ("我想看科幻，特别是太空题材的", lambda u: {"sci-fi", "space"} <= set(u.genres) and not u.not_genres),
    ("einen Film wie Der Pate", lambda u: [m.item_id for m in u.items] == ["m-the-godfather-1972"]),
    ("comedias de los ochenta", lambda u: (u.year_min, u.year_max) == (1980, 1989) and "comedy" in u.genres),
    ("Komödien aus den Achtzigern", lambda u: (u.year_min, u.year_max) == (1980, 1989)),
    ("una peli de miedo que no sea muy sangrienta", lambda u: u.critiques == ("-gory",) and not u.not_genres),
])
def test_pivot_understands(parser, text: str, check) -> None:
    u = parser.parse(text, NluContext(CTX))
    assert check(u), (text, u)


def test_titles_that_are_everyday_words_need_brackets(parser) -> None:
    assert not parser.parse("我们想看一部电影").items  # 我们 is "we", and also the film "Us"
    assert [m.item_id for m in parser.parse("我喜欢《我们》").items] == ["m-us-2019"]
    assert not parser.parse("una película de 1984").items  # a year, not the novel "1984"


def test_unread_foreign_words_get_a_tag_from_the_multilingual_encoder(parser) -> None:
    """USE-multilingual (numpy, offline) reads what no lexicon lists; without it nothing is guessed."""
    from dataclasses import replace as dc_replace

    u = parser.parse("ein Buch über Drachen und Zauberer")
    assert {"magic", "fantasy"} & set(u.genres) and u.domain == "book", u
    assert parser.parse("quiero una peli de naves espaciales").genres == ("space",)
    bare = build_parser(CATALOG, None, now_year=2026)
    bare.semantic = None
    assert bare.parse("ein Buch über Drachen und Zauberer").genres == ()
    # Not for requests the lexicon already read, nor for chit-chat without a request.
    assert parser.parse("un libro de terror").genres == ("horror",)
    assert dc_replace(parser.parse("gracias"), language="es").genres == ()


@pytest.mark.parametrize("lang", ["zh", "es", "de"])
def test_labelled_language_sets_hold_their_floors(parser, lang: str) -> None:
    """>= 100 labelled utterances per language; the scores benchmarks/nlu.py reports must not regress
    (floors a little under the measured 0.98-0.99 intent accuracy and 0.94 slot F1)."""
    from core.nlu.evaluation import context_of, load_labelled, score

    rows = load_labelled(ROOT / "tests" / "data" / f"nlu_{lang}.jsonl")
    assert len(rows) >= 100 and all(r["language"] == lang for r in rows)
    vocab = set(CATALOG.tag_vocabulary())
    for r in rows:
        assert all(i in CATALOG.by_id for i in [*r.get("items", {}), *r.get("ctx", [])]), r["text"]
        for g in r.get("genres", []) + r.get("not_genres", []):
            assert set(g if isinstance(g, list) else [g]) <= vocab, (r["text"], g)
    rep = score(rows, parser.parse_batch([str(r["text"]) for r in rows], [context_of(r) for r in rows]))
    assert rep.intent_accuracy >= 0.95 and rep.slot.f1 >= 0.90 and rep.language_accuracy >= 0.95, rep.summary()


def test_language_id_benchmark_runs() -> None:
    """benchmarks/langid.py (the table in docs/bench_nlu.md) cannot rot: it runs and the guesser row
    keeps English in English (figures are reported, only that invariant is asserted)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "benchmarks/langid.py"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    row = next(line for line in out.stdout.splitlines() if line.startswith("| recbot guesser"))
    assert row.split("|")[5].strip() == "1.000", row  # English -> en or "not sure"


@pytest.mark.parametrize("text,item", [("エイリアンみたいな映画が見たい", "m-alien-1979"),
                                       ("千と千尋の神隠しが好き", "m-spirited-away-2001"),
                                       ("ブレードランナーは好きじゃない", "m-blade-runner-1982")])
def test_a_japanese_title_is_found_and_the_sentence_around_it_stays_japanese(parser, text: str, item: str) -> None:
    # The bundled catalog has Japanese titles; a message with one and other Japanese words is Japanese
    # even after an English conversation (only a title alone keeps the previous language).
    u = parser.parse(text, NluContext(language="en"))
    assert u.language == "ja" and item in [m.item_id for m in u.items], (u.language, u.items)
    assert sum(1 for it in CATALOG if dict(it.titles).get("ja")) >= 150
