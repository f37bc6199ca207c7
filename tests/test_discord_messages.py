"""Messages through the real adapter + discord.py client + real core, against the loopback fake Discord."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.discord import DiscordSettings
from core.events import ConversationKey, ItemView, Reply
from tests.discord_harness import (
    ALICE,
    CHAN_A,
    CHAN_A2,
    CHAN_A3,
    DM_CHAN,
    GUILD_A,
    OTHER_BOT,
    THREAD_A,
    fake_discord,
    make_config,
    running_bot,
    until,
)

TENANT_A = str(GUILD_A)


async def test_mention_gets_an_embed_with_persistent_buttons(tmp_path: Path) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        reply = await bot.mention(CHAN_A, "recommend a sci-fi movie")
        body = reply.body
        assert reply.path == f"/channels/{CHAN_A}/messages"
        assert body["allowed_mentions"]["parse"] == []  # never pings anyone, not even the asker
        assert body["allowed_mentions"]["replied_user"] is False
        assert body["message_reference"]["fail_if_not_exists"] is False
        assert not body.get("content")
        (embed,) = body["embeds"]
        assert len(embed["fields"]) == 5
        assert embed["fields"][0]["name"] == "1. Alien (1979)"
        assert all(f["value"] for f in embed["fields"])
        rows = body["components"]
        assert len(rows) == 5 and all(len(r["components"]) == 3 for r in rows)
        first = [b["custom_id"] for b in rows[0]["components"]]
        assert [c.split(":")[1] for c in first] == ["like", "dislike", "more"]
        assert [b.get("emoji", {}).get("name") for b in rows[0]["components"][:2]] == ["👍", "👎"]
        assert rows[0]["components"][2]["label"] == "More like this"
        rec_id = first[0].split(":")[2]
        rec = await bot.core.store.recs.get(TENANT_A, rec_id)  # the buttons name a stored recommendation
        assert rec is not None and rec.item_ids[0] == first[0].split(":", 3)[3] == "m0"
        assert rec.conv_key == f"discord:{TENANT_A}:{CHAN_A}:"
        message = await bot.posted_and_mapped(reply, TENANT_A)  # message id -> rec, for reactions
        assert (await bot.core.store.recs.by_message(TENANT_A, "discord", message["id"]))[0].rec_id == rec_id


async def test_threads_stay_in_the_thread_and_dms_are_their_own_tenant(tmp_path: Path) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        in_thread = await bot.mention(THREAD_A, "recommend a sci-fi movie")
        assert in_thread.path == f"/channels/{THREAD_A}/messages"
        rec_id = in_thread.body["components"][0]["components"][0]["custom_id"].split(":")[2]
        rec = await bot.core.store.recs.get(TENANT_A, rec_id)
        assert rec is not None and rec.conv_key == f"discord:{TENANT_A}:{CHAN_A}:{THREAD_A}"

        in_dm = await bot.mention(DM_CHAN, "recommend a comedy movie", mention=False)  # DMs need no mention
        assert in_dm.path == f"/channels/{DM_CHAN}/messages"
        assert "message_reference" not in in_dm.body
        dm_rec_id = in_dm.body["components"][0]["components"][0]["custom_id"].split(":")[2]
        dm_rec = await bot.core.store.recs.get("dm", dm_rec_id)
        assert dm_rec is not None and dm_rec.conv_key == f"discord:dm:{DM_CHAN}:"
        assert await bot.core.store.recs.get(TENANT_A, dm_rec_id) is None


async def test_bots_self_and_unaddressed_messages_are_ignored(tmp_path: Path) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        mention = f"<@{fake.bot_id}> recommend a sci-fi movie"
        other_bot = fake.message_payload(CHAN_A, fake.user(OTHER_BOT, "otherbot", bot=True), mention,
                                         mentions=[fake.bot_user()])
        ourselves = fake.message_payload(CHAN_A, fake.bot_user(), mention, mentions=[fake.bot_user()])
        unaddressed = fake.message_payload(CHAN_A, fake.user(ALICE), "recommend a sci-fi movie")
        for m in (other_bot, ourselves, unaddressed):
            await fake.dispatch("MESSAGE_CREATE", m)
        # The gateway delivers in order: once the person's mention is answered, the earlier ones are done.
        answered = await bot.mention(CHAN_A, "recommend a comedy movie")
        posts = fake.matching("POST", r"/channels/\d+/messages")
        assert posts == [answered]
        assert fake.matching("POST", r"/channels/\d+/typing") == fake.matching("POST", rf"/channels/{CHAN_A}/typing")
        for m in (other_bot, ourselves, unaddressed):  # the core never saw them: their ids are unclaimed
            assert await bot.core.store.events.claim(TENANT_A, "discord", m["id"])


async def test_message_content_intent_follows_allowed_channels(tmp_path: Path) -> None:
    settings = DiscordSettings(message_content=True, allowed_channels=[CHAN_A2], guild_ready_timeout=0.05)
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path), settings) as bot:
        assert fake.identifies[-1]["intents"] & (1 << 15)  # MESSAGE_CONTENT requested
        followed = await bot.mention(CHAN_A2, "any good sci-fi movie?", mention=False)
        assert followed.path == f"/channels/{CHAN_A2}/messages" and followed.body["embeds"]
        start = len(fake.requests)
        # Chit-chat in a followed channel and anything in other channels stays unanswered.
        await fake.dispatch("MESSAGE_CREATE", fake.message_payload(CHAN_A2, fake.user(ALICE), "lunch anyone?"))
        await fake.dispatch("MESSAGE_CREATE", fake.message_payload(CHAN_A3, fake.user(ALICE), "a sci-fi movie?"))
        answered = await bot.mention(CHAN_A, "help")
        assert fake.matching("POST", r"/channels/\d+/messages", start) == [answered]
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path / "off")) as bot:
        assert not fake.identifies[-1]["intents"] & (1 << 15)  # off by default


async def test_ten_thousand_character_message(tmp_path: Path) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        long_request = await bot.mention(CHAN_A, "recommend a sci-fi movie " + "very " * 2000)
        (embed,) = long_request.body["embeds"]
        assert "very long" in embed["footer"]["text"]  # the core says it read only part of it
        assert len(embed["fields"]) == 5
        noise = await bot.mention(CHAN_A2, "x" * 10_000)
        assert noise.body["content"] and len(noise.body["content"]) <= 2000
        assert "embeds" not in noise.body or not noise.body["embeds"]


async def test_outbound_send_posts_to_a_channel_or_a_dm(tmp_path: Path) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        digest = Reply(text="Your digest:\n1. Alien (1979) — classic", rec_id="digest-rec-1",
                       items=(ItemView("m0", "Alien", 1979, "classic"),),
                       key=ConversationKey("discord", TENANT_A, str(CHAN_A2)))
        await bot.core.store.recs.add(TENANT_A, "digest-rec-1", digest.key.as_str(), "digest", ["m0"], kind="digest")
        message_id = await bot.adapter.send(digest.key, digest)
        post = await fake.wait_request("POST", rf"/channels/{CHAN_A2}/messages")
        assert post.body["embeds"][0]["description"] == "Your digest:"
        assert await until(lambda: bot.core.store.recs.by_message(TENANT_A, "discord", message_id))
        dm_key = ConversationKey("discord", "dm", "")
        await bot.adapter.send(dm_key, Reply(text="hello", key=dm_key), user=str(ALICE))
        opened = await fake.wait_request("POST", r"/users/@me/channels")
        assert opened.body == {"recipient_id": ALICE}
        dm_post = await fake.wait_request("POST", r"/channels/\d+/messages", start=fake.requests.index(opened))
        assert dm_post.body["content"] == "hello"


def test_settings_accept_ids_as_strings_and_check_sharding() -> None:
    s = DiscordSettings(allowed_channels=["1200000000000000101"], sync_guilds=[7])  # type: ignore[list-item]
    assert s.allowed_channels == [CHAN_A] and s.sync_guilds == [7]
    with pytest.raises(ValueError, match="shard_count"):
        DiscordSettings(shard_id=0)


async def test_missing_token_is_a_clear_error(tmp_path: Path) -> None:
    from adapters.discord import DiscordAdapter

    adapter = DiscordAdapter(object(), DiscordSettings(token_env="RECBOT_TEST_NO_SUCH_TOKEN"), {})  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="RECBOT_TEST_NO_SUCH_TOKEN"):
        await adapter.start()
    await adapter.client.close()


async def test_recbot_run_starts_the_discord_adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`recbot run` with a [discord] table: the token comes from the named env var, replies flow."""
    import asyncio

    from bot.runner import run
    from tests.discord_harness import Bot

    table = '[discord]\ntoken_env = "RECBOT_TEST_DISCORD_TOKEN"\nguild_ready_timeout = 0.05\n'
    config = make_config(tmp_path, table)
    assert config.platform("discord").token_env == "RECBOT_TEST_DISCORD_TOKEN"  # type: ignore[union-attr]
    monkeypatch.setenv("RECBOT_TEST_DISCORD_TOKEN", "t0ken")
    async with fake_discord() as fake:
        with fake.patched():
            stop = asyncio.Event()
            task = asyncio.create_task(run(config, stop))
            await fake.wait_connected()
            assert fake.identifies[-1]["token"] == "t0ken"
            reply = await Bot(fake, None, None).mention(CHAN_A, "recommend a comedy movie")  # type: ignore[arg-type]
            assert reply.body["embeds"][0]["fields"]
            stop.set()
            assert await task == 0
