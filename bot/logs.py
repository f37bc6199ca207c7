"""Logging setup: plain or JSON lines, and a filter that keeps configured secrets out of every record."""

from __future__ import annotations

import json
import logging
import os
import sys

_SECRET_ENV_HINTS = ("TOKEN", "SECRET", "PASSWORD", "API_KEY")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": round(record.created, 3), "level": record.levelname, "logger": record.name,
               "msg": record.getMessage()}
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class RedactSecrets(logging.Filter):
    """Replace the value of any secret-looking environment variable wherever it appears in a record."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets = [v for k, v in os.environ.items() if any(h in k.upper() for h in _SECRET_ENV_HINTS)
                        and len(v) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            msg = record.getMessage()
            for s in self.secrets:
                msg = msg.replace(s, "[redacted]")
            record.msg, record.args = msg, None
        return True


def setup_logging(level: str = "WARNING", as_json: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if as_json else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiosqlite logs every statement with its parameters at DEBUG: that would put people's messages in
    # the logs, so it stays at WARNING whatever the configured level.
    for noisy in ("aiosqlite", "asyncpg", "httpx", "openai", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
