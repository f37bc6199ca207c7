"""Model files: the per-user converted-model cache, one conversion for racing processes, hub errors offline."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import huggingface_hub.constants
import pytest

from core.generation import model_loading
from core.generation.model_loading import default_cache_dir, fetch_hub_model


def test_cache_is_per_user_not_per_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RECBOT_MODEL_CACHE", raising=False)
    monkeypatch.setenv("RECBOT_DATA_DIR", str(tmp_path / "data-a"))  # a data dir says nothing about models
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "recbot" / "models"
    monkeypatch.setenv("RECBOT_MODEL_CACHE", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"


def test_app_generator_uses_the_shared_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from bot.config import parse_config
    from bot.wiring import build_generator

    seen: list[object] = []
    monkeypatch.setattr("core.generation.factory.build_generator", lambda s: seen.append(s.cache_dir) or "gen")
    monkeypatch.setattr("bot.wiring.require", lambda *a, **k: None)
    config = parse_config({"data": {"dir": str(tmp_path / "data")}, "generation": {"prose": "on"}})
    assert build_generator(config) == "gen"
    assert seen == [""]  # "" = default_cache_dir(), not <data dir>/models


def test_two_processes_converting_at_once_convert_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"x" * 10)
    calls: list[Path] = []

    def slow_convert(src: Path, out: Path, progress: object) -> Path:
        calls.append(out)
        time.sleep(0.3)  # the second caller arrives while this one is converting
        out.mkdir(parents=True)
        (out / "config.json").write_text("{}")
        (out / "model.safetensors").write_bytes(b"")
        return out

    monkeypatch.setattr(model_loading, "convert_gguf", slow_convert)
    results: list[tuple[Path, bool]] = []
    threads = [threading.Thread(target=lambda: results.append(
        model_loading._cached_copy(gguf, tmp_path / "cache", print))) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(calls) == 1
    assert sorted(converted for _, converted in results) == [False, True]
    assert results[0][0] == results[1][0] == tmp_path / "cache" / "tiny-10"


def test_hub_model_offline_fails_fast_with_a_clear_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # only inside this test
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="could not download the model 'someorg/some-model'.*network"):
        fetch_hub_model("someorg/some-model", progress=lambda _: None, timeout_s=2)
    assert time.monotonic() - t0 < 10


def test_hub_unreachable_fails_fast_with_a_clear_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    shown: list[str] = []
    t0 = time.monotonic()
    # Port 9 (discard) on loopback: nothing listens, so the connection is refused at once; no network used.
    with pytest.raises(RuntimeError, match="could not download.*ConnectError|could not download.*Connect"):
        fetch_hub_model("someorg/some-model", progress=shown.append, timeout_s=2, endpoint="http://127.0.0.1:9")
    assert time.monotonic() - t0 < 10
    assert shown and "Downloading the language model someorg/some-model" in shown[0]


def test_a_model_name_that_is_no_path_and_no_hub_name_is_refused() -> None:
    with pytest.raises(RuntimeError, match="neither an existing local path nor a hub name"):
        fetch_hub_model("/no/such/dir/model", progress=lambda _: None)
