"""Adapter discovery: every platform is a plugin registered under the ``recbot.adapters`` entry points.

recbot's own adapters (console, discord, slack, telegram) register themselves in pyproject.toml exactly
as a third-party package would (``[project.entry-points."recbot.adapters"] matrix = "pkg.mod:plugin"``),
so adding a platform touches neither core/ nor bot/: a package with an ``AdapterPlugin`` and an entry
point, and a config section of the same name turns it on.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from core.ports import AdapterPlugin
from core.settings import SettingsError

GROUP = "recbot.adapters"


@lru_cache(maxsize=1)
def discover() -> dict[str, AdapterPlugin]:
    """Platform name -> its plugin, for every installed adapter (loading only its settings module)."""
    found: dict[str, AdapterPlugin] = {}
    for ep in entry_points(group=GROUP):
        try:
            plugin = ep.load()
        except ImportError as e:  # a broken third-party package must not hide the others
            raise SettingsError(f"the adapter plugin {ep.name!r} ({ep.value}) cannot be loaded: {e}") from None
        if not isinstance(plugin, AdapterPlugin) or plugin.name != ep.name:
            raise SettingsError(f"the entry point {ep.name!r} ({ep.value}) is not an AdapterPlugin named "
                                f"{ep.name!r}")
        found[ep.name] = plugin
    return dict(sorted(found.items()))
