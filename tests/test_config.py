from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config


def test_defaults_need_no_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RECBOT_CONFIG", raising=False)
    monkeypatch.setenv("RECBOT_DATA_DIR", str(tmp_path / "d"))
    cfg = load_config()
    assert cfg.data_dir == tmp_path / "d" and cfg.sqlite_path == tmp_path / "d" / "recbot.db"


def test_example_config_is_valid() -> None:
    cfg = load_config(Path(__file__).parent.parent / "config.example.toml")
    assert cfg.recommend.k >= 1


@pytest.mark.parametrize("body,msg", [
    ("[recommend]\nkk = 1\n", "unknown setting"),
    ("[recommend]\nk = 'five'\n", "expected int"),
    ("[nope]\nx = 1\n", "unknown setting"),
    ("[recommend\n", "invalid TOML"),
])
def test_bad_config_is_a_clear_error(tmp_path: Path, body: str, msg: str) -> None:
    p = tmp_path / "c.toml"
    p.write_text(body)
    with pytest.raises(ConfigError, match=msg):
        load_config(p)
