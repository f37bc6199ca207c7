"""The typed settings layer: every section checked, every default defined once, the example complete."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.config import Config, ConfigError, load_config, parse_config
from bot.plugins import discover
from core.feedback import NEGATIVE_DEFAULT, POSITIVE_DEFAULT, FeedbackService
from core.recommend.settings import RecommendSettings, RecSettings

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def sections() -> dict[str, type[BaseModel]]:
    """Every config section: the Config's own and each installed adapter plugin's."""
    out = {}
    for name, field in Config.model_fields.items():
        for typ in (field.annotation, *typing.get_args(field.annotation)):
            if isinstance(typ, type) and issubclass(typ, BaseModel) and name != "platforms":
                out[name] = typ
    out.update({name: plugin.settings for name, plugin in discover().items()})
    return out


def keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def test_defaults_need_no_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RECBOT_CONFIG", raising=False)
    monkeypatch.setenv("RECBOT_DATA_DIR", str(tmp_path / "d"))
    cfg = load_config()
    assert cfg.data_dir == tmp_path / "d" and cfg.sqlite_path == tmp_path / "d" / "recbot.db"


def test_example_config_is_valid_and_shows_the_defaults() -> None:
    # Every value the example sets is the model's default: the example documents, it does not redefine.
    assert load_config(EXAMPLE).model_dump() == Config().model_dump()


def test_example_documents_every_setting() -> None:
    documented: dict[str, set[str]] = {}
    section = ""
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"#?\s*\[(\w+)\]", line):
            section = m.group(1)
        elif m := re.match(r"#?\s*(\w+)\s*=", line):
            documented.setdefault(section, set()).add(m.group(1))
    for name, model in sections().items():
        missing = set(keys(model)) - documented.get(name, set())
        assert not missing, f"[{name}] settings missing from config.example.toml: {sorted(missing)}"


def test_feedback_defaults_reach_the_app() -> None:
    # The emoji defaults are core/feedback.py's, not a second list in the app's config.
    cfg = Config()
    assert cfg.feedback.positive == POSITIVE_DEFAULT and cfg.feedback.negative == NEGATIVE_DEFAULT
    assert cfg.feedback.emoji_map().value("star2") == 1.0
    assert RecommendSettings().half_life_days == FeedbackService.half_life_days


@pytest.mark.parametrize("body,fragments", [
    # Issue 15 item 9 and 10: each of these was accepted (or crashed later) before.
    ('[recommend]\nengine = "quantum"\n', ["[recommend] engine", "'quantum'", "hybrid, simple"]),
    ('[nlu]\nparser = "fulll"\n', ["[nlu] parser", "full, simple", "did you mean 'full'"]),
    ("[recommend]\nk = -3\n", ["[recommend] k", "greater than or equal to 1", "-3"]),
    ("[privacy]\nturn_retention_day = 30\n",
     ["[privacy] turn_retention_day: unknown setting", "retention_check_hours, turn_retention_days",
      "did you mean 'turn_retention_days'"]),
    ('[generation]\nbackend = "gpt5"\n', ["[generation] backend", "transformers, openai, template"]),
    ('[limits]\nshared = "redis"\n', ["[limits] shared", "auto, memory, store"]),
    ('[generation]\nbackend = "openai"\n', ["openai_base_url and openai_model"]),
    ("[recommend]\nkk = 1\n", ["[recommend] kk: unknown setting", "engine, half_life_days, k,"]),
    ("[recommend]\nk = 'five'\n", ["[recommend] k", "valid integer", "'five'"]),
    ("[recommend]\nk = 5.0\n", ["[recommend] k", "valid integer"]),
    ("[catalog]\nbundled = 1\n", ["[catalog] bundled", "boolean"]),
    ("[nope]\nx = 1\n", ["[nope]: unknown section", "catalog, console, data, digests, discord", "telegram"]),
    ("[recomend]\nk = 1\n", ["did you mean 'recommend'"]),
    ("recommend = 5\n", ["[recommend]", "must be a table"]),
    ('[store]\nurl = "mysql://u:hunter2@h/db"\n', ["[store] url", "postgresql://"]),
    ('[store]\nurl = "sqlite:///x.db"\nurl_env = "DB"\n', ["[store] set url or url_env, not both"]),
    ('[store]\nschema = "Bad-Name"\n', ["[store] schema", "not a schema name"]),
    ('[embedding]\ndevice = "gpu"\n', ["[embedding] device", "cuda:N"]),
    ('[logging]\nlevel = "verbose"\n', ["[logging] level", "DEBUG, INFO, WARNING"]),
    ('[feedback]\npositive = ["👍", "👎"]\n', ["[feedback]", "both list 👎"]),
    ("[digests]\ntenant_limits = { T1 = -1 }\n", ["[digests] tenant_limits.T1", "greater than or equal to 0"]),
    ("[digests]\nsend_timeout_seconds = 400\n", ["[digests]", "below lease_seconds"]),
    ("[discord]\ntoken = \"abc\"\n", ["[discord] token: unknown setting", "did you mean 'token_env'"]),
    ("[discord]\nshard_id = 3\nshard_count = 2\n", ["[discord]", "shard_id must be below shard_count"]),
    ('[slack]\nmode = "sockets"\n', ["[slack] mode", "socket, http", "did you mean 'socket'"]),
    ('[slack]\ncommands = { "/x" = "recomend" }\n', ["[slack] commands./x", "did you mean 'recommend'"]),
    ("[slack]\nport = 70000\n", ["[slack] port", "less than or equal to 65535"]),
    ("[recommend\n", ["invalid TOML"]),
])
def test_bad_config_is_a_clear_error(tmp_path: Path, body: str, fragments: list[str]) -> None:
    p = tmp_path / "c.toml"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    msg = str(err.value)
    assert "\n" not in msg and "hunter2" not in msg
    for fragment in fragments:
        assert fragment in msg, msg


def test_every_section_refuses_unknown_keys_and_names_the_valid_ones() -> None:
    for name, model in sections().items():
        with pytest.raises(ConfigError) as err:
            parse_config({name: {"no_such_setting": 1}})
        msg = str(err.value)
        assert msg.startswith(f"[{name}] no_such_setting: unknown setting; valid: ")
        assert all(k in msg for k in keys(model)), msg


def test_every_choice_setting_lists_its_choices() -> None:
    checked = 0
    for name, model in sections().items():
        for key, field in model.model_fields.items():
            if typing.get_origin(field.annotation) is typing.Literal:
                with pytest.raises(ConfigError) as err:
                    parse_config({name: {field.alias or key: "no-such-choice"}})
                choices = typing.get_args(field.annotation)
                assert all(str(c) in str(err.value) for c in choices), err.value
                checked += 1
    assert checked >= 7  # nlu, recommend, generation x2, limits, logging, slack


def test_several_problems_are_reported_together() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"recommend": {"k": 0}, "nlu": {"parser": "x"}})
    assert "[recommend] k" in str(err.value) and "[nlu] parser" in str(err.value)


def test_types_are_checked_inside_lists_and_ids_may_be_strings() -> None:
    cfg = parse_config({"discord": {"allowed_channels": ["1200000000000000101", 7]}})
    discord = cfg.platform("discord")
    assert discord is not None and discord.allowed_channels == [1200000000000000101, 7]  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match=r"\[discord\] allowed_channels.0"):
        parse_config({"discord": {"allowed_channels": ["general"]}})
    with pytest.raises(ConfigError, match=r"\[catalog\] files.1"):
        parse_config({"catalog": {"files": ["a.jsonl", 3]}})


def test_engine_settings_come_from_the_app_section() -> None:
    st = RecommendSettings(half_life_days=7.0, ratings_prior="/x/ml/ratings.csv").engine_settings()
    assert st.prefs.half_life_days == 7.0 and st.movielens_dir == "/x/ml"
    assert RecSettings.from_mapping({"w_pop": 0.3, "cf": {"use_als": False}}).cf.use_als is False
    # A table of engine knobs with a typo is an error naming the valid keys, not a silent drop.
    with pytest.raises(ConfigError, match=r"\[recommend\] w_popp: unknown setting.*did you mean 'w_pop'"):
        RecSettings.from_mapping({"w_popp": 0.3})
    with pytest.raises(ConfigError, match=r"\[recommend.cf\] use_alss: unknown setting"):
        RecSettings.from_mapping({"cf": {"use_alss": False}})


def test_choice_case_that_always_worked_still_works() -> None:
    assert parse_config({"generation": {"backend": "Template"}}).generation.backend == "template"
    assert parse_config({"logging": {"level": "info"}}).logging.level == "INFO"
