"""Configuration: TOML file (optional) over embedded defaults; secrets only through env var *names*.

Every setting is documented in config.example.toml. Unknown keys and wrong types are errors with the
section and key named, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import os
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from core.generation.factory import GenerationSettings


class ConfigError(ValueError):
    pass


def default_data_dir() -> Path:
    if env := os.environ.get("RECBOT_DATA_DIR"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "recbot"


@dataclass
class DataSettings:
    dir: str = ""  # empty: $RECBOT_DATA_DIR, else ~/.local/share/recbot


@dataclass
class StoreSettings:
    url: str = ""  # empty: sqlite file <data dir>/recbot.db; "sqlite:///path" or "postgresql://..."
    url_env: str = ""  # or: the env var holding the URL (keeps a password out of the file)
    schema: str = ""  # PostgreSQL schema (empty: the server's default search_path)

    def resolved_url(self) -> str:
        return os.environ.get(self.url_env, "") if self.url_env else self.url


@dataclass
class CatalogSettings:
    bundled: bool = True  # include the bundled demo catalog (movies and books)
    files: list[str] = field(default_factory=list)  # extra JSONL catalogs (as written by `catalog import`)


@dataclass
class NluSettings:
    parser: str = "full"  # "full" (rapidfuzz + VADER + embeddings) or "simple" (keywords only)


@dataclass
class EmbeddingSettings:
    model: str = ""  # empty: bundled all-MiniLM-L6-v2; or a local path / hub name
    device: str = "cpu"
    multilingual: bool = False  # set true with a multilingual model to accept non-English chats


@dataclass
class RecommendSettings:
    engine: str = "hybrid"  # "hybrid" or "simple"
    k: int = 5
    ratings_prior: str = ""  # optional MovieLens-style ratings.csv used as a CF prior
    half_life_days: float = 60.0
    retrain_minutes: float = 30.0
    pool_min_tenants: int = 0  # 0: learn per tenant; k >= 2: share associations seen in >= k tenants


@dataclass
class FeedbackSettings:
    positive: list[str] = field(default_factory=lambda: ["👍", "❤️", "⭐", "+1", "thumbsup", "heart", "star"])
    negative: list[str] = field(default_factory=lambda: ["👎", "-1", "thumbsdown"])


@dataclass
class LimitsSettings:
    messages_per_minute: float = 20.0  # per user on Discord/Slack; 0 disables
    burst: int = 8  # messages a user may send at once before the per-minute rate applies
    # Where the buckets live: "memory" (per process), "store" (the shared database, one bucket per person
    # across instances), "auto" (store on PostgreSQL, memory on SQLite).
    shared: str = "auto"


@dataclass
class LoggingSettings:
    level: str = "WARNING"
    json: bool = False


@dataclass
class Config:
    data: DataSettings = field(default_factory=DataSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    nlu: NluSettings = field(default_factory=NluSettings)
    embedding: EmbeddingSettings = field(default_factory=EmbeddingSettings)
    recommend: RecommendSettings = field(default_factory=RecommendSettings)
    # The generation section is the generator's own settings type: one definition, no copy.
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    feedback: FeedbackSettings = field(default_factory=FeedbackSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    # Platform sections are kept raw here and parsed by their adapters' own settings classes.
    # None: the platform is off; a table (even an empty one) turns it on for `recbot run`.
    discord: dict[str, Any] | None = None
    slack: dict[str, Any] | None = None
    digests: dict[str, Any] = field(default_factory=dict)
    privacy: dict[str, Any] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return Path(self.data.dir).expanduser() if self.data.dir else default_data_dir()

    @property
    def sqlite_path(self) -> Path:
        url = self.store.url
        if not url or url.startswith(("postgresql://", "postgres://")):
            return self.data_dir / "recbot.db"
        if url.startswith("sqlite:///"):
            return Path(url.removeprefix("sqlite:///")).expanduser()
        raise ConfigError(f"[store] url: not a SQLite url: {url.split('@')[-1]!r}")


def _coerce(section: str, key: str, typ: Any, value: Any) -> Any:
    origin = typing.get_origin(typ)
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if origin in (list, dict):
        if not isinstance(value, origin):
            raise ConfigError(f"[{section}] {key}: expected a {origin.__name__}, got {type(value).__name__}")
        return value
    if origin in (typing.Union, types.UnionType):
        return value
    if isinstance(typ, type) and not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise ConfigError(f"[{section}] {key}: expected {getattr(typ, '__name__', typ)}, got {value!r}")
    return value


def _build(cls: type, section: str, raw: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"[{section}] unknown setting(s): {', '.join(unknown)}")
    kwargs = {}
    for name, value in raw.items():
        typ = hints[name]
        if isinstance(typ, type) and is_dataclass(typ):
            if not isinstance(value, dict):
                raise ConfigError(f"[{name}] must be a table")
            kwargs[name] = _build(typ, name, value)
        else:
            kwargs[name] = _coerce(section, name, typ, value)
    return cls(**kwargs)


def load_config(path: Path | None = None) -> Config:
    """Load a TOML file over the defaults; no file (None, or the default path missing) means defaults."""
    if path is None:
        env = os.environ.get("RECBOT_CONFIG")
        path = Path(env) if env else None
    if path is None:
        return Config()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"config file not found: {path}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from e
    return _build(Config, "config", raw)
