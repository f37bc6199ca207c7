"""The signed HTTP endpoint of HTTP mode: signature, replay and shape checks, then slack-bolt.

Slack signs every request (HMAC of the body with the app's signing secret, timestamp within 5 minutes).
A valid signature only proves Slack sent that body once, so the same signed request is refused a second
time; a body that is signed but malformed is refused with 400 before bolt or a listener sees it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from logging import Logger
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from adapters.slack_payload import check_payload

SIGNATURE_MAX_AGE_S = 300  # Slack's documented replay window; SignatureVerifier enforces the same


class Lru:
    """Bounded insertion-ordered set; ``add`` says whether the key was new."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._d: OrderedDict[Any, Any] = OrderedDict()

    def add(self, key: Any, value: Any = None) -> bool:
        new = key not in self._d
        self._d[key] = value
        self._d.move_to_end(key)
        while len(self._d) > self._size:
            self._d.popitem(last=False)
        return new

    def get(self, key: Any, default: Any = None) -> Any:
        return self._d.get(key, default)

    def __contains__(self, key: Any) -> bool:
        return key in self._d

    def prune_older_than(self, cutoff: float) -> None:
        while self._d and next(iter(self._d.values())) < cutoff:
            self._d.popitem(last=False)


class SlackHttpEndpoint:
    """``handle`` is the aiohttp handler for the events URL (events, interactivity, slash commands)."""

    def __init__(self, app: AsyncApp, signing_secret: str, log: Logger) -> None:
        self._app = app
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._replays = Lru(50_000)  # (timestamp, signature) -> request time
        self._log = log

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not self._signature_ok(body, timestamp, signature):
            return web.json_response({"error": "invalid request"}, status=401)
        now = time.time()
        self._replays.prune_older_than(now - 2 * SIGNATURE_MAX_AGE_S)
        if not self._replays.add((timestamp, signature), now):
            self._log.warning("slack: refused a replayed request (timestamp %s)", timestamp)
            return web.json_response({"error": "replayed request"}, status=401)
        payload, problem = check_payload(body, request.content_type)
        if payload is None:
            self._log.warning("slack: refused a malformed request (%s)", problem)
            return web.json_response({"error": "malformed request", "detail": problem}, status=400)
        # Bolt gets the payload we checked, not the raw text to parse again (its form parsing mistakes any
        # body containing "payload" for interactivity). "socket_mode" is how bolt takes a parsed body; it
        # only skips bolt's own signature check, done above with replay protection. The logger in the
        # context: bolt logs through it while building the context (several response_urls) before it sets it.
        bolt_req = AsyncBoltRequest(body=payload, query=request.query_string, headers=dict(request.headers),
                                    context={"logger": self._log}, mode="socket_mode")
        return await to_aiohttp_response(await self._app.async_dispatch(bolt_req))

    def _signature_ok(self, body: bytes, timestamp: str, signature: str) -> bool:
        if self._verifier is None or not timestamp or not signature:
            return False
        try:
            return self._verifier.is_valid(body, timestamp, signature)  # also refuses > 5 min old
        except ValueError:  # a timestamp that is not a number
            return False

