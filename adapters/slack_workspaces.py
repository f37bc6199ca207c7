"""The Slack workspaces this bot serves: their bot tokens, Web API clients and bolt authorization.

One workspace (team_id) is one tenant. Tokens come from the environment (never from config files) and
stay inside this object: no log line or repr shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from logging import Filter, Logger, LogRecord
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
        """The token to post with in a tenant we already serve (replies, digests)."""
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

    async def authorize(self, key: str | None) -> tuple[AuthorizeResult, str] | None:
        """(bolt's authorization, tenant) for a request from installation ``key``, or None: not installed.

        A token from SLACK_BOT_TOKENS serves the installation it is listed under; the single default
        token serves the one installation auth.test names for it (and a request naming none).
        """
        tenant, token = key, self._tokens.get(key or "")
        if token is None and self._default_token:
            own = _installation(await self._auth_test(self._default_token))
            if key is None or key == own:
                tenant, token = own, self._default_token
        if self._settings.team_id and tenant != self._settings.team_id:
            token = None
        if token is None or not tenant:
            self._log.warning("slack: refused a request from workspace %s (not installed here)", key)
            return None
        return AuthorizeResult.from_auth_test_response(
            bot_token=token, auth_test_response=await self._auth_test(token)), tenant

    async def _auth_test(self, token: str) -> Any:
        if token not in self._auth_cache:  # auth.test once per token: it names the bot user to ignore
            self._auth_cache[token] = await self.client_for_token(token).auth_test()
        return self._auth_cache[token]


class RefusalLoggedOnce(Filter):
    """Bolt logs every request that ``authorize`` refused as an ERROR ("Although the app should be
    installed ..."). A workspace we are not installed in is an expected refusal, which authorize has
    already logged as a warning naming the workspace; an ERROR line would page someone for nothing."""

    def filter(self, record: LogRecord) -> bool:
        return not str(record.msg).startswith("Although the app should be installed")


def install_key(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None) -> str | None:
    """What an installation is known by: its organization for an org-wide (Enterprise Grid) install, else
    its workspace. Bolt extracts all three from the same fields it authorizes by (authorizations[0])."""
    return (enterprise_id if is_enterprise_install else team_id) or None


def _installation(auth_test: Any) -> str | None:
    """The installation a token belongs to, from its auth.test answer."""
    return install_key(auth_test.get("enterprise_id"), auth_test.get("team_id"),
                       bool(auth_test.get("is_enterprise_install")))
