"""Small event and config builders for tests."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

from core.events import ButtonAction, ButtonPress, Message, Reaction

_ids = itertools.count(1)


def msg(text: str, *, tenant: str = "t1", channel: str = "c1", user: str = "u1", platform: str = "test",
        thread: str | None = None) -> Message:
    return Message(platform=platform, tenant=tenant, channel=channel, user=user, event_id=f"e{next(_ids)}",
                   thread=thread, text=text)


def reaction(message_id: str, emoji: str, *, tenant: str = "t1", channel: str = "c1", user: str = "u1",
             added: bool = True, platform: str = "test") -> Reaction:
    return Reaction(platform=platform, tenant=tenant, channel=channel, user=user, event_id=f"e{next(_ids)}",
                    message_id=message_id, emoji=emoji, added=added)


def button(action: ButtonAction, rec_id: str, item_id: str, *, tenant: str = "t1", channel: str = "c1",
           user: str = "u1", platform: str = "test") -> ButtonPress:
    return ButtonPress(platform=platform, tenant=tenant, channel=channel, user=user, event_id=f"e{next(_ids)}",
                       action=action, rec_id=rec_id, item_id=item_id)


def write_config(tmp_path: Path, body: str = "", *, engines: str = "simple") -> Path:
    """A config file whose data dir is inside tmp_path; engines 'simple' keeps unit tests model-free."""
    path = tmp_path / "recbot.toml"
    engine_cfg = (
        '[nlu]\nparser = "simple"\n[recommend]\nengine = "simple"\n' if engines == "simple" else ""
    )
    path.write_text(f'[data]\ndir = "{tmp_path / "data"}"\n[generation]\nbackend = "template"\n'
                    f"{engine_cfg}{body}", encoding="utf-8")
    return path


class ErrorLog(logging.Handler):
    """Collects ERROR records: a traceback logged by a library or an adapter is a crash we hid."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        """The messages collected since the last take, and start afresh."""
        found, self.records = self.records, []
        return [r.getMessage() for r in found]
