"""The Discord edges found in review (issue 15): reaction removals and reactions on other people's
messages, option values of the wrong type, and display names the store cannot encode.

Real pieces: the adapter's own discord.py client against the loopback fake Discord
(tests/fake_discord.py), the core built by bot.wiring on SQLite in tmp_path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.discord_harness import (
    ALICE,
    BOB,
    CHAN_A,
    CHAN_A2,
    GUILD_A,
    Bot,
    fake_discord,
    make_config,
    running_bot,
    until,
)
from tests.fake_discord import Recorded

TENANT_A = str(GUILD_A)
EPHEMERAL = 64


async def _reactions(bot: Bot, message_id: str) -> int:
    row = await bot.core.store.db.fetchone("SELECT COUNT(*) FROM reactions WHERE message_id = ?", (message_id,))
    assert row is not None
    return int(row[0])


async def _dislikes(bot: Bot) -> list[str] | None:
    return (await bot.core.user_summary(TENANT_A, str(ALICE))).dislikes or None


# ---- 5 and 17: reactions that are not about the bot's messages -----------------------------------

async def test_reactions_on_someone_elses_message_are_ignored_added_or_removed(tmp_path: Path) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        theirs = bot.someones_message(CHAN_A)
        await bot.react(theirs, "👍")  # an add names the author (Bob): not ours
        await bot.react(theirs, "👍", added=False)  # a remove names no author at all
        await bot.react(theirs, "👎", user=BOB, added=False)
        await bot.settle()
        assert await _reactions(bot, theirs["id"]) == 0
        assert (await bot.core.user_summary(TENANT_A, str(ALICE))).likes == []


async def test_removing_a_reaction_from_the_bots_list_takes_it_back(tmp_path: Path) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        reply = await bot.mention(CHAN_A, "recommend a sci-fi movie")
        message = await bot.posted_and_mapped(reply, TENANT_A)
        await bot.react(message, "👎")
        assert await until(lambda: _dislikes(bot))
        await bot.react(message, "👎", added=False)  # no author, no member: the message id decides
        await until(lambda: _no_dislikes(bot))
        assert await _reactions(bot, message["id"]) == 2  # both kept as raw evidence, the effect undone


async def _no_dislikes(bot: Bot) -> bool:
    return await _dislikes(bot) is None


# ---- 6: an option value of the wrong type --------------------------------------------------------

async def _slash(bot: Bot, name: str, options: list[dict[str, Any]]) -> Recorded:
    fake = bot.fake
    data = {"id": str(fake.snowflake()), "name": name, "type": 1, "options": options}
    payload = fake.interaction_payload(CHAN_A2, fake.user(ALICE), 2, data)
    start = len(fake.requests)
    await fake.dispatch("INTERACTION_CREATE", payload)
    return await fake.wait_request("POST", rf"/webhooks/{fake.app_id}/{payload['token']}", start=start)


@pytest.mark.parametrize(("name", "options", "option"), [
    ("recommend", [{"type": 3, "name": "query", "value": 42}], "query"),
    ("recommend", [{"type": 4, "name": "query", "value": 7}], "query"),
    ("why", [{"type": 3, "name": "item", "value": 3.5}], "item"),
    ("recommend", [{"type": 3, "name": "query", "value": ["a"]}], "query"),
])
async def test_a_non_text_value_for_a_text_option_gets_a_clear_message(
        tmp_path: Path, name: str, options: list[dict[str, Any]], option: str) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        follow = await _slash(bot, name, options)
        content = follow.body.get("content") or ""
        assert "went wrong" not in content
        assert f"`{option}`" in content and "text" in content, content
        # a good value afterwards is answered as usual
        good = await _slash(bot, "recommend", [{"type": 3, "name": "query", "value": "a sci-fi movie"}])
        assert good.body["embeds"]


# ---- 8: display names the store cannot encode -----------------------------------------------------

@pytest.mark.parametrize("name", ["Ann \ud800", "\udfff", "x\x00\u202ey"])
async def test_a_display_name_with_an_invalid_code_point_is_cleaned(tmp_path: Path, name: str) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        user = {**fake.user(ALICE), "global_name": name}
        msg = fake.message_payload(CHAN_A, user, f"<@{fake.bot_id}> recommend a sci-fi movie",
                                   mentions=[fake.bot_user()])
        start = len(fake.requests)
        await fake.dispatch("MESSAGE_CREATE", msg)
        reply = await fake.wait_request("POST", r"/channels/\d+/messages", start=start)
        assert reply.body.get("embeds"), reply.body.get("content")  # a list, not "something went wrong"
        row = await bot.core.store.db.fetchone("SELECT display_name FROM users WHERE user_id = ?", (str(ALICE),))
        assert row is not None and (row[0] is None or (row[0].encode("utf-8") and row[0].isprintable()))
