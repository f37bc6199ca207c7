"""Digests through the whole app: `/digest` commands via DialogueCore, feedback on a digest teaching the
model, the terminal chat, and the `recbot digest` CLI in a subprocess."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import load_config
from bot.wiring import App, build_app
from core.events import ButtonAction, ConversationKey, Reply
from tests.conftest import ROOT, pg_url_or_skip, write_config
from tests.digest_support import (
    Clock,
    RecordingOutbound,
    command,
    small_catalog,
    sub_id_of,
    write_catalog_file,
)
from tests.helpers import button, msg, reaction


def _config_body(tmp_path: Path) -> str:
    catalog = write_catalog_file(tmp_path / "films.jsonl", small_catalog())
    return (f'[catalog]\nbundled = false\nfiles = ["{catalog}"]\n'
            '[digests]\ndefault_timezone = "Europe/Berlin"\n')


class AdapterOutbound(RecordingOutbound):
    """Posts like a platform adapter does: after posting, tell the core the message id."""

    def __init__(self, app: App) -> None:
        super().__init__()
        self.app = app

    async def send(self, key: ConversationKey, reply: Reply, user: str | None = None) -> str:
        message_id = await super().send(key, reply, user)
        await self.app.core.message_posted(reply, message_id)
        return message_id


async def test_digest_commands_and_feedback_through_the_core(tmp_path: Path) -> None:
    app = await build_app(load_config(write_config(tmp_path, _config_body(tmp_path))))
    try:
        assert app.digests is not None
        clock = app.digests.clock = Clock(datetime(2024, 5, 6, 6, tzinfo=UTC))  # 08:00 in Berlin
        out = AdapterOutbound(app)
        app.digests.add_outbound(out)
        (reply,) = await app.core.handle(command("subscribe daily at 09:00 size 3"))
        assert reply.ephemeral and "daily at 09:00 (Europe/Berlin)" in reply.text
        sub = sub_id_of(reply.text)
        # In plain words, too: "subscribe" reaches the digest service with the defaults.
        (worded,) = await app.core.handle(msg("please subscribe me to a digest", channel="c2"))
        assert "Subscribed" in worded.text

        report = await app.digests.run_due(clock.now + timedelta(hours=1))
        assert (sub, "d:2024-05-06") in report.sent
        key, digest, _, message_id = next(s for s in out.sent if s[0].channel == "c1")
        assert key.channel == "c1" and digest.rec_id and len(digest.items) == 3

        # A 👍 from another member on the digest message teaches the model, like any recommendation.
        await app.core.handle(reaction(message_id, "👍", user="u2"))
        prefs = await app.store.prefs.for_user("t1", "u2")
        assert {p.item_id for p in prefs} == {v.item_id for v in digest.items}
        assert all(p.kind == "reaction" and p.conv_key == key.as_str() for p in prefs)
        # The buttons work on digest items, and "why" follows the digest.
        first = digest.items[0]
        (noted,) = await app.core.handle(button(ButtonAction.LIKE, digest.rec_id, first.item_id, user="u3"))
        assert "Noted" in noted.text
        (why,) = await app.core.handle(msg("why the first one?"))
        assert first.reason in why.text

        summary = await app.core.user_summary("t1", "u1")
        assert any(sub in s for s in summary.subscriptions)
        (listing,) = await app.core.handle(command("list"))
        assert sub in listing.text
    finally:
        await app.aclose()


def _recbot(cfg: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    run = subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), *args], input=stdin,
                         capture_output=True, cwd=ROOT, timeout=300)
    return subprocess.CompletedProcess(run.args, run.returncode, run.stdout.decode(), run.stderr.decode())


def test_terminal_digest_and_the_cli(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, _config_body(tmp_path))
    chat = _recbot(cfg, "chat", "--user", "ann",
                   stdin=b"/digest subscribe daily at 08:30 quiet 22:00-07:00 size 2\n"
                         b"/digest now\n/digest list\n")
    assert chat.returncode == 0, chat.stderr
    sub = sub_id_of(chat.stdout)
    assert len(re.findall(r"^\s+\d\. Film \d+ \(\d{4}\) — ", chat.stdout, re.M)) == 2  # `/digest now`
    assert "Here it is." in chat.stdout and "quiet 22:00-07:00" in chat.stdout

    listed = _recbot(cfg, "digest", "list")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith(sub))
    assert "console:terminal" in row and "daily at 08:30 (Europe/Berlin)" in row

    sent = _recbot(cfg, "digest", "run-now", sub)
    assert sent.returncode == 0, sent.stderr
    assert f"digest {sub}: sent" in sent.stdout
    assert len(re.findall(r"^\s+\d\. Film \d+ \(\d{4}\) — ", sent.stdout, re.M)) == 2

    missing = _recbot(cfg, "digest", "run-now", "nope1234")
    assert missing.returncode == 1 and "no active digest subscription" in missing.stderr


async def test_digest_list_reads_the_configured_postgresql_store(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`recbot digest list` on a PostgreSQL deployment lists that database's subscriptions; it used to
    open (and create) a SQLite file beside the config and report "no digest subscriptions"."""
    import uuid

    import asyncpg

    from bot.digest_cli import digest_list

    url = pg_url_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    config = load_config(write_config(tmp_path, _config_body(tmp_path)
                                      + f'[store]\nurl = "{url}"\nschema = "{schema}"\n'))
    try:
        app = await build_app(config)
        try:
            (reply,) = await app.core.handle(command("subscribe daily at 09:00 size 3"))
            sub = sub_id_of(reply.text)
        finally:
            await app.aclose()
        assert await digest_list(config, None) == 0
        listed = capsys.readouterr().out
        assert any(line.startswith(sub) for line in listed.splitlines()), listed
        assert not config.sqlite_path.exists()
    finally:
        conn = await asyncpg.connect(url)
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await conn.close()
