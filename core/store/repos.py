"""Repositories: every method takes the tenant first and every query filters on it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from core.store.db import Database
from core.store.effects import current_effects, event_key


@dataclass(frozen=True, slots=True)
class TurnRow:
    role: str  # "user" | "bot"
    user_id: str | None
    text: str
    ts: float


@dataclass(frozen=True, slots=True)
class RecRow:
    rec_id: str
    conv_key: str
    user_id: str
    item_ids: tuple[str, ...]
    kind: str
    created: float


@dataclass(frozen=True, slots=True)
class PrefRow:
    user_id: str
    item_id: str
    value: float
    kind: str
    ts: float
    conv_key: str | None = None


class EventRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, tenant: str, platform: str, event_id: str) -> bool:
        """True the first time an event id is seen; False for a retry or duplicate delivery.

        The primary key makes this safe across processes sharing one database.
        """
        n = await self.db.execute(
            "INSERT INTO processed_events (tenant, platform, event_id, ts) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (tenant, platform, event_key(event_id), time.time()),
        )
        return n == 1

    async def seen(self, tenant: str, platform: str, event_id: str) -> bool:
        """Already handled (claimed)? A read: handling claims at the end (core/store/effects.py)."""
        return await self.db.fetchone(
            "SELECT 1 FROM processed_events WHERE tenant = ? AND platform = ? AND event_id = ?",
            (tenant, platform, event_key(event_id))) is not None


class UserRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def touch(self, tenant: str, user_id: str, platform: str, display_name: str | None) -> None:
        now = time.time()
        await self.db.execute(
            "INSERT INTO users (tenant, user_id, platform, display_name, created, last_seen) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, user_id) DO UPDATE SET last_seen = excluded.last_seen, "
            "display_name = COALESCE(excluded.display_name, users.display_name)",
            (tenant, user_id, platform, display_name, now, now),
        )

    async def get(self, tenant: str, user_id: str) -> dict[str, object] | None:
        row = await self.db.fetchone(
            "SELECT user_id, platform, display_name, created, last_seen FROM users "
            "WHERE tenant = ? AND user_id = ?",
            (tenant, user_id),
        )
        if row is None:
            return None
        return dict(zip(("user_id", "platform", "display_name", "created", "last_seen"), row, strict=True))


# A new row starts at version 1 (0 means "no row"), an update adds one; save_state_if appends its WHERE.
# The owner (a private conversation's person) is set once and never cleared by a writer that does not
# know it (a digest saving the shown items passes None).
_SAVE_STATE = (
    "INSERT INTO conversations (tenant, conv_key, state, updated, version, owner) VALUES (?, ?, ?, ?, 1, ?) "
    "ON CONFLICT (tenant, conv_key) DO UPDATE SET state = excluded.state, updated = excluded.updated, "
    "version = conversations.version + 1, owner = COALESCE(excluded.owner, conversations.owner)"
)


class ConversationRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def load_state(self, tenant: str, conv_key: str) -> dict[str, object] | None:
        return (await self.load_versioned(tenant, conv_key))[0]

    async def load_versioned(self, tenant: str, conv_key: str) -> tuple[dict[str, object] | None, int]:
        """The state and its version (0 when there is none yet)."""
        row = await self.db.fetchone(
            "SELECT state, version FROM conversations WHERE tenant = ? AND conv_key = ?", (tenant, conv_key)
        )
        return (json.loads(row[0]), int(row[1])) if row else (None, 0)

    async def save_state(self, tenant: str, conv_key: str, state: dict[str, object],
                         owner: str | None = None) -> None:
        """Write ``state`` whatever the stored version is (the version still goes up by one).
        ``owner``: the person a private conversation belongs to (None: shared, or not known here)."""
        await self.db.execute(_SAVE_STATE, (tenant, conv_key, json.dumps(state), time.time(), owner))

    async def save_state_if(self, tenant: str, conv_key: str, state: dict[str, object], version: int,
                            owner: str | None = None) -> bool:
        """Write ``state`` only if the stored version is still ``version`` (compare-and-set); the version
        goes up by one. False: somebody else saved in between (reload, merge, try again)."""
        changed = await self.db.execute(_SAVE_STATE + " WHERE conversations.version = ?",
                                        (tenant, conv_key, json.dumps(state), time.time(), owner, version))
        return changed > 0

    async def add_turn(self, tenant: str, conv_key: str, user_id: str | None, role: str, text: str,
                       addressed_to: str | None = None) -> None:
        """One turn. A bot reply has no user_id; ``addressed_to`` names the person it answered, so
        forget and export find it. While an event is handled (core/store/effects.py) the person's turn
        is keyed by the event id (a redelivery does not add it twice) and the bot's turns are written
        with the event's claim."""
        fx = current_effects()
        if fx is None:
            await self.db.execute(
                "INSERT INTO turns (tenant, conv_key, user_id, role, text, ts, addressed_to) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (tenant, conv_key, user_id, role, text, time.time(), addressed_to))
            return
        if role == "user":
            await self.db.execute(
                "INSERT INTO turns (tenant, conv_key, user_id, role, text, ts, addressed_to, event_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (tenant, conv_key, user_id, role, text, time.time(), addressed_to, fx.event_id))
            fx.kept_words = True
            return
        row = (tenant, conv_key, user_id, role, text, time.time(), addressed_to)
        fx.defer(lambda tx: tx.execute(
            "INSERT INTO turns (tenant, conv_key, user_id, role, text, ts, addressed_to) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", row))

    async def recent_turns(self, tenant: str, conv_key: str, limit: int = 20) -> list[TurnRow]:
        rows = await self.db.fetchall(
            "SELECT role, user_id, text, ts FROM turns WHERE tenant = ? AND conv_key = ? "
            "ORDER BY id DESC LIMIT ?",
            (tenant, conv_key, limit),
        )
        return [TurnRow(*r) for r in reversed(rows)]

    async def requests(self, tenant: str | None = None) -> list[tuple[str, str, dict[str, object]]]:
        """(tenant, conv_key, state) of every stored conversation (one tenant, or all when None), for
        learning which items answered which requests (core/recommend/request_learning.py)."""
        sql = "SELECT tenant, conv_key, state FROM conversations"
        rows = await (self.db.fetchall(sql) if tenant is None else self.db.fetchall(sql + " WHERE tenant = ?", (tenant,)))
        out = []
        for t, key, raw in rows:
            try:
                state = json.loads(raw)
            except (TypeError, ValueError):
                continue  # a damaged state teaches nothing; the integrity check reports it
            if isinstance(state, dict):
                out.append((str(t), str(key), state))
        return out

    async def prune_turns(self, tenant: str | None, older_than: float) -> int:
        """Retention: delete turns older than a timestamp (one tenant, or every tenant when None)."""
        if tenant is None:
            return await self.db.execute("DELETE FROM turns WHERE ts < ?", (older_than,))
        return await self.db.execute("DELETE FROM turns WHERE tenant = ? AND ts < ?", (tenant, older_than))


class RecommendationRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, tenant: str, rec_id: str, conv_key: str, user_id: str,
                  item_ids: list[str], kind: str = "chat") -> None:
        """Inside an event, written with its claim: a delivery that loses the race to another instance
        (or a crash before the claim) leaves no recommendation nobody was shown."""
        sql = ("INSERT INTO recommendations (rec_id, tenant, conv_key, user_id, item_ids, kind, created) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)")
        row = (rec_id, tenant, conv_key, user_id, json.dumps(item_ids), kind, time.time())
        if (fx := current_effects()) is not None:
            fx.defer(lambda tx: tx.execute(sql, row))
            return
        await self.db.execute(sql, row)

    async def get(self, tenant: str, rec_id: str) -> RecRow | None:
        row = await self.db.fetchone(
            "SELECT rec_id, conv_key, user_id, item_ids, kind, created FROM recommendations "
            "WHERE tenant = ? AND rec_id = ?",
            (tenant, rec_id),
        )
        return _rec(row) if row else None

    async def recent(self, tenant: str, conv_key: str, limit: int = 5) -> list[RecRow]:
        rows = await self.db.fetchall(
            "SELECT rec_id, conv_key, user_id, item_ids, kind, created FROM recommendations "
            "WHERE tenant = ? AND conv_key = ? ORDER BY created DESC LIMIT ?",
            (tenant, conv_key, limit),
        )
        return [_rec(r) for r in rows]

    async def map_message(self, tenant: str, platform: str, message_id: str, rec_id: str,
                          item_id: str | None = None) -> None:
        await self.db.execute(
            "INSERT INTO posted_messages (tenant, platform, message_id, rec_id, item_id) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (tenant, platform, message_id, rec_id, item_id),
        )

    async def by_message(self, tenant: str, platform: str, message_id: str) -> tuple[RecRow, str | None] | None:
        row = await self.db.fetchone(
            "SELECT rec_id, item_id FROM posted_messages WHERE tenant = ? AND platform = ? AND message_id = ?",
            (tenant, platform, message_id),
        )
        if row is None:
            return None
        rec = await self.get(tenant, row[0])
        return (rec, row[1]) if rec else None


def _rec(row: tuple[object, ...]) -> RecRow:
    return RecRow(str(row[0]), str(row[1]), str(row[2]), tuple(json.loads(str(row[3]))), str(row[4]),
                  float(row[5]))  # type: ignore[arg-type]


_INSERT_PREF = ("INSERT INTO preferences (tenant, user_id, conv_key, item_id, value, kind, source, ts, evidence) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


class PreferenceRepo:
    """Evidence rows (preferences) and raw reactions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, tenant: str, user_id: str, item_id: str, value: float, kind: str,
                  conv_key: str | None = None, source: str | None = None, ts: float | None = None,
                  evidence: str | None = None) -> None:
        """evidence: the message a stated preference came from (shown by /prefs, exported)."""
        row = (tenant, user_id, conv_key, item_id, value, kind, source, ts or time.time(),
               evidence[:500] if evidence else None)
        fx = current_effects()
        if fx is None or source is not None:
            await self.db.execute(_INSERT_PREF, row)
            return
        # Evidence from an event being handled: one row per (event, kind, item), replaced rather than
        # added again when a redelivery after a crash handles the event a second time.
        source = fx.source(kind)
        async with self.db.transaction() as tx:
            if self.db.dialect == "postgresql":  # two instances handling one redelivered event take turns
                await tx.execute("SELECT pg_advisory_xact_lock(727275, hashtext(?))", (source,))
            await tx.execute("DELETE FROM preferences WHERE tenant = ? AND user_id = ? AND source = ? "
                             "AND item_id = ?", (tenant, user_id, source, item_id))
            await tx.execute(_INSERT_PREF, (*row[:6], source, *row[7:]))

    async def replace_source(self, tenant: str, user_id: str, source: str, rows: list[PrefRow]) -> None:
        """The evidence of ``source`` becomes ``rows`` (none: removed). Inside an event it is written
        with the event's claim, all or nothing; otherwise in a transaction of its own."""
        async def write(tx: Any) -> None:
            await tx.execute("DELETE FROM preferences WHERE tenant = ? AND user_id = ? AND source = ?",
                             (tenant, user_id, source))
            for r in rows:
                await tx.execute(_INSERT_PREF, (tenant, user_id, r.conv_key, r.item_id, r.value, r.kind, source,
                                                r.ts, None))

        fx = current_effects()
        if fx is not None:
            fx.defer(write)
            return
        async with self.db.transaction() as tx:
            await write(tx)

    async def remove_stated(self, tenant: str, user_id: str, item_id: str) -> int:
        """Drop what the person said about one item in words ("mention"/"seen" rows): a new statement
        about it replaces the old one ("actually I didn't like X"), and "forget that I liked X" undoes it."""
        return await self.db.execute(
            "DELETE FROM preferences WHERE tenant = ? AND user_id = ? AND item_id = ? AND kind IN ('mention', 'seen')",
            (tenant, user_id, item_id),
        )

    async def stated(self, tenant: str, user_id: str, limit: int = 50) -> list[tuple[str, float, str, str | None]]:
        """(item id, value, kind, evidence) of the person's stated preferences, newest first."""
        rows = await self.db.fetchall(
            "SELECT item_id, value, kind, evidence FROM preferences WHERE tenant = ? AND user_id = ? "
            "AND kind IN ('mention', 'seen') ORDER BY ts DESC, id DESC LIMIT ?",
            (tenant, user_id, limit),
        )
        return [(str(r[0]), float(r[1]), str(r[2]), r[3]) for r in rows]

    async def remove_source(self, tenant: str, user_id: str, source: str) -> int:
        """Undo evidence from one source (e.g. a reaction that was removed)."""
        return await self.db.execute(
            "DELETE FROM preferences WHERE tenant = ? AND user_id = ? AND source = ?", (tenant, user_id, source)
        )

    async def for_user(self, tenant: str, user_id: str, limit: int = 500) -> list[PrefRow]:
        rows = await self.db.fetchall(
            "SELECT user_id, item_id, value, kind, ts, conv_key FROM preferences "
            "WHERE tenant = ? AND user_id = ? ORDER BY ts DESC LIMIT ?",
            (tenant, user_id, limit),
        )
        return [PrefRow(*r) for r in rows]

    async def for_conversation(self, tenant: str, conv_key: str, limit: int = 500) -> list[PrefRow]:
        rows = await self.db.fetchall(
            "SELECT user_id, item_id, value, kind, ts, conv_key FROM preferences "
            "WHERE tenant = ? AND conv_key = ? ORDER BY ts DESC LIMIT ?",
            (tenant, conv_key, limit),
        )
        return [PrefRow(*r) for r in rows]

    async def conversation_evidence(self, tenant: str | None = None) -> list[tuple[str, str, str, float, str, float]]:
        """(tenant, conv_key, item, value, kind, ts) of every evidence row said in a conversation, for
        learning from conversations (core/recommend/conversation_learning.py); None: every tenant."""
        sql = "SELECT tenant, conv_key, item_id, value, kind, ts FROM preferences WHERE conv_key IS NOT NULL"
        rows = await (self.db.fetchall(sql) if tenant is None
                      else self.db.fetchall(sql + " AND tenant = ?", (tenant,)))
        return [(str(a), str(b), str(c), float(d), str(e), float(f)) for a, b, c, d, e, f in rows]

    async def all_interactions(self, tenant: str | None = None) -> list[tuple[str, str, str, float]]:
        """(tenant, user, item, value) for CF training; None reads every tenant (deployment-wide CF
        learns item-item structure only; per-user factors are never served across tenants)."""
        if tenant is None:
            rows = await self.db.fetchall("SELECT tenant, user_id, item_id, value FROM preferences")
        else:
            rows = await self.db.fetchall(
                "SELECT tenant, user_id, item_id, value FROM preferences WHERE tenant = ?", (tenant,)
            )
        return [(str(a), str(b), str(c), float(d)) for a, b, c, d in rows]

    async def apply_reaction(self, tenant: str, platform: str, event_id: str, user_id: str, message_id: str,
                             emoji: str, added: bool, value: float, ts: float) -> tuple[bool, str | None]:
        """Claim the event, store the raw reaction and its evidence in ONE transaction.

        So a reaction is either fully recorded (and its event id marked processed) or not at all: a
        crash in between cannot leave a claimed-but-lost reaction that a retry would then skip.
        Returns (new event?, conversation key of the recommendation or None if not ours).
        """
        async with self.db.transaction() as tx:
            n = await tx.execute(
                "INSERT INTO processed_events (tenant, platform, event_id, ts) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING", (tenant, platform, event_key(event_id), time.time()))
            if n != 1:
                return False, None
            row = await tx.fetchone(
                "SELECT p.rec_id, p.item_id, r.conv_key, r.item_ids FROM posted_messages p "
                "JOIN recommendations r ON r.rec_id = p.rec_id AND r.tenant = p.tenant "
                "WHERE p.tenant = ? AND p.platform = ? AND p.message_id = ?", (tenant, platform, message_id))
            await tx.execute(
                "INSERT INTO reactions (tenant, user_id, platform, message_id, rec_id, emoji, added, ts) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (tenant, user_id, platform, message_id, row[0] if row else None, emoji, int(added), ts))
            if row is None or value == 0.0:
                return True, None
            rec_id, item_id, conv_key, item_ids = row
            items = [item_id] if item_id else list(json.loads(item_ids))
            weight = 0.8 if len(items) == 1 else 0.5  # a list reaction says less about each item
            source = f"reaction:{platform}:{message_id}:{value:+.0f}"
            if not added:
                await tx.execute("DELETE FROM preferences WHERE tenant = ? AND user_id = ? AND source = ?",
                                 (tenant, user_id, source))
                return True, conv_key
            # Re-adding the same reaction replaces its evidence instead of counting it twice.
            await tx.execute("DELETE FROM preferences WHERE tenant = ? AND user_id = ? AND source = ?",
                             (tenant, user_id, source))
            for iid in items:
                await tx.execute(
                    "INSERT INTO preferences (tenant, user_id, conv_key, item_id, value, kind, source, ts) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (tenant, user_id, conv_key, iid, value * weight, "reaction", source, ts))
            return True, conv_key
