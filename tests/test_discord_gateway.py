"""`recbot run` with Discord when the gateway dies: it resumes where discord.py can, and otherwise exits
with status 1 and one ERROR line saying why, so systemd or Docker restart it (before, the process
stayed up, silent, after logging "Discord gateway stopped").

The real runner (bot.runner.run: config, core, adapter, discord.py client) against the loopback fake
Discord (tests/fake_discord.py).
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from pathlib import Path

import pytest

from bot.runner import EXIT_PLATFORM_FAILED, run
from tests.discord_harness import ALICE, CHAN_A, fake_discord, make_config, until
from tests.fake_discord import FakeDiscord

DISCORD = "[discord]\nguild_ready_timeout = 0.05\n"
ENDS_WITHIN_S = 20  # a liveness bound: a run that does not end is the bug


async def _mention(fake: FakeDiscord, text: str) -> None:
    start = len(fake.requests)
    msg = fake.message_payload(CHAN_A, fake.user(ALICE), f"<@{fake.bot_id}> {text}", mentions=[fake.bot_user()])
    await fake.dispatch("MESSAGE_CREATE", msg)
    await fake.wait_request("POST", rf"/channels/{CHAN_A}/messages", start=start)


async def _true(value: bool) -> bool:
    return value


def _bad_zlib() -> bytes:
    return b"\x00garbage" + zlib.compressobj().flush(zlib.Z_SYNC_FLUSH)  # ends like a frame, is not one


@pytest.mark.parametrize(("kill", "reason"), [
    (lambda fake: fake.close_gateway(4014), "code 4014: privileged intents were refused"),
    (lambda fake: fake.close_gateway(4004), "code 4004: the bot token was rejected"),
    (lambda fake: fake.send_raw("this is not JSON"), "could not be decoded (JSONDecodeError: Expecting value"),
    (lambda fake: fake.send_raw(_bad_zlib()), "could not be decoded (zlib: Error -3"),
], ids=["close-4014", "close-4004", "not-json", "not-zlib"])
async def test_a_dead_gateway_ends_recbot_run_non_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       caplog: pytest.LogCaptureFixture, kill, reason: str) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "test-token")
    caplog.set_level(logging.INFO, logger="recbot.run")
    async with fake_discord() as fake:
        with fake.patched():
            running = asyncio.create_task(run(make_config(tmp_path, DISCORD), asyncio.Event()))
            await fake.wait_connected()
            await _mention(fake, "hi")  # up and answering
            await kill(fake)
            status = await asyncio.wait_for(running, ENDS_WITHIN_S)
    assert status == EXIT_PLATFORM_FAILED
    [line] = [r for r in caplog.records if r.name == "recbot.run" and r.levelno == logging.ERROR]
    assert "discord connection ended for good" in line.getMessage() and reason in line.getMessage()
    assert "test-token" not in caplog.text


async def test_a_resumable_close_is_resumed_and_run_keeps_answering(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "test-token")
    stop = asyncio.Event()
    async with fake_discord() as fake:
        with fake.patched():
            running = asyncio.create_task(run(make_config(tmp_path, DISCORD), stop))
            await fake.wait_connected()
            await fake.close_gateway(4000)  # "unknown error": Discord lets the session resume
            await until(lambda: _true(len(fake.resumes) == 1))
            assert len(fake.identifies) == 1  # resumed, not a new session
            await _mention(fake, "hi")
            assert not running.done()
            stop.set()
            assert await asyncio.wait_for(running, ENDS_WITHIN_S) == 0


@pytest.mark.parametrize("kill", [lambda fake: fake.close_gateway(4014), lambda fake: fake.send_raw("{not json")],
                         ids=["close-4014", "not-json"])
async def test_a_dead_shard_ends_an_auto_sharded_run_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         kill) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "test-token")
    async with fake_discord() as fake:
        with fake.patched():
            config = make_config(tmp_path, DISCORD + "shard_count = 2\n")
            running = asyncio.create_task(run(config, asyncio.Event()))
            await fake.wait_connected(2)
            await kill(fake)
            assert await asyncio.wait_for(running, ENDS_WITHIN_S) == EXIT_PLATFORM_FAILED
