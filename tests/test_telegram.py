"""The real Telegram adapter (python-telegram-bot, long polling over HTTP) on the real core, against
tests/fake_telegram.py on loopback: messages, commands, inline-keyboard feedback, reactions, privacy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.telegram import CANT_DM, DM_TENANT, TelegramAdapter
from adapters.telegram_settings import TelegramSettings
from bot.wiring import App, build_app
from core.events import ItemView, Reply
from tests.discord_harness import make_config, until
from tests.fake_telegram import BOT_USERNAME, FakeTelegram

ALICE, BOB = 111, 222
GROUP = -100500


@dataclass
class Running:
    fake: FakeTelegram
    app: App
    adapter: TelegramAdapter


@asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    fake = FakeTelegram()
    url = await fake.start()
    app = await build_app(make_config(tmp_path))
    adapter = TelegramAdapter(app.core, TelegramSettings(base_url=url, poll_timeout=1), {"TELEGRAM_TOKEN": fake.token})
    try:
        await adapter.start()
        yield Running(fake, app, adapter)
    finally:
        await adapter.stop()
        await app.aclose()
        await fake.stop()


def buttons(call_params: dict) -> list[str]:
    return [b["callback_data"] for row in call_params["reply_markup"]["inline_keyboard"] for b in row]


async def test_private_message_gets_a_list_with_feedback_buttons_and_the_press_is_stored(tmp_path: Path) -> None:
    async with running(tmp_path) as r:
        r.fake.message(ALICE, ALICE, "recommend a sci-fi movie")
        (sent,) = await r.fake.wait_for("sendMessage", 1)
        assert sent.params["chat_id"] == ALICE
        assert "1. " in sent.params["text"] and "—" in sent.params["text"]
        data = buttons(sent.params)
        assert len(data) == 15 and all(d.startswith("rb|") for d in data)
        # The posted message is mapped to its recommendation (reactions need it).
        mid = sent.result["message_id"]
        rec = await until(lambda: r.app.store.recs.by_message(DM_TENANT, "telegram", f"{ALICE}:{mid}"))
        like_first = data[0]
        r.fake.callback(ALICE, ALICE, mid, like_first)
        (toast,) = await r.fake.wait_for("answerCallbackQuery", 1)
        assert "Noted" in toast.params["text"]
        export = await r.app.store.export_user(DM_TENANT, str(ALICE))
        assert [p["value"] for p in export["preferences"] if p["kind"] == "button"] == [1.0]
        assert rec is not None


async def test_redelivered_update_is_answered_once(tmp_path: Path) -> None:
    async with running(tmp_path) as r:
        r.fake.message(ALICE, ALICE, "a comedy please")
        await r.fake.wait_for("sendMessage", 1)
        # getUpdates after a crash can hand the same message out again: same chat + message id.
        original = r.fake.calls[:]
        mid = 500  # the fake numbers the first message 500
        r.fake._push({"message": {"message_id": mid, "date": 0, "chat": {"id": ALICE, "type": "private"},
                                  "from": {"id": ALICE, "is_bot": False, "first_name": "Alice"},
                                  "text": "a comedy please"}})
        r.fake.message(ALICE, ALICE, "hello")
        await r.fake.wait_for("sendMessage", 2)
        await asyncio.sleep(0.3)
        assert len(r.fake.sent()) == 2, [c.params.get("text") for c in r.fake.calls if c not in original]


async def test_reactions_on_the_bots_list_are_stored_and_removed_and_others_ignored(tmp_path: Path) -> None:
    async with running(tmp_path) as r:
        r.fake.message(ALICE, ALICE, "recommend a sci-fi movie")
        (sent,) = await r.fake.wait_for("sendMessage", 1)
        mid = sent.result["message_id"]
        await until(lambda: r.app.store.recs.by_message(DM_TENANT, "telegram", f"{ALICE}:{mid}"))
        r.fake.reaction(ALICE, ALICE, mid, [], ["👍"])
        prefs = await until(lambda: _reaction_prefs(r, ALICE))
        assert prefs and all(v > 0 for v in prefs)
        r.fake.reaction(ALICE, ALICE, mid, ["👍"], [])  # taken back: the evidence it added goes
        await until(lambda: _no_reaction_prefs(r, ALICE))
        # A reaction on a message that is not the bot's (Alice's own message 9) stores nothing.
        r.fake.reaction(ALICE, ALICE, 9, [], ["👎"])
        r.fake.message(ALICE, ALICE, "hi")
        await r.fake.wait_for("sendMessage", 2)
        export = await r.app.store.export_user(DM_TENANT, str(ALICE))
        assert not [p for p in export["preferences"] if p["kind"] == "reaction"]


async def _reaction_prefs(r: Running, user: int) -> list[float]:
    export = await r.app.store.export_user(DM_TENANT, str(user))
    return [p["value"] for p in export["preferences"] if p["kind"] == "reaction"]


async def _no_reaction_prefs(r: Running, user: int) -> bool:
    return not await _reaction_prefs(r, user)


async def test_group_answers_only_when_addressed_and_strips_the_mention(tmp_path: Path) -> None:
    async with running(tmp_path) as r:
        r.fake.message(GROUP, ALICE, "anyone seen a good comedy lately?")  # chatter: not for the bot
        r.fake.message(GROUP, BOB, f"@{BOT_USERNAME} recommend a comedy")
        (sent,) = await r.fake.wait_for("sendMessage", 1)
        assert sent.params["chat_id"] == GROUP and "1. " in sent.params["text"]
        await asyncio.sleep(0.3)
        assert len(r.fake.sent()) == 1
        # Nothing about Alice's unaddressed chatter was stored.
        assert not (await r.app.store.export_user(f"tg:{GROUP}", str(ALICE)))["users"]
        turns = await r.app.store.db.fetchall("SELECT text FROM turns", ())
        assert not any(BOT_USERNAME in t[0] for t in turns)  # the mention was stripped at the edge


async def test_personal_answers_go_to_the_private_chat_never_the_group(tmp_path: Path) -> None:
    async with running(tmp_path) as r:
        r.fake.message(GROUP, ALICE, "/prefs")
        (sent,) = await r.fake.wait_for("sendMessage", 1)
        assert sent.params["chat_id"] == ALICE  # her private chat with the bot
        r.fake.blocked_users.add(BOB)  # Bob never opened a private chat: the bot may not write first
        r.fake.message(GROUP, BOB, f"/prefs@{BOT_USERNAME}")
        sent = (await r.fake.wait_for("sendMessage", 3))[-1]
        assert sent.params["chat_id"] == GROUP and sent.params["text"] == CANT_DM
        r.fake.message(GROUP, BOB, "/prefs@some_other_bot")  # another bot's command: not ours
        await asyncio.sleep(0.3)
        assert len(r.fake.sent()) == 3


async def test_long_item_ids_use_an_index_and_unknown_buttons_get_a_clear_answer(tmp_path: Path) -> None:
    async with running(tmp_path) as r:
        long_id = "shop:" + "x" * 60
        reply = Reply("Picks", items=(ItemView(long_id, "Long", 2000, "a pick"),), rec_id="0123456789abcdef")
        markup = r.adapter._keyboard(reply)
        assert markup is not None
        data = [b.callback_data for row in markup.inline_keyboard for b in row]
        assert all(len(str(d).encode()) <= 64 for d in data) and data[0] == "rb|l|0123456789abcdef|#0"
        assert r.adapter._parse_callback(str(data[0]))[2] == long_id  # type: ignore[index]
        r.fake.callback(ALICE, ALICE, 77, "rb|l|feedfeedfeedfeed|#3")  # a list from before a restart
        (toast,) = await r.fake.wait_for("answerCallbackQuery", 1)
        assert "no longer have" in toast.params["text"]


async def test_a_missing_token_is_a_clear_error_naming_the_variable(tmp_path: Path) -> None:
    app = await build_app(make_config(tmp_path))
    try:
        with pytest.raises(ValueError, match="TELEGRAM_TOKEN"):
            TelegramAdapter(app.core, TelegramSettings(), {})
        with pytest.raises(ValueError, match="base_url"):
            TelegramSettings(base_url="http://example.com/bot")
        with pytest.raises(ValueError, match="poll_timeout"):
            TelegramSettings(poll_timeout=0)
    finally:
        await app.aclose()


async def test_digest_outbound_posts_into_the_chat_and_topic(tmp_path: Path) -> None:
    from core.events import ConversationKey

    async with running(tmp_path) as r:
        mid = await r.adapter.send(ConversationKey("telegram", f"tg:{GROUP}", str(GROUP), "7"), Reply("Weekly picks"))
        (sent,) = r.fake.sent()
        assert sent.params["chat_id"] == GROUP and sent.params["message_thread_id"] == 7
        assert mid == f"{GROUP}:{sent.result['message_id']}"
