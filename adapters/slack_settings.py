"""The [slack] config section. Kept apart from the adapter so that reading a config file never imports
slack-bolt (an optional extra: `pip install recbot[slack]`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field

from core.ports import Adapter, AdapterPlugin, CoreHandle
from core.settings import PlatformSettings

CoreCommand = Literal["recommend", "more", "why", "about", "prefs", "forget", "reset", "digest", "help"]


class SlackSettings(PlatformSettings):
    mode: Literal["socket", "http"] = "socket"
    bot_token_env: str = "SLACK_BOT_TOKEN"
    # Optional "T0001=xoxb-...,T0002=xoxb-..." for several workspaces with their own installs.
    bot_tokens_env: str = "SLACK_BOT_TOKENS"
    signing_secret_env: str = "SLACK_SIGNING_SECRET"
    app_token_env: str = "SLACK_APP_TOKEN"
    host: str = "0.0.0.0"
    port: Annotated[int, Field(ge=0, le=65535)] = 3000
    path: Annotated[str, Field(pattern=r"^/")] = "/slack/events"
    api_base_url: str | None = None  # None = https://slack.com/api/; tests point it at a mock
    team_id: str | None = None  # single-workspace install: events from other workspaces are refused
    # Answer a channel mention in a thread under it, so follow-ups share one conversation.
    reply_in_thread: bool = True
    # Slack slash command -> recbot command (as in the terminal: /recommend, /why, /prefs ...).
    commands: dict[Annotated[str, Field(pattern=r"^/")], CoreCommand] = Field(default_factory=lambda: {
        "/recommend": "recommend", "/digest": "digest", "/forget": "forget", "/prefs": "prefs"})

    def missing_secrets(self, env: Mapping[str, str]) -> list[str]:
        """What the environment lacks for this mode, one phrase each (checked before anything starts;
        the adapter checks again when it reads them)."""
        missing = []
        if not env.get(self.bot_token_env) and not env.get(self.bot_tokens_env):
            missing.append(f"a bot token in {self.bot_token_env} (or {self.bot_tokens_env} for several workspaces)")
        if self.mode == "socket" and not env.get(self.app_token_env):
            missing.append(f"an app-level token in {self.app_token_env} (Socket Mode)")
        if self.mode == "http" and not env.get(self.signing_secret_env):
            missing.append(f"the signing secret in {self.signing_secret_env} (HTTP mode)")
        return missing


def _create(core: CoreHandle, settings: SlackSettings, env: Mapping[str, str]) -> Adapter:
    from adapters.slack import SlackAdapter  # slack-bolt is imported only here

    return SlackAdapter(core, settings, env)


plugin = AdapterPlugin("slack", SlackSettings, _create, modules=("slack_bolt", "slack_sdk"), extra="slack")
