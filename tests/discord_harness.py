"""Runs the real Discord adapter (its own discord.py client) on the real core against tests/fake_discord.

The core is built exactly as `recbot run` builds it (bot.wiring.build_app) from a config whose SQLite
file and catalog live in tmp_path; the simple NLU/recommender and template generation keep it model-free.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.discord import DiscordAdapter, DiscordSettings
from bot.config import Config, load_config
from bot.wiring import App, build_app
from tests.conftest import write_config
from tests.fake_discord import FakeDiscord, FakeGuild, Recorded

GUILD_A, GUILD_B = 1200000000000000001 << 1, 1300000000000000001 << 1
CHAN_A, CHAN_A2, CHAN_A3, THREAD_A = 1200000000000000101, 1200000000000000102, 1200000000000000103, 1200000000000000199
CHAN_B = 1300000000000000101
DM_CHAN = 1400000000000000101
ALICE, BOB, OTHER_BOT = 1500000000000000001, 1500000000000000002, 1500000000000000003

_MOVIES = [
    # (title, year, genres): eight sci-fi and six comedies, enough for several disjoint lists of five
    ("Alien", 1979, ["sci-fi", "horror"]), ("Blade Runner", 1982, ["sci-fi", "noir"]),
    ("The Terminator", 1984, ["sci-fi", "action"]), ("Arrival", 2016, ["sci-fi", "drama"]),
    ("Moon", 2009, ["sci-fi", "drama"]), ("Gattaca", 1997, ["sci-fi", "thriller"]),
    ("Solaris", 1972, ["sci-fi", "drama"]), ("Contact", 1997, ["sci-fi", "drama"]),
    ("Stalker", 1979, ["sci-fi"]), ("Brazil", 1985, ["sci-fi", "comedy"]),
    ("Airplane!", 1980, ["comedy"]), ("Groundhog Day", 1993, ["comedy", "fantasy"]),
    ("Tootsie", 1982, ["comedy"]), ("Clue", 1985, ["comedy", "mystery"]),
    ("Ghostbusters", 1984, ["comedy", "fantasy"]), ("Big", 1988, ["comedy", "fantasy"]),
]


def make_config(tmp_path: Path, extra: str = "") -> Config:
    """SQLite and a 16-movie catalog under tmp_path; ``extra`` is appended TOML (e.g. a [discord] table)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    catalog = tmp_path / "movies.jsonl"
    catalog.write_text("\n".join(json.dumps({
        "id": f"m{n}", "title": t, "year": y, "genres": g, "domain": "movie", "creator": f"Director {n}",
        "description": f"{t} is a {' '.join(g)} film.", "popularity": 100 - n,
    }) for n, (t, y, g) in enumerate(_MOVIES)), encoding="utf-8")
    body = f'[catalog]\nbundled = false\nfiles = ["{catalog}"]\n{extra}'
    return load_config(write_config(tmp_path, body))


def make_fake() -> FakeDiscord:
    return FakeDiscord([FakeGuild(GUILD_A, "Guild A", [CHAN_A, CHAN_A2, CHAN_A3], {THREAD_A: CHAN_A}),
                        FakeGuild(GUILD_B, "Guild B", [CHAN_B])])


@dataclass
class Bot:
    fake: FakeDiscord
    app: App
    adapter: DiscordAdapter

    @property
    def core(self) -> Any:
        return self.app.core

    async def mention(self, channel: int, text: str, *, user: int = ALICE, mention: bool = True) -> Recorded:
        """A person's message (by default @-mentioning the bot); returns the bot's POSTed reply."""
        start = len(self.fake.requests)
        content = f"<@{self.fake.bot_id}> {text}" if mention else text
        msg = self.fake.message_payload(channel, self.fake.user(user, f"user{user % 100}"), content,
                                        mentions=[self.fake.bot_user()] if mention else [])
        await self.fake.dispatch("MESSAGE_CREATE", msg)
        return await self.fake.wait_request("POST", r"/channels/\d+/messages", start=start)

    async def posted_and_mapped(self, reply: Recorded, tenant: str) -> dict[str, Any]:
        """The message the fake stored for a POST, once the adapter reported it to the core."""
        message = next(m for m in reversed(self.fake.messages.values()) if m["embeds"] == reply.body["embeds"])
        await until(lambda: self.core.store.recs.by_message(tenant, "discord", message["id"]))
        return message

    async def react(self, message: dict[str, Any], emoji: str, *, user: int = ALICE, added: bool = True) -> None:
        """Add (or remove) a reaction the way Discord's gateway sends it. An add carries the reacting
        member and the message's author; a REMOVE carries neither, so only the message id says whose
        message it was."""
        guild_id = message.get("guild_id")
        data: dict[str, Any] = {
            "user_id": str(user), "channel_id": message["channel_id"], "message_id": message["id"],
            "emoji": {"id": None, "name": emoji}, "type": 0, "burst": False,
        }
        if guild_id:
            data["guild_id"] = guild_id
        if added:
            data["message_author_id"] = message["author"]["id"]
            if guild_id:
                data["member"] = {"user": self.fake.user(user), "roles": [],
                                  "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False, "mute": False, "flags": 0}
        await self.fake.dispatch("MESSAGE_REACTION_ADD" if added else "MESSAGE_REACTION_REMOVE", data)

    def someones_message(self, channel: int, *, author: int = BOB) -> dict[str, Any]:
        """A message a person posted (not the bot): what a reaction on someone else's message is about."""
        return self.fake.message_payload(channel, self.fake.user(author, f"user{author % 100}"), "hello")

    async def settle(self) -> None:
        """Wait until every gateway event dispatched so far has been handled.

        The gateway is ordered and discord.py starts one handler task per event in that order, so after a
        round trip (a mention answered) every earlier handler has started; then wait for them to end."""
        await self.mention(CHAN_A3, "hi")
        await until(lambda: _true(not self.adapter._inflight))


async def _true(value: bool) -> bool:
    return value


async def until(probe: Callable[[], Awaitable[Any]], *, tries: int = 500) -> Any:
    """Poll an async probe until it returns something truthy (bounded by tries, not by a clock)."""
    for _ in range(tries):
        if result := await probe():
            return result
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")


@asynccontextmanager
async def running_bot(fake: FakeDiscord, config: Config, settings: DiscordSettings | None = None,
                      identifies: int = 1) -> AsyncIterator[Bot]:
    """One process's worth of bot: core from bot.wiring + adapter + discord.py client, connected."""
    app = await build_app(config)
    # The fake sends every guild at once, so discord.py need not wait its default 2 s for stragglers.
    settings = settings or DiscordSettings(guild_ready_timeout=0.05)
    adapter = DiscordAdapter(app.core, settings, {"DISCORD_TOKEN": "test-token"})
    connected = len(fake.identifies)
    try:
        with fake.patched():
            await adapter.start()
            await asyncio.wait_for(adapter.wait_until_ready(), 30)
            assert len(fake.identifies) == connected + identifies  # one per shard
            yield Bot(fake, app, adapter)
    finally:
        await adapter.stop()
        await app.aclose()


@asynccontextmanager
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    fake = make_fake()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
