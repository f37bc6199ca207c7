"""Adapters are plugins: discovered through the ``recbot.adapters`` entry points, turned on by a config
section of their name, validated by their own settings model. A third-party platform needs no change in
core/ or bot/ (shown with a package that exists only in a temp dir)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from bot.plugins import discover
from tests.conftest import ROOT
from tests.helpers import write_config

_PLUGIN = '''
import os, signal
from pathlib import Path
from core.ports import AdapterPlugin
from core.settings import PlatformSettings

class EchoSettings(PlatformSettings):
    marker: str

class EchoAdapter:
    platform = "echo"
    def __init__(self, core, settings):
        self.core, self.settings = core, settings
    async def start(self):
        Path(self.settings.marker).write_text("started")
        os.kill(os.getpid(), signal.SIGTERM)  # the service is up: ask it to stop, as systemd would
    async def stop(self):
        Path(self.settings.marker).write_text("started+stopped")
    async def send(self, key, reply, user=None):
        return "1"
    def render(self, reply):
        return reply.text

plugin = AdapterPlugin("echo", EchoSettings, lambda core, s, env: EchoAdapter(core, s))
'''


def _install_plugin(site: Path) -> None:
    (site / "echo_platform.py").write_text(textwrap.dedent(_PLUGIN), encoding="utf-8")
    dist = site / "echo_platform-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-platform\nVersion: 0.1\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[recbot.adapters]\necho = echo_platform:plugin\n", encoding="utf-8")


def _recbot(args: list[str], site: Path | None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(p for p in (str(site) if site else "", str(ROOT)) if p)
    full = {**os.environ, "PYTHONPATH": path, **(env or {})}
    full.pop("TELEGRAM_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=full,
                          cwd=ROOT, timeout=120)


def test_the_bundled_adapters_are_registered_plugins() -> None:
    plugins = discover()
    assert {"console", "discord", "slack", "telegram"} <= set(plugins)
    assert not plugins["console"].service and plugins["telegram"].service
    assert plugins["telegram"].modules == ("telegram",)


def test_a_third_party_adapter_is_discovered_configured_and_run(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _install_plugin(site)
    marker = tmp_path / "marker.txt"
    cfg = write_config(tmp_path, f'[echo]\nmarker = "{marker}"\n')
    run = _recbot(["--config", str(cfg), "run"], site)
    assert run.returncode == 0, run.stderr[-2000:]
    assert marker.read_text() == "started+stopped"
    # Its section is checked by its own model: a typo names the key and the valid ones.
    bad = write_config(tmp_path, f'[echo]\nmarkr = "{marker}"\n')
    run = _recbot(["--config", str(bad), "run"], site)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "[echo] markr: unknown setting" in run.stderr and "marker" in run.stderr
    # Without the package the section is unknown, and the message lists the platforms that exist.
    run = _recbot(["--config", str(cfg), "run"], None)
    assert run.returncode == 2 and "[echo]: unknown section" in run.stderr and "telegram" in run.stderr


def test_telegram_without_its_token_is_refused_before_anything_starts(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "[telegram]\n")
    run = _recbot(["--config", str(cfg), "run"], None)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "[telegram] needs TELEGRAM_TOKEN" in run.stderr
