"""Slash commands and buttons: INTERACTION_CREATE through the real client, adapter and core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.discord import DiscordSettings
from tests.discord_harness import (
    ALICE,
    CHAN_A,
    CHAN_B,
    DM_CHAN,
    GUILD_A,
    THREAD_A,
    Bot,
    fake_discord,
    make_config,
    running_bot,
    until,
)
from tests.fake_discord import FakeDiscord, Recorded

TENANT_A = str(GUILD_A)
EPHEMERAL = 64


def slash(fake: FakeDiscord, channel: int, name: str, options: list[dict[str, Any]] | None = None) -> dict:
    data = {"id": str(fake.snowflake()), "name": name, "type": 1, "options": options or []}
    return fake.interaction_payload(channel, fake.user(ALICE), 2, data)


async def interact(bot: Bot, payload: dict) -> tuple[Recorded, Recorded]:
    """Dispatch an interaction; return (the initial callback, the first follow-up) the bot sent for it."""
    start = len(bot.fake.requests)
    await bot.fake.dispatch("INTERACTION_CREATE", payload)
    callback = await bot.fake.wait_request("POST", rf"/interactions/{payload['id']}/{payload['token']}/callback",
                                           start=start)
    follow = await bot.fake.wait_request("POST", rf"/webhooks/{bot.fake.app_id}/{payload['token']}", start=start)
    assert bot.fake.requests.index(callback) < bot.fake.requests.index(follow)  # ack first, answer after
    return callback, follow


async def test_slash_commands_defer_then_follow_up(tmp_path: Path) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        query = [{"type": 3, "name": "query", "value": "a sci-fi movie"}]
        callback, follow = await interact(bot, slash(fake, CHAN_A, "recommend", query))
        assert callback.body == {"type": 5}  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, public
        assert callback.query.get("with_response") in ("1", "true")
        assert follow.query.get("wait") in ("1", "true")  # we need the message id for reactions
        (embed,) = follow.body["embeds"]
        assert embed["fields"][0]["name"] == "1. Alien (1979)"
        assert len(follow.body["components"]) == 5
        assert follow.body["allowed_mentions"]["parse"] == []
        # The follow-up message is mapped like any posted recommendation.
        posted = next(m for m in fake.messages.values() if m.get("webhook_id") and m["embeds"])
        assert await until(lambda: bot.core.store.recs.by_message(TENANT_A, "discord", posted["id"]))

        # /more continues the same conversation (channel context): nothing repeats.
        _, more = await interact(bot, slash(fake, CHAN_A, "more"))
        shown = {f["name"].split(". ", 1)[1] for f in embed["fields"]}
        assert not shown & {f["name"].split(". ", 1)[1] for f in more.body["embeds"][0]["fields"]}

        # Personal answers are ephemeral from the start (the deferral fixes the follow-up's visibility).
        callback, prefs = await interact(bot, slash(fake, CHAN_A, "prefs"))
        assert callback.body == {"type": 5, "data": {"flags": EPHEMERAL}}
        assert "taste" in prefs.body["content"]

        sub = [{"type": 1, "name": "subscribe", "options": [{"type": 3, "name": "schedule", "value": "daily"}]}]
        callback, digest = await interact(bot, slash(fake, CHAN_A, "digest", sub))
        assert callback.body["data"]["flags"] == EPHEMERAL
        assert digest.body["content"]  # this core has no digest service and says so; the route works

        _, why = await interact(bot, slash(fake, CHAN_A, "why", [{"type": 3, "name": "item", "value": "Alien"}]))
        assert "Alien" in why.body["content"]

        _, forget = await interact(bot, slash(fake, CHAN_A, "forget"))
        assert forget.body["content"].startswith("Done")


async def test_buttons_work_after_a_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    async with fake_discord() as fake:
        async with running_bot(fake, config) as first_process:
            reply = await first_process.mention(CHAN_A, "recommend a sci-fi movie")
            posted = await first_process.posted_and_mapped(reply, TENANT_A)
        # A new process: new core on the same SQLite file, new adapter, new discord.py client.
        async with running_bot(fake, config) as bot:
            assert bot.adapter.client is not first_process.adapter.client
            row = posted["components"][1]["components"]  # buttons of item 2
            like_id, more_id = row[0]["custom_id"], row[2]["custom_id"]
            item_title = reply.body["embeds"][0]["fields"][1]["name"].split(". ", 1)[1].split(" (")[0]

            press = fake.interaction_payload(CHAN_A, fake.user(ALICE), 3,
                                             {"custom_id": like_id, "component_type": 2}, message=posted)
            callback, ack = await interact(bot, press)
            assert callback.body == {"type": 6}  # DEFERRED_UPDATE_MESSAGE: silent acknowledgement
            assert ack.body["flags"] == EPHEMERAL and item_title in ack.body["content"]
            assert any(item_title in s for s in (await bot.core.user_summary(TENANT_A, str(ALICE))).likes)

            press = fake.interaction_payload(CHAN_A, fake.user(ALICE), 3,
                                             {"custom_id": more_id, "component_type": 2}, message=posted)
            _, more = await interact(bot, press)
            names = [f["name"] for f in more.body["embeds"][0]["fields"]]
            assert names and not any(item_title in n for n in names)
            assert not more.body.get("flags")  # a new public list, with its own buttons
            assert more.body["components"][0]["components"][0]["custom_id"].startswith("rb:like:")


async def test_commands_sync_only_on_request(tmp_path: Path) -> None:
    settings = DiscordSettings(sync_guilds=[GUILD_A], guild_ready_timeout=0.05)
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path), settings) as bot:
        assert not fake.matching("PUT", r"/applications/.*")  # starting does not touch commands
        assert await bot.adapter.sync_commands() == {TENANT_A: 6}
        (put,) = fake.matching("PUT", r"/applications/.*")
        assert put.path == f"/applications/{fake.app_id}/guilds/{GUILD_A}/commands"
        commands = {c["name"]: c for c in put.body}
        assert set(commands) == {"recommend", "more", "why", "prefs", "forget", "digest"}
        assert {o["name"] for o in commands["digest"]["options"]} == {"subscribe", "unsubscribe", "now", "list"}
        assert commands["recommend"]["options"][0] == {
            "type": 3, "name": "query", "description": "e.g. 'a tense sci-fi film from the 80s'", "required": False}


async def test_sharding_settings_reach_identify(tmp_path: Path) -> None:
    settings = DiscordSettings(shard_id=1, shard_count=2, guild_ready_timeout=0.05)
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path), settings) as bot:
        assert fake.identifies[-1]["shard"] == [1, 2]
        shard_guilds = {g.id for g in bot.adapter.client.guilds}
        assert shard_guilds == {g.id for g in fake.guilds if (g.id >> 22) % 2 == 1}


async def test_commands_in_threads_and_dms_keep_their_place(tmp_path: Path) -> None:
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path)) as bot:
        query = [{"type": 3, "name": "query", "value": "a comedy movie"}]
        for channel, tenant, key in ((THREAD_A, TENANT_A, f"discord:{TENANT_A}:{CHAN_A}:{THREAD_A}"),
                                     (DM_CHAN, "dm", f"discord:dm:{DM_CHAN}:")):
            _, follow = await interact(bot, slash(fake, channel, "recommend", query))
            rec_id = follow.body["components"][0]["components"][0]["custom_id"].split(":")[2]
            rec = await bot.core.store.recs.get(tenant, rec_id)
            assert rec is not None and rec.conv_key == key


async def test_sync_commands_cli_helper_needs_no_gateway_or_core() -> None:
    from adapters.discord import sync_commands

    async with fake_discord() as fake:
        with fake.patched():
            done = await sync_commands(DiscordSettings(), {"DISCORD_TOKEN": "t"})
            assert done == {"global": 6}
            assert fake.matching("PUT", rf"/applications/{fake.app_id}/commands")
            assert await sync_commands(DiscordSettings(sync_guilds=[1]), {"DISCORD_TOKEN": "t"}, [GUILD_A]) == {
                TENANT_A: 6}
        assert not fake.identifies  # REST only: the gateway was never opened


async def test_shard_count_alone_runs_every_shard_in_one_process(tmp_path: Path) -> None:
    settings = DiscordSettings(shard_count=2, guild_ready_timeout=0.05)
    async with fake_discord() as fake, running_bot(fake, make_config(tmp_path), settings, identifies=2) as bot:
        assert sorted(i["shard"] for i in fake.identifies) == [[0, 2], [1, 2]]
        assert {g.id for g in bot.adapter.client.guilds} == {g.id for g in fake.guilds}
        reply = await bot.mention(CHAN_B, "recommend a comedy movie")
        assert reply.body["embeds"]
