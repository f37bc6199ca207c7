"""Shared fixtures: configs that point every file at tmp_path, and cores built through bot.wiring."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Config, load_config
from tests.helpers import write_config
from tests.slack_support import slack, slack_api, slack_app  # noqa: F401  (fixtures for the Slack tests)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def simple_config(tmp_path: Path) -> Config:
    return load_config(write_config(tmp_path))


@pytest.fixture
async def simple_app(simple_config: Config) -> AsyncIterator[object]:
    from bot.wiring import build_app

    app = await build_app(simple_config)
    yield app
    await app.aclose()


PG_URL_ENV = "RECBOT_TEST_PG_URL"


def pg_url_or_skip() -> str:
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_URL_ENV} (CI starts a throwaway cluster: "
                    "scripts/pg-test-cluster.sh)")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[object]:
    """Opens stores on one shared database per test (call it twice for two 'instances')."""
    import uuid

    from core.store.store import Store

    opened: list[Store] = []
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = pg_url_or_skip() if request.param == "postgresql" else ""

    async def open_store() -> Store:
        store = await Store.open_url(url, tmp_path / "store.db", schema if url else None)
        opened.append(store)
        return store

    open_store.backend = request.param  # type: ignore[attr-defined]
    open_store.url = url  # type: ignore[attr-defined]
    open_store.schema = schema  # type: ignore[attr-defined]
    yield open_store
    for s in opened:
        await s.close()
    if url:
        import asyncpg

        conn = await asyncpg.connect(url)
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await conn.close()
