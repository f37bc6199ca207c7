"""The Slack workspaces this bot serves: their bot tokens, Web API clients and bolt authorization.

One workspace (team_id) is one tenant. Tokens come from the environment (never from config files) and
stay inside this object: no log line or repr shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from logging import Logger
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_settings import SlackSettings


def parse_tokens(raw: str) -> dict[str, str]:
    tokens: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        team, sep, token = part.partition("=")
        if not sep or not team.strip() or not token.strip():
            raise ValueError("bot tokens must look like TEAM_ID=xoxb-...,TEAM_ID=xoxb-...")
        tokens[team.strip()] = token.strip()
    return tokens


class SlackWorkspaces:
    """Token per workspace (or one default token), a cached Web API client per token, authorization."""

    def __init__(self, settings: SlackSettings, env: Mapping[str, str], log: Logger) -> None:
        self._settings = settings
        self._log = log
        self._default_token = env.get(settings.bot_token_env) or None
        self._tokens = parse_tokens(env.get(settings.bot_tokens_env, ""))
        if not self._default_token and not self._tokens:
            raise ValueError(f"Slack needs a bot token: set {settings.bot_token_env} or {settings.bot_tokens_env}")
        base = settings.api_base_url
        self._base_url = (base if base.endswith("/") else base + "/") if base else AsyncWebClient.BASE_URL
        self._clients: dict[str, AsyncWebClient] = {}
        self._auth_cache: dict[str, Any] = {}

    def new_client(self, token: str | None) -> AsyncWebClient:
        client = AsyncWebClient(token=token, base_url=self._base_url, logger=self._log)
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
        return client

    def token_for(self, team_id: str | None) -> str | None:
        if self._settings.team_id and team_id and team_id != self._settings.team_id:
            return None
        return self._tokens.get(team_id or "") or self._default_token

    def client(self, tenant: str) -> AsyncWebClient:
        token = self.token_for(tenant)
        if token is None:
            raise LookupError(f"no Slack token for workspace {tenant}")
        return self.client_for_token(token)

    def client_for_token(self, token: str) -> AsyncWebClient:
        if token not in self._clients:
            self._clients[token] = self.new_client(token)
        return self._clients[token]

    async def authorize(self, team_id: str | None) -> AuthorizeResult | None:
        token = self.token_for(team_id)
        if token is None:
            self._log.warning("slack: refused a request from workspace %s (not installed here)", team_id)
            return None
        if token not in self._auth_cache:  # auth.test once per token: it names the bot user to ignore
            self._auth_cache[token] = await self.client_for_token(token).auth_test()
        return AuthorizeResult.from_auth_test_response(bot_token=token, auth_test_response=self._auth_cache[token])
