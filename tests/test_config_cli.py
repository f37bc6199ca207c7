"""Bad configs and unusable environments through the real CLI: one clear line, a non-zero exit, no traceback.

Each case runs ``python -m bot --config FILE ...`` in a subprocess, as an operator would. Exit code 2 is a
config error (the file says something wrong), 1 an environment error (the machine cannot run it).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE = '[generation]\nbackend = "template"\n[nlu]\nparser = "simple"\n'


def recbot(cfg: Path, *args: str, wrap: list[str] | None = None, env: dict[str, str] | None = None,
           ) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("RECBOT_", "DISCORD_", "SLACK_"))}
    full_env.update(PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HOME=str(cfg.parent),
                    **(env or {}))
    return subprocess.run([*(wrap or []), sys.executable, "-m", "bot", "--config", str(cfg), *args],
                          input="hi\n", capture_output=True, text=True, timeout=120, cwd=cfg.parent, env=full_env)


def config(tmp: Path, body: str, data: Path | None = None, recommend: str = 'engine = "simple"\n') -> Path:
    path = tmp / "recbot.toml"
    path.write_text(f'[data]\ndir = "{data or tmp / "data"}"\n{BASE}[recommend]\n{recommend}{body}',
                    encoding="utf-8")
    return path


def assert_clean_failure(r: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    assert r.returncode == code, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1, err  # one line
    for fragment in fragments:
        assert fragment in err, err


@pytest.mark.parametrize("body,recommend,fragments", [
    ('[generation]\nbackend = "gpt5"\n', "", ["[generation] backend: 'gpt5' is not one of: transformers, openai"]),
    ('[limits]\nshared = "redis"\n', "", ["[limits] shared: 'redis' is not one of: auto, memory, store"]),
    ("", 'engine = "quantum"\n', ["[recommend] engine: 'quantum' is not one of: hybrid, simple"]),
    ("", "k = -3\n", ["[recommend] k", "-3"]),
    ("[privacy]\nturn_retention_day = 30\n", "", ["[privacy] turn_retention_day: unknown setting",
                                                "did you mean 'turn_retention_days'"]),
])
def test_config_errors_exit_2_with_the_key_named(tmp_path: Path, body: str, recommend: str,
                                                 fragments: list[str]) -> None:
    if body.startswith("[generation]"):  # BASE has [generation] already: replace it
        path = tmp_path / "recbot.toml"
        path.write_text(f'[data]\ndir = "{tmp_path / "data"}"\n{body}', encoding="utf-8")
    else:
        path = config(tmp_path, body, recommend=recommend or 'engine = "simple"\n')
    r = recbot(path, "chat")
    assert_clean_failure(r, 2, "recbot: config error:", *fragments)
    assert not (tmp_path / "data" / "recbot.db").exists()  # refused before anything was opened


def test_nlu_parser_typo(tmp_path: Path) -> None:
    path = tmp_path / "recbot.toml"
    path.write_text('[generation]\nbackend = "template"\n[nlu]\nparser = "fulll"\n', encoding="utf-8")
    assert_clean_failure(recbot(path, "chat"), 2, "[nlu] parser: 'fulll' is not one of: full, simple")


@pytest.mark.parametrize("args", [["chat"], ["export-user", "alice"], ["digest", "list"]])
def test_postgresql_unreachable(tmp_path: Path, args: list[str]) -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    path = config(tmp_path, '[store]\nurl = "postgresql://bob:s3cretpw@127.0.0.1:1/recbot"\n')
    r = recbot(path, *args)
    assert_clean_failure(r, 1, "cannot reach PostgreSQL at postgresql://127.0.0.1:1/recbot")
    assert "s3cretpw" not in r.stderr + r.stdout


def test_discord_without_a_token(tmp_path: Path) -> None:
    path = config(tmp_path, '[discord]\ntoken_env = "RECBOT_TEST_UNSET_TOKEN"\n')
    assert_clean_failure(recbot(path, "run"), 2, "[discord] needs the bot token",
                         "RECBOT_TEST_UNSET_TOKEN")


def test_data_dir_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    path = config(tmp_path, "", data=tmp_path / "afile")
    assert_clean_failure(recbot(path, "chat"), 1, f"the data directory {tmp_path / 'afile'} is a file")


def test_data_dir_read_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    path = config(tmp_path, "", data=data)
    if os.geteuid() != 0:
        data.chmod(0o555)
        wrap = None
    else:
        # root writes through permissions: mount the directory read-only in a private mount namespace.
        if shutil.which("unshare") is None or subprocess.run(
                ["unshare", "-m", "mount", "--bind", "-o", "ro", str(data), str(data)],
                capture_output=True).returncode != 0:
            pytest.skip("running as root without mount namespaces: cannot make a directory read-only")
        wrap = ["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', str(data)]
    try:
        r = recbot(path, "chat", wrap=wrap)
    finally:
        data.chmod(0o755)
    assert_clean_failure(r, 1, f"the data directory {data} is not usable")
    assert "ead-only file system" in r.stderr or "ermission denied" in r.stderr


def _database(tmp_path: Path) -> Path:
    """A real recbot database (created by a chat), closed."""
    path = config(tmp_path, "")
    assert recbot(path, "chat").returncode == 0
    return tmp_path / "data" / "recbot.db"


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_damaged_database_file(tmp_path: Path, damage: str) -> None:
    db = _database(tmp_path)
    if damage == "garbage":
        db.write_bytes(b"this is not a database " * 200)
    else:
        db.write_bytes(db.read_bytes()[: db.stat().st_size // 4])
    for args in (["chat"], ["export-user", "alice"]):
        assert_clean_failure(recbot(tmp_path / "recbot.toml", *args), 1, f"the SQLite database {db}",
                             "damaged or not a recbot database")


def test_database_path_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "db-dir").mkdir()
    path = config(tmp_path, f'[store]\nurl = "sqlite:///{tmp_path / "db-dir"}"\n')
    assert_clean_failure(recbot(path, "chat"), 1, f"the SQLite database {tmp_path / 'db-dir'} is a directory")


def test_database_from_a_newer_recbot(tmp_path: Path) -> None:
    db = _database(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_version (version) VALUES (999)")
    conn.close()
    assert_clean_failure(recbot(tmp_path / "recbot.toml", "chat"), 1,
                         "database schema v999 is newer than this recbot", "upgrade recbot")


@pytest.mark.parametrize("mode,fragments", [
    ("socket", ["a bot token in RECBOT_T_BOT", "an app-level token in RECBOT_T_APP"]),
    ("http", ["the signing secret in RECBOT_T_SIGN"]),
])
def test_slack_without_its_secrets(tmp_path: Path, mode: str, fragments: list[str]) -> None:
    path = config(tmp_path, f'[slack]\nmode = "{mode}"\nbot_token_env = "RECBOT_T_BOT"\n'
                            'app_token_env = "RECBOT_T_APP"\nsigning_secret_env = "RECBOT_T_SIGN"\n')
    env = {"RECBOT_T_BOT": "xoxb-1"} if mode == "http" else {}
    assert_clean_failure(recbot(path, "run", env=env), 2, "[slack] needs", *fragments)
    assert not (tmp_path / "data" / "recbot.db").exists()  # checked before anything was opened


def test_catalog_import_into_a_data_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    (tmp_path / "items.csv").write_text("id,title\nh1,Heat\n", encoding="utf-8")
    path = config(tmp_path, "", data=tmp_path / "afile")
    r = recbot(path, "catalog", "import", str(tmp_path / "items.csv"))
    assert_clean_failure(r, 1, f"the data directory {tmp_path / 'afile'} is a file")


def test_store_url_env_that_is_not_set(tmp_path: Path) -> None:
    # Quietly using a local SQLite file instead would split a multi-instance deployment.
    path = config(tmp_path, '[store]\nurl_env = "RECBOT_TEST_UNSET_DB_URL"\n')
    assert_clean_failure(recbot(path, "chat"), 1, "url_env names RECBOT_TEST_UNSET_DB_URL, which is not set")
    assert not (tmp_path / "data" / "recbot.db").exists()
