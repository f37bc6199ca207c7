"""Conversations in Chinese, Spanish, German, French and Japanese through the real wiring (full parser,
hybrid recommender, template replies): the items fit the request and the reply is in the user's
language. Cases: tests/data/dialogues_i18n.jsonl."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import pytest_asyncio

from bot.config import load_config
from bot.wiring import build_app
from core.i18n import t
from core.recommend.catalog import bundled_catalog
from tests.helpers import msg, write_config

CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "dialogues_i18n.jsonl")
         .read_text(encoding="utf-8").splitlines() if line.strip()]
CATALOG = bundled_catalog()
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_LINE = re.compile(r"^(\d)\. (.+) \((\d{4})\) — (.+)$", re.M)
INTROS = ("Here are some picks for you:", "Here are some picks ({constraints}):", "Here are a few more:",
          "More in that vein:", "Let me try a different direction:")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("i18n")
    application = await build_app(load_config(write_config(tmp, engines="full")))
    yield application
    await application.aclose()


def _intro_prefixes(lang: str) -> set[str]:
    return {t(lang, m, constraints="\x00").split("\x00")[0].rstrip("(（:：") for m in INTROS}


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
async def test_dialogue_in_the_users_language(app, case: dict) -> None:
    lang = case["lang"]
    for turn in case["turns"]:
        replies = await app.core.handle(msg(turn["text"], channel=case["name"], user=f"u-{case['name']}"))
        assert replies, turn["text"]
        reply = replies[0]
        assert len(reply.items) >= turn["min_items"], (turn["text"], reply.text)
        first = reply.text.splitlines()[0]
        assert any(first.startswith(p) for p in _intro_prefixes(lang)), (lang, first)
        lines = _LINE.findall(reply.text)
        assert len(lines) == len(reply.items), reply.text  # `N. Title (Year) — reason` stays parseable
        for view in reply.items:
            item = CATALOG.get(view.item_id)
            assert item is not None
            if lang == "zh":
                assert view.title.startswith(item.title_in("zh") or "?"), view.title  # localized title first
            if "domain" in turn:
                assert item.domain == turn["domain"], (turn["text"], item.label())
            if "tags" in turn:
                assert set(turn["tags"]) & set(item.genres + item.tags), (turn["text"], item.label(), item.tags)
            lo, hi = turn.get("years", [None, None])
            assert (lo is None or (item.year or 0) >= lo) and (hi is None or (item.year or 9999) <= hi), item.label()
            assert view.item_id not in turn.get("not_items", [])
        if lang in ("zh", "ja"):
            reasons = [r for *_x, r in lines]
            assert all(_CJK.search(r) for r in reasons), reasons  # the reasons are translated too


@pytest.mark.asyncio(loop_scope="module")
async def test_each_person_keeps_their_language_and_forget_drops_it(app) -> None:
    from core.state import load_conversation

    core = app.core
    zh = await core.handle(msg("推荐几部科幻电影", channel="shared", user="li"))
    en = await core.handle(msg("recommend a funny movie", channel="shared", user="ann"))
    assert _CJK.search(zh[0].text.splitlines()[0]) and not _CJK.search(en[0].text)
    more = await core.handle(msg("more", channel="shared", user="li"))  # ambiguous: Li's language stays
    assert more[0].items and more[0].text.startswith(t("zh", "Here are a few more:"))
    key = msg("x", channel="shared").key.as_str()
    state = await load_conversation(app.store.conversations, "t1", key)
    assert state.languages == {"li": "zh", "ann": "en"}
    await core.handle(msg("忘记我", channel="shared", user="li"))
    state = await load_conversation(app.store.conversations, "t1", key)
    assert "li" not in state.languages and state.languages["ann"] == "en"
    await core.handle(msg("olvídame", channel="shared", user="ann"))  # forget, in a new language
    state = await load_conversation(app.store.conversations, "t1", key)
    assert state.languages == {}


@pytest.mark.asyncio(loop_scope="module")
async def test_chinese_questions_about_the_list_are_answered_in_chinese(app) -> None:
    core = app.core
    first = await core.handle(msg("推荐几部2000年以后的科幻电影", channel="about", user="wang"))
    second = first[0].items[1]
    about = await core.handle(msg("第二个讲的是什么？", channel="about", user="wang"))
    text = about[0].text
    assert text.startswith(second.title) and "简介（英文）：" in text  # facts in Chinese, description marked
    why = await core.handle(msg("为什么推荐第一个？", channel="about", user="wang"))
    assert why[0].text.startswith(first[0].items[0].title) and _CJK.search(why[0].text.split(":", 1)[1])
    hello = await core.handle(msg("你好", channel="about", user="wang"))
    assert hello[0].text == t("zh", "Hi! I recommend movies and books. Try \"a funny movie from the 80s\", "
                                    "\"something like Alien but less gory\" or \"a good sci-fi novel\".")


@pytest.mark.asyncio(loop_scope="module")
async def test_what_was_stored_is_said_in_chinese_after_the_intro(app) -> None:
    """The note on what a message stored ("Noted: you liked X") is translated, and in another language
    it follows the translated intro (English keeps it first); the preferences list is Chinese too."""
    core = app.core
    liked = await core.handle(msg("我喜欢星际穿越", channel="noted", user="zhao"))
    assert liked[0].text.startswith(t("zh", "Noted: {what}.", what="\x00").split("\x00")[0]), liked[0].text
    assert "星际穿越 Interstellar (2014)" in liked[0].text and "liked" not in liked[0].text
    rec = await core.handle(msg("我喜欢《教父》，推荐几部犯罪电影", channel="noted", user="zhao"))
    first = rec[0].text.splitlines()[0]
    assert any(first.startswith(p) for p in _intro_prefixes("zh")), first
    assert "教父" in first and "Noted" not in first and "记下了" in first, first
    prefs = await core.handle(msg("看看我的偏好", channel="noted", user="zhao"))
    assert "What you told me" not in prefs[0].text and "you said" not in prefs[0].text, prefs[0].text
