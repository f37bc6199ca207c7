"""A served model reading requests and reranking, against a scripted OpenAI-compatible server on loopback.

The server answers whatever the test scripts (valid JSON, invalid JSON, JSON outside the schema, ids outside
the candidates, or nothing at all until the deadline); the bot must use only valid answers and otherwise
keep its rule-based result, quickly.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.config import load_config
from bot.wiring import build_app
from core.generation.assist import Candidate, RequestReading, build_assist
from core.generation.understanding_map import CatalogTerms, apply_reading
from core.nlu.types import Intent, Understanding
from core.recommend.catalog import load_catalog
from tests.helpers import msg, write_config

CATALOG = load_catalog(True, [])


@dataclass
class ScriptedServer:
    """Chat completions whose answer content comes from ``answer(body)``; records every request."""

    answer: Callable[[dict[str, Any]], str | None] = lambda body: "{}"
    delay_s: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        await asyncio.sleep(self.delay_s)
        content = self.answer(body)
        return web.json_response({
            "id": "x", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        })


@pytest.fixture
async def server() -> AsyncIterator[tuple[ScriptedServer, str]]:
    fake = ScriptedServer()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"http://127.0.0.1:{port}/v1"
    await runner.cleanup()


def assist(url: str, deadline_s: float = 2.0):
    made = build_assist(url, "served", "RECBOT_TEST_NO_KEY", understand=True, rerank=True, deadline_s=deadline_s,
                        rerank_top=10)
    assert made is not None
    return made


def _ids(pred, n: int) -> list[Candidate]:
    items = [i for i in CATALOG.items if pred(i)][:n]
    return [Candidate(i.item_id, i.label(), i.creator or "", i.genres) for i in items]


CANDS = _ids(lambda i: i.domain == "movie" and "sci-fi" in i.genres, 6)


async def test_request_is_read_with_a_json_schema_and_validated(server) -> None:
    fake, url = server
    fake.answer = lambda body: json.dumps({"domain": "movie", "genres": ["comedy"], "not_genres": ["gory"],
                                           "year_min": 1980, "year_max": 1989})
    a = assist(url)
    reading = await a.read_request("five 80s comedies, nothing gory")
    assert reading == RequestReading(domain="movie", genres=["comedy"], not_genres=["gory"], year_min=1980,
                                     year_max=1989)
    fmt = fake.requests[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"]["additionalProperties"] is False
    assert fake.requests[0]["temperature"] == 0
    await a.aclose()


@pytest.mark.parametrize("content", [
    "Sure! Here are the constraints: comedy",  # not JSON
    '{"genres": ["comedy"], "mood": "happy"}',  # a field outside the schema
    '{"year_min": 1990, "year_max": 1980}',  # an impossible range
    '{"year_min": "eighties"}',  # wrong type
    None,  # empty content
])
async def test_invalid_answers_are_refused(server, content: str | None) -> None:
    fake, url = server
    fake.answer = lambda body: content
    a = assist(url)
    assert await a.read_request("80s comedies") is None
    assert a.failures == 1
    await a.aclose()


async def test_a_hanging_server_costs_only_the_deadline(server) -> None:
    fake, url = server
    fake.delay_s = 30
    a = assist(url, deadline_s=0.5)
    t0 = time.monotonic()
    assert await a.read_request("80s comedies") is None
    assert await a.rerank_ids("sci-fi", CANDS) is None
    assert time.monotonic() - t0 < 3
    await a.aclose()


async def test_rerank_uses_only_candidate_ids(server) -> None:
    fake, url = server
    order = [CANDS[3].item_id, CANDS[0].item_id, CANDS[3].item_id]
    fake.answer = lambda body: json.dumps({"ids": order})
    a = assist(url)
    assert await a.rerank_ids("a thoughtful sci-fi movie", CANDS) == [CANDS[3].item_id, CANDS[0].item_id]
    sent = fake.requests[0]["messages"][1]["content"]
    assert all(c.item_id in sent and c.label in sent for c in CANDS)
    fake.answer = lambda body: json.dumps({"ids": [CANDS[1].item_id, "m-inception-2010-made-up"]})
    assert await a.rerank_ids("a thoughtful sci-fi movie", CANDS) is None  # named something it was not shown
    await a.aclose()


def test_mapping_fills_only_empty_fields_with_catalog_values() -> None:
    terms = CatalogTerms(CATALOG)
    base = Understanding(intent=Intent.RECOMMEND, genres=("horror",))
    reading = RequestReading(genres=["comedy"], not_genres=["Gory", "made-up-genre"], year_min=1980,
                             year_max=1989, creators=["Nobody Atall"], liked_titles=["alien", "No Such Film"])
    out = apply_reading(base, reading, terms)
    assert out.genres == ("horror",)  # the rules found a genre: the model does not override it
    assert out.not_genres == ("gory",) and (out.year_min, out.year_max) == (1980, 1989)
    assert out.creators == () and [m.item_id for m in out.items] == [terms.title("Alien")]
    assert out.intent == Intent.RECOMMEND


async def _app(tmp_path: Path, url: str, **switches: Any):
    config = load_config(write_config(tmp_path))
    gen = config.generation.model_validate({**config.generation.model_dump(), "backend": "openai",
                                            "openai_base_url": url, "openai_model": "served",
                                            "assist_deadline_s": 1.0, "prose": "off", **switches})
    config = config.model_copy(update={"generation": gen})
    return await build_app(config)


async def test_dialogue_uses_a_valid_reading_and_ignores_a_bad_one(server, tmp_path: Path) -> None:
    fake, url = server
    fake.answer = lambda body: json.dumps({"domain": "book", "genres": ["fantasy"]})
    app = await _app(tmp_path, url, understand=True)
    try:
        reply = (await app.core.handle(msg("something for a long flight", channel="c1")))[0]
        assert reply.items and all(app.catalog.get(i.item_id).domain == "book" for i in reply.items)
        assert "fantasy" in reply.text.splitlines()[0]
        fake.answer = lambda body: "not json at all"
        reply = (await app.core.handle(msg("a funny movie", channel="c2")))[0]
        assert reply.items and all(app.catalog.get(i.item_id).domain == "movie" for i in reply.items)
    finally:
        await app.aclose()


async def test_dialogue_rerank_reorders_and_survives_a_bad_server(server, tmp_path: Path) -> None:
    fake, url = server

    def reverse(body: dict[str, Any]) -> str:
        ids = [line.split(":", 1)[0] for line in body["messages"][1]["content"].splitlines()[2:]]
        return json.dumps({"ids": ids[::-1]})

    fake.answer = reverse
    app = await _app(tmp_path, url, rerank=True, rerank_top=8)
    try:
        reply = (await app.core.handle(msg("a funny movie from the 80s", channel="c1")))[0]
        shown = [i.item_id for i in reply.items]
        sent = [line.split(":", 1)[0] for line in fake.requests[-1]["messages"][1]["content"].splitlines()[2:]]
        assert len(sent) > len(shown) and shown == sent[::-1][: len(shown)]
        fake.answer = lambda body: json.dumps({"ids": ["m-not-in-catalog"]})
        reply = (await app.core.handle(msg("a scary movie", channel="c2")))[0]
        assert reply.items and app.core.assist.failures == 1  # refused, the recommender's order stands
        fake.delay_s = 30
        t0 = time.monotonic()
        reply = (await app.core.handle(msg("a sad movie", channel="c3")))[0]
        assert reply.items and time.monotonic() - t0 < 5
    finally:
        await app.aclose()


def test_switches_need_the_openai_backend(tmp_path: Path) -> None:
    from core.generation.factory import GenerationSettings, check_settings

    with pytest.raises(ValueError, match="need backend = \"openai\""):
        GenerationSettings(understand=True)
    check_settings(GenerationSettings(backend="openai", openai_base_url="http://127.0.0.1:1/v1",
                                      openai_model="m", understand=True, rerank=True))
