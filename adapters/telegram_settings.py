"""The [telegram] config section. Kept apart from adapters/telegram.py so that reading a config file never
imports python-telegram-bot (an optional extra: `pip install recbot[telegram]`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import Field, field_validator

from core.ports import Adapter, AdapterPlugin, CoreHandle
from core.settings import PlatformSettings


class TelegramSettings(PlatformSettings):
    token_env: str = "TELEGRAM_TOKEN"  # name of the env var holding the bot token (never the token itself)
    base_url: str = "https://api.telegram.org/bot"  # a local Bot API server (or a test fake)
    poll_timeout: Annotated[float, Field(gt=0)] = 30.0  # getUpdates long-poll, seconds
    # Recent lists whose item ids are too long for callback data (64 bytes) and need an index instead.
    list_cache: Annotated[int, Field(ge=1)] = 4096

    @field_validator("base_url")
    @classmethod
    def _https_or_loopback(cls, url: str) -> str:
        if not url.startswith(("https://", "http://127.", "http://localhost", "http://[::1]")):
            raise ValueError("must be https:// (or http:// on loopback for a local Bot API server)")
        return url

    def missing_secrets(self, env: Mapping[str, str]) -> list[str]:
        return [] if env.get(self.token_env, "").strip() else [self.token_env]


def _create(core: CoreHandle, settings: TelegramSettings, env: Mapping[str, str]) -> Adapter:
    from adapters.telegram import TelegramAdapter  # python-telegram-bot is imported only here

    return TelegramAdapter(core, settings, env)


plugin = AdapterPlugin("telegram", TelegramSettings, _create, modules=("telegram",), extra="telegram")
