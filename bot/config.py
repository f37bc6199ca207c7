"""Configuration: a TOML file (optional) validated by one typed model per section; secrets only by env name.

Each section is a ``core.settings.Settings`` model; the ones the core reads are defined next to the code
that uses them (``[recommend]`` in core/recommend/settings.py, ``[generation]`` in
core/generation/factory.py, ``[digests]`` in core/digests/settings.py, ``[feedback]`` in core/feedback.py),
the platform sections next to their adapters (each adapter plugin's own model, found through the
``recbot.adapters`` entry points: bot/plugins.py), the application's own sections here. To add a setting, add one line to its section's class (see
core/settings.py) and a commented line to config.example.toml; to add a section, add one field to
``Config``. Unknown sections and keys, wrong types, out-of-range values and unknown choices are errors
naming the key and what is valid, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from bot.plugins import discover
from core.digests.settings import DigestSettings
from core.feedback import FeedbackSettings
from core.generation.factory import GenerationSettings
from core.recommend.settings import RecommendSettings
from core.settings import Device, PlatformSettings, Settings, SettingsError, did_you_mean, parse_section

ConfigError = SettingsError  # one error type for every section, core or platform

PG_PREFIXES = ("postgresql://", "postgres://")


def default_data_dir() -> Path:
    if env := os.environ.get("RECBOT_DATA_DIR"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "recbot"


class DataSettings(Settings):
    dir: str = ""  # empty: $RECBOT_DATA_DIR, else ~/.local/share/recbot


class StoreSettings(Settings):
    url: str = ""  # empty: sqlite file <data dir>/recbot.db; "sqlite:///path" or "postgresql://..."
    url_env: str = ""  # or: the env var holding the URL (keeps a password out of the file)
    # PostgreSQL schema (empty: the server's default search_path). Named db_schema in code because
    # pydantic models have a `schema` attribute of their own.
    db_schema: str = Field("", alias="schema")

    @field_validator("db_schema")
    @classmethod
    def _identifier(cls, name: str) -> str:
        if name and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"{name!r} is not a schema name: lowercase letters, digits and _, up to 63")
        return name

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        if url and not url.startswith(("sqlite:///", *PG_PREFIXES)):
            raise ValueError('must be empty, "sqlite:///path" or "postgresql://user@host/db"')
        return url

    @model_validator(mode="after")
    def _one_source(self) -> StoreSettings:
        if self.url and self.url_env:
            raise ValueError("set url or url_env, not both")
        return self

    def resolved_url(self) -> str:
        return os.environ.get(self.url_env, "") if self.url_env else self.url


class CatalogSettings(Settings):
    bundled: bool = True  # include the bundled demo catalog (movies and books)
    files: list[str] = Field(default_factory=list)  # extra JSONL catalogs (as written by `catalog import`)


class NluSettings(Settings):
    parser: Literal["full", "simple"] = "full"  # full: rapidfuzz + VADER + embeddings; simple: keywords


class EmbeddingSettings(Settings):
    model: str = ""  # empty: bundled all-MiniLM-L6-v2; or a local path / hub name
    device: Device = "cpu"
    multilingual: bool = False  # set true with a multilingual model to accept non-English chats


class LimitsSettings(Settings):
    messages_per_minute: Annotated[float, Field(ge=0)] = 20.0  # per user on Discord/Slack; 0 disables
    burst: Annotated[int, Field(ge=1)] = 8  # messages a user may send at once before the rate applies
    # Where the buckets live: "memory" (per process), "store" (the shared database, one bucket per person
    # across instances), "auto" (store on PostgreSQL, memory on SQLite).
    shared: Literal["auto", "memory", "store"] = "auto"


class PrivacySettings(Settings):
    turn_retention_days: Annotated[float, Field(ge=0)] = 0.0  # delete turns older than this; 0 = keep
    retention_check_hours: Annotated[float, Field(gt=0)] = 24.0

    @classmethod
    def from_mapping(cls, raw: dict[str, object] | None) -> PrivacySettings:
        return parse_section(cls, "privacy", raw)


class LoggingSettings(Settings):
    # Case-insensitive, as Python's logging takes it ("info" = "INFO").
    level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
                     BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v)] = "WARNING"
    as_json: bool = Field(False, alias="json")  # JSON lines instead of plain text


class Config(Settings):
    """The whole file. A section left out takes its model's defaults."""

    data: DataSettings = Field(default_factory=DataSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    nlu: NluSettings = Field(default_factory=NluSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    recommend: RecommendSettings = Field(default_factory=RecommendSettings)
    generation: GenerationSettings = Field(default_factory=GenerationSettings)
    feedback: FeedbackSettings = Field(default_factory=FeedbackSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    digests: DigestSettings = Field(default_factory=DigestSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    # Adapter sections by platform name ([discord], [slack], [telegram], [console], or a third-party
    # plugin's): present = on for `recbot run`. Filled by parse_config from each plugin's own model.
    platforms: dict[str, PlatformSettings] = Field(default_factory=dict)

    def platform(self, name: str) -> PlatformSettings | None:
        """The section of one platform, or None when the config does not turn it on."""
        return self.platforms.get(name)

    @property
    def data_dir(self) -> Path:
        return Path(self.data.dir).expanduser() if self.data.dir else default_data_dir()

    @property
    def sqlite_path(self) -> Path:
        url = self.store.url
        if url.startswith("sqlite:///"):
            return Path(url.removeprefix("sqlite:///")).expanduser()
        return self.data_dir / "recbot.db"


def parse_config(raw: dict[str, object]) -> Config:
    """A parsed TOML document as a Config; every problem in it in one SettingsError.

    Platform sections are validated by the model of the adapter plugin of that name.
    """
    plugins = discover()
    core_sections = {f.alias or name for name, f in Config.model_fields.items() if name != "platforms"}
    unknown = [k for k in raw if k not in core_sections and k not in plugins]
    if unknown:
        valid = sorted(core_sections | set(plugins))
        raise SettingsError(f"[{unknown[0]}]: unknown section; valid: {', '.join(valid)}"
                            f"{did_you_mean(unknown[0], valid)}")
    platforms = {k: parse_section(plugins[k].settings, k, v) for k, v in raw.items() if k in plugins}
    config = parse_section(Config, "", {k: v for k, v in raw.items() if k not in plugins})
    return config.model_copy(update={"platforms": platforms})


def load_config(path: Path | None = None) -> Config:
    """Load a TOML file over the defaults; no file (None and no $RECBOT_CONFIG) means defaults."""
    if path is None:
        env = os.environ.get("RECBOT_CONFIG")
        path = Path(env) if env else None
    if path is None:
        return Config()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read the config file {path}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    return parse_config(raw)
