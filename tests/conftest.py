"""Shared fixtures: configs that point every file at tmp_path, and cores built through bot.wiring."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Config, load_config

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


def write_config(tmp_path: Path, body: str = "", *, engines: str = "simple") -> Path:
    """A config file whose data dir is inside tmp_path; engines 'simple' keeps unit tests model-free."""
    path = tmp_path / "recbot.toml"
    engine_cfg = (
        '[nlu]\nparser = "simple"\n[recommend]\nengine = "simple"\n' if engines == "simple" else ""
    )
    path.write_text(f'[data]\ndir = "{tmp_path / "data"}"\n[generation]\nbackend = "template"\n'
                    f"{engine_cfg}{body}", encoding="utf-8")
    return path


@pytest.fixture
def simple_config(tmp_path: Path) -> Config:
    return load_config(write_config(tmp_path))


@pytest.fixture
async def simple_app(simple_config: Config) -> AsyncIterator[object]:
    from bot.wiring import build_app

    app = await build_app(simple_config)
    yield app
    await app.aclose()
