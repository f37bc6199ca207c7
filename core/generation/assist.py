"""A capable model's help beyond prose: reading the request into constraints, reranking candidates.

Both run against an OpenAI-compatible server (vLLM, SGLang, `transformers serve`) with schema-constrained
output (``response_format`` = JSON schema; vLLM/SGLang enforce it while decoding), and both are checked
again here before use: the answer must parse and validate against the same pydantic model the schema came
from, finish within its deadline, and (rerank) name only ids of the candidates it was shown. Anything else
returns None and the caller keeps the rule-based result, so a bad or slow server never costs a reply.
Switches: [generation] understand, rerank (docs/generation.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.generation.prompt import sanitize_user_text

log = logging.getLogger("recbot.generation.assist")

UNDERSTAND_SYSTEM = (
    "You read one chat message asking for movie or book recommendations and fill in the JSON fields. "
    "Use only what the message says; leave a field empty (null or []) when the message does not say it. "
    "Years are four-digit (\"80s\" = 1980-1989; \"before 1980\" = year_max 1979)."
)
RERANK_SYSTEM = (
    "You order candidate recommendations by how well they fit the person's request, using what you know "
    "about the titles. Answer with the ids of the best candidates, best first; use only the given ids."
)


class RequestReading(BaseModel):
    """What the model may say about a request; every field maps onto Understanding (understanding_map.py)."""

    model_config = ConfigDict(extra="forbid")

    domain: Literal["movie", "book"] | None = None
    genres: list[str] = Field(default_factory=list, max_length=6)
    not_genres: list[str] = Field(default_factory=list, max_length=6)
    creators: list[str] = Field(default_factory=list, max_length=4)
    not_creators: list[str] = Field(default_factory=list, max_length=4)
    year_min: int | None = Field(default=None, ge=1800, le=2100)
    year_max: int | None = Field(default=None, ge=1800, le=2100)
    liked_titles: list[str] = Field(default_factory=list, max_length=5)  # titles they want things like


class Ranking(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(max_length=50)


@dataclass(frozen=True)
class Candidate:
    item_id: str
    label: str  # "Alien (1979)"
    creator: str
    genres: tuple[str, ...]


def _schema_format(name: str, model: type[BaseModel]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": model.model_json_schema()}}


class ModelAssist:
    """Structured calls to an OpenAI-compatible server. ``client`` is an ``openai.AsyncOpenAI``."""

    def __init__(self, client: Any, model: str, *, understand: bool, rerank: bool, deadline_s: float = 4.0,
                 rerank_top: int = 20) -> None:
        self.client = client
        self.model = model
        self.understand = understand
        self.rerank = rerank
        self.deadline_s = deadline_s
        self.rerank_top = rerank_top
        self.failures = 0  # answers refused (invalid, late, outside the candidates): for logs and tests

    async def _ask(self, system: str, user: str, name: str, schema: type[BaseModel], max_tokens: int) -> str | None:
        try:
            resp = await asyncio.wait_for(self.client.chat.completions.create(
                model=self.model, temperature=0, max_tokens=max_tokens,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                response_format=_schema_format(name, schema)), self.deadline_s)
            return str(resp.choices[0].message.content or "")
        except TimeoutError:
            log.info("model %s missed its %.1f s deadline", name, self.deadline_s)
        except Exception as exc:  # connection errors, HTTP errors, malformed responses
            log.info("model %s failed: %s", name, type(exc).__name__)
        self.failures += 1
        return None

    def _parse(self, raw: str | None, schema: type[BaseModel], name: str) -> Any:
        if raw is None:
            return None
        try:
            return schema.model_validate(json.loads(raw))
        except (ValueError, ValidationError) as exc:  # not JSON, or JSON outside the schema
            log.info("model %s answer rejected: %s", name, str(exc).splitlines()[0][:120])
            self.failures += 1
            return None

    async def read_request(self, text: str) -> RequestReading | None:
        """The request as structured constraints, or None (then the rule-based reading stands alone)."""
        raw = await self._ask(UNDERSTAND_SYSTEM, f'Message: """{sanitize_user_text(text)}"""', "request",
                              RequestReading, 200)
        reading = self._parse(raw, RequestReading, "request")
        if reading is not None and reading.year_min and reading.year_max and reading.year_min > reading.year_max:
            log.info("model request answer rejected: year_min after year_max")
            self.failures += 1
            return None
        return reading

    async def rerank_ids(self, text: str, candidates: Sequence[Candidate]) -> list[str] | None:
        """Candidate ids best first (only ids it was given, no repeats), or None to keep the order."""
        if len(candidates) < 2:
            return None
        lines = [f"{c.item_id}: {c.label}" + (f", {c.creator}" if c.creator else "")
                 + (f" [{', '.join(c.genres[:4])}]" if c.genres else "") for c in candidates]
        user = f'Request: """{sanitize_user_text(text)}"""\nCandidates:\n' + "\n".join(lines)
        ranking = self._parse(await self._ask(RERANK_SYSTEM, user, "ranking", Ranking, 400), Ranking, "ranking")
        if ranking is None:
            return None
        allowed = {c.item_id for c in candidates}
        outside = [i for i in ranking.ids if i not in allowed]
        if outside or not ranking.ids:
            # A model that names things it was not shown is not trusted with the order either.
            log.info("model ranking rejected: %d ids outside the candidates", len(outside))
            self.failures += 1
            return None
        return list(dict.fromkeys(ranking.ids))

    async def aclose(self) -> None:
        await self.client.close()


def merge_order(original: Sequence[str], preferred: Sequence[str], k: int) -> list[str]:
    """The model's order first, then the rest in the recommender's order; ``k`` ids."""
    seen = dict.fromkeys([*preferred, *original])
    return list(seen)[:k]


def build_assist(base_url: str, model: str, api_key_env: str, *, understand: bool, rerank: bool,
                 deadline_s: float, rerank_top: int) -> ModelAssist | None:
    if not (understand or rerank):
        return None
    import os

    from openai import AsyncOpenAI

    if not base_url or not model:
        raise ValueError("[generation] understand/rerank need openai_base_url and openai_model")
    client = AsyncOpenAI(base_url=base_url, api_key=os.environ.get(api_key_env or "", "") or "not-needed",
                         max_retries=0, timeout=deadline_s)
    return ModelAssist(client, model, understand=understand, rerank=rerank, deadline_s=deadline_s,
                       rerank_top=rerank_top)
