"""Reactions on the bot's messages teach the real core; guilds never see each other's data."""

from __future__ import annotations

from pathlib import Path

from tests.discord_harness import (
    ALICE,
    BOB,
    CHAN_A,
    CHAN_A2,
    CHAN_A3,
    CHAN_B,
    DM_CHAN,
    GUILD_A,
    GUILD_B,
    fake_discord,
    make_config,
    running_bot,
    until,
)

TENANT_A, TENANT_B = str(GUILD_A), str(GUILD_B)


def titles(reply_body: dict) -> list[str]:
    return [f["name"] for f in reply_body["embeds"][0]["fields"]]


async def test_thumbs_down_reaction_changes_the_next_recommendation(tmp_path: Path) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        first = await bot.mention(CHAN_A, "recommend a sci-fi movie")
        control = await bot.mention(CHAN_A2, "recommend a sci-fi movie")  # fresh channel, no feedback yet
        assert titles(control.body) == titles(first.body)  # same request, same answer: deterministic
        message = await bot.posted_and_mapped(first, TENANT_A)

        await bot.react(message, "👎🏽")  # skin-tone variants count as the base emoji
        summary = await until(lambda: _with_dislikes(bot, TENANT_A, str(ALICE)))
        assert set(summary.dislikes) >= {t.split(". ", 1)[1] for t in titles(first.body)}

        after = await bot.mention(CHAN_A3, "recommend a sci-fi movie")
        assert after.body["embeds"]
        assert not set(titles(after.body)) & set(titles(first.body))
        # Another person's taste is untouched by Alice's reaction.
        bobs = await bot.mention(CHAN_A3, "recommend a sci-fi movie", user=BOB)
        assert titles(bobs.body) == titles(first.body)


async def test_reactions_by_bots_or_on_other_messages_are_ignored(tmp_path: Path) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        first = await bot.mention(CHAN_A, "recommend a sci-fi movie")
        message = await bot.posted_and_mapped(first, TENANT_A)
        await bot.react(message, "👎", user=fake.bot_id)  # our own reaction
        await bot.react({**message, "id": str(fake.snowflake())}, "👎")  # a message the bot never posted
        await bot.react(message, "👍")  # then a real one, which must be the only effect
        summary = await until(lambda: _with(bot, TENANT_A, str(ALICE), "likes"))
        assert not summary.dislikes
        assert (await bot.core.user_summary(TENANT_A, str(fake.bot_id))).likes == []


async def test_two_guilds_are_isolated(tmp_path: Path) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        in_a = await bot.mention(CHAN_A, "recommend a sci-fi movie")
        message_a = await bot.posted_and_mapped(in_a, TENANT_A)
        await bot.react(message_a, "👎")
        await until(lambda: _with_dislikes(bot, TENANT_A, str(ALICE)))

        # Same person, same request in guild B: A's dislikes and A's shown items do not apply there.
        in_b = await bot.mention(CHAN_B, "recommend a sci-fi movie")
        assert titles(in_b.body) == titles(in_a.body)
        summary_b = await bot.core.user_summary(TENANT_B, str(ALICE))
        assert not summary_b.likes and not summary_b.dislikes

        # Guild B cannot reach guild A's recommendation through its message id or its buttons.
        assert await bot.core.store.recs.by_message(TENANT_B, "discord", message_a["id"]) is None
        rec_a = in_a.body["components"][0]["components"][0]["custom_id"].split(":")[2]
        assert await bot.core.store.recs.get(TENANT_B, rec_a) is None
        prefs_b = await bot.mention(CHAN_B, "what do you know about me")
        assert "don't know your taste yet" in prefs_b.body["content"]


async def _with_dislikes(bot, tenant: str, user: str):
    return await _with(bot, tenant, user, "dislikes")


async def _with(bot, tenant: str, user: str, attr: str):
    summary = await bot.core.user_summary(tenant, user)
    return summary if getattr(summary, attr) else None


async def test_reaction_in_a_dm_counts_in_the_dm_tenant_only(tmp_path: Path) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        in_dm = await bot.mention(DM_CHAN, "recommend a comedy movie", mention=False)
        message = await bot.posted_and_mapped(in_dm, "dm")
        assert "guild_id" not in message
        await bot.react(message, "❤️")
        summary = await until(lambda: _with(bot, "dm", str(ALICE), "likes"))
        assert {t.split(". ", 1)[1] for t in titles(in_dm.body)} <= set(summary.likes)
        assert not (await bot.core.user_summary(TENANT_A, str(ALICE))).likes
