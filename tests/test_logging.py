"""Logs never carry secrets, and never message text at INFO."""

from __future__ import annotations

import json
import logging

import pytest

from bot.logs import setup_logging
from tests.helpers import msg


async def test_info_logs_have_no_message_text_and_no_secrets(simple_app, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-super-secret-token-123")
    setup_logging("DEBUG", as_json=True)
    try:
        secret_text = "my private wish: a movie about my neighbour Kevin"
        await simple_app.core.handle(msg(secret_text))
        logging.getLogger("recbot.test").info("token is xoxb-super-secret-token-123")

        class Boom:
            def parse(self, *a: object) -> None:
                raise RuntimeError("parser exploded")

        simple_app.core.parser = Boom()
        replies = await simple_app.core.handle(msg("another private message about Kevin"))
        assert "went wrong" in replies[0].text
    finally:
        logging.getLogger().handlers.clear()
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert lines, "expected JSON log lines"
    assert "xoxb-super-secret-token-123" not in err and "[redacted]" in err
    assert "Kevin" not in err  # neither the message nor the failing one's text is logged
    assert any(rec["level"] == "ERROR" and "handle failed" in rec["msg"] for rec in lines)
