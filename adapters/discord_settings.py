"""The [discord] config section. Kept apart from adapters/discord.py so that reading a config file never
imports discord.py (an optional extra: `pip install recbot[discord]`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from core.ports import Adapter, AdapterPlugin, CoreHandle
from core.settings import PlatformSettings


def _snowflake(value: Any) -> Any:
    # TOML may hold Discord ids as strings (they do not fit a JavaScript number): "1200000000000000101".
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


Snowflake = Annotated[int, BeforeValidator(_snowflake), Field(ge=0)]


class DiscordSettings(PlatformSettings):
    token_env: str = "DISCORD_TOKEN"  # name of the env var holding the bot token (never the token itself)
    message_content: bool = False  # privileged intent; must also be switched on in the developer portal
    allowed_channels: list[Snowflake] = Field(default_factory=list)  # followed without a mention
    sync_commands_on_start: bool = False  # normally sync once with `recbot discord sync-commands`
    sync_guilds: list[Snowflake] = Field(default_factory=list)  # empty: sync globally (slow to propagate)
    # With shard_count: run that one shard; shard_count alone: all shards in this process.
    shard_id: Annotated[int, Field(ge=0)] | None = None
    shard_count: Annotated[int, Field(ge=1)] | None = None
    guild_ready_timeout: Annotated[float, Field(ge=0)] = 2.0  # discord.py's wait for more GUILD_CREATEs

    @model_validator(mode="after")
    def _sharding(self) -> DiscordSettings:
        if self.shard_id is not None and self.shard_count is None:
            raise ValueError("shard_id needs shard_count")
        if self.shard_id is not None and self.shard_count is not None and self.shard_id >= self.shard_count:
            raise ValueError(f"shard_id must be below shard_count ({self.shard_count})")
        return self

    def missing_secrets(self, env: Mapping[str, str]) -> list[str]:
        """What the environment lacks, one phrase each (checked before anything starts)."""
        return [] if env.get(self.token_env, "").strip() else [f"the bot token in {self.token_env}"]


def _create(core: CoreHandle, settings: DiscordSettings, env: Mapping[str, str]) -> Adapter:
    from adapters.discord import DiscordAdapter  # discord.py is imported only here

    return DiscordAdapter(core, settings, env)


plugin = AdapterPlugin("discord", DiscordSettings, _create, modules=("discord",), extra="discord")
