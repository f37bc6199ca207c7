"""What "forget me" deletes and what an export shows: one plan, computed the same way for both.

For one person in one tenant the plan is:
- their private conversations (``conversations.owner``, and the ``dm:<user>`` conversation that DM
  digests asked for in a channel use) are deleted whole: state, turns (the bot's replies included),
  recommendations, the posted-message links to those, preference evidence;
- everywhere else, every row with their user id (turns, recommendations and their message links,
  reactions, preferences, profile, subscriptions, deliveries, rate bucket) is deleted, the bot's
  replies addressed to them are redacted, and shared channel states lose their part
  (core.state.scrub_contributions).
Export lists exactly these rows and state parts; tests/test_privacy.py diffs a full dump of every
table before and after forget against the export.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.events import ConversationKey
from core.state import scrub_contributions

REDACTED = "[redacted: the person this answered asked to be forgotten]"

# Deleted by user id alone, in this order (posted_messages goes before the recommendations it names).
_BY_USER = ("reactions", "users", "subscriptions", "digest_deliveries", "rate_buckets")


class Query(Protocol):
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    async def fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Forgotten:
    """Told to the forget hooks (scheduler jobs, export files) after the rows are gone."""

    tenant: str
    user: str
    sub_ids: tuple[str, ...]


# A hook returns (what it removed, how many) for the report, or None when it had nothing to do.
ForgetHook = Callable[[Forgotten], Awaitable[tuple[str, int] | None]]


@dataclass
class SharedPart:
    conv_key: str
    version: int
    new_state: dict[str, Any]
    removed: dict[str, Any]


@dataclass
class Plan:
    tenant: str
    user: str
    private_keys: list[str]
    # table -> (WHERE clause, params): the rows forget deletes; export selects the same rows.
    deletes: dict[str, tuple[str, tuple[Any, ...]]] = field(default_factory=dict)
    redact_turns: tuple[str, tuple[Any, ...]] = ("1 = 0", ())
    shared: list[SharedPart] = field(default_factory=list)
    sub_ids: tuple[str, ...] = ()


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _in(column: str, values: Sequence[str]) -> tuple[str, tuple[Any, ...]]:
    if not values:
        return "1 = 0", ()
    return f"{column} IN ({', '.join('?' for _ in values)})", tuple(values)


async def _private_keys(q: Query, tenant: str, user: str) -> list[str]:
    keys = {str(r[0]) for r in await q.fetchall(
        "SELECT conv_key FROM conversations WHERE tenant = ? AND owner = ?", (tenant, user))}
    for platform, channel, thread, target in await q.fetchall(
            "SELECT platform, channel, thread, target FROM subscriptions WHERE tenant = ? AND user_id = ?",
            (tenant, user)):
        if target == "dm":
            keys.add(ConversationKey(str(platform), tenant, str(channel), thread).as_str())
    # A DM digest asked for in a channel lives under "<platform>:<tenant>:dm:<user>:" (core/digests),
    # also after its subscription is gone.
    pattern = f"%:{_like_escape(tenant)}:dm:{_like_escape(user)}:"
    for table in ("conversations", "turns", "recommendations", "preferences"):
        keys.update(str(r[0]) for r in await q.fetchall(
            f"SELECT DISTINCT conv_key FROM {table} WHERE tenant = ? AND conv_key LIKE ? ESCAPE '\\'",
            (tenant, pattern)))
    return sorted(keys)


async def make_plan(q: Query, tenant: str, user: str) -> Plan:
    private = await _private_keys(q, tenant, user)
    in_private, pk = _in("conv_key", private)
    plan = Plan(tenant, user, private)
    mine = ("tenant = ? AND user_id = ?", (tenant, user))
    # In a private conversation the bot's replies go too, also those stored without an addressee
    # (before schema v5); a reply addressed to someone else (a shared terminal) is theirs and stays.
    plan.deletes["turns"] = (f"tenant = ? AND (user_id = ? OR (user_id IS NULL AND {in_private} "
                             f"AND (addressed_to IS NULL OR addressed_to = ?)))", (tenant, user, *pk, user))
    plan.redact_turns = (f"tenant = ? AND addressed_to = ? AND user_id IS NULL AND NOT ({in_private})",
                         (tenant, user, *pk))
    plan.deletes["preferences"] = mine
    plan.deletes["posted_messages"] = (
        "tenant = ? AND rec_id IN (SELECT rec_id FROM recommendations WHERE tenant = ? AND user_id = ?)",
        (tenant, tenant, user))
    plan.deletes["recommendations"] = mine
    for table in _BY_USER:
        plan.deletes[table] = ("tenant = ? AND user_id = ?", (tenant, user))
    plan.deletes["conversations"] = (f"tenant = ? AND {in_private}", (tenant, *pk))
    plan.sub_ids = tuple(str(r[0]) for r in await q.fetchall(
        "SELECT sub_id FROM subscriptions WHERE tenant = ? AND user_id = ?", (tenant, user)))
    plan.shared = await _shared_parts(q, tenant, user, set(private))
    return plan


async def _shared_parts(q: Query, tenant: str, user: str, private: set[str]) -> list[SharedPart]:
    """Shared conversations they took part in, each with its state minus their part."""
    keys: set[str] = set()
    for sql, params in (
            ("SELECT DISTINCT conv_key FROM turns WHERE tenant = ? AND (user_id = ? OR addressed_to = ?)",
             (tenant, user, user)),
            ("SELECT DISTINCT conv_key FROM recommendations WHERE tenant = ? AND user_id = ?", (tenant, user)),
            ("SELECT DISTINCT conv_key FROM preferences WHERE tenant = ? AND user_id = ? AND conv_key IS NOT NULL",
             (tenant, user))):
        keys.update(str(r[0]) for r in await q.fetchall(sql, params))
    # A state that still names them after retention pruned their turns (its request authors).
    pattern = f"%{_like_escape(json.dumps(user))}%"
    keys.update(str(r[0]) for r in await q.fetchall(
        "SELECT conv_key FROM conversations WHERE tenant = ? AND state LIKE ? ESCAPE '\\'", (tenant, pattern)))
    out: list[SharedPart] = []
    for key in sorted(keys - private):
        row = await q.fetchall("SELECT state, version FROM conversations WHERE tenant = ? AND conv_key = ?",
                               (tenant, key))
        if not row:
            continue
        recs = await q.fetchall("SELECT rec_id, user_id, item_ids FROM recommendations "
                                "WHERE tenant = ? AND conv_key = ?", (tenant, key))
        their_recs = {str(r[0]) for r in recs if r[1] == user}
        others_shown = {i for r in recs if r[1] != user for i in json.loads(str(r[2]))}
        their_shown = {i for r in recs if r[1] == user for i in json.loads(str(r[2]))} - others_shown
        prefs = await q.fetchall("SELECT user_id, item_id FROM preferences WHERE tenant = ? AND conv_key = ?",
                                 (tenant, key))
        their_rejects = {str(i) for u, i in prefs if u == user} - {str(i) for u, i in prefs if u != user}
        new_state, removed = scrub_contributions(json.loads(str(row[0][0])), user, their_recs, their_shown,
                                                 their_rejects)
        if removed:
            out.append(SharedPart(key, int(row[0][1]), new_state, removed))
    return out


async def export_rows(q: Query, plan: Plan) -> dict[str, Any]:
    """Every row the plan deletes or redacts, by table, plus the parts of shared states it removes."""
    out: dict[str, Any] = {"tenant": plan.tenant, "user": plan.user}
    for table, (where, params) in plan.deletes.items():
        out[table] = await q.fetch_dicts(f"SELECT * FROM {table} WHERE {where}", params)
    where, params = plan.redact_turns
    out["turns"] = sorted(out["turns"] + await q.fetch_dicts(f"SELECT * FROM turns WHERE {where}", params),
                          key=lambda r: r["id"])
    out["conversations_shared"] = [{"conv_key": p.conv_key, "removed": p.removed} for p in plan.shared]
    for row in out["conversations"]:
        row["state"] = json.loads(row["state"])  # readable JSON, not a string inside the JSON
    return out


async def execute(tx: Any, plan: Plan) -> dict[str, int]:
    """Apply the plan inside the caller's transaction; returns row counts per kind."""
    counts: dict[str, int] = {}
    where, params = plan.redact_turns
    counts["turns_redacted"] = await tx.execute(
        f"UPDATE turns SET text = ?, addressed_to = NULL WHERE {where}", (REDACTED, *params))
    for table, (where, params) in plan.deletes.items():
        counts[table] = await tx.execute(f"DELETE FROM {table} WHERE {where}", params)
    n = 0
    for part in plan.shared:
        # Only if nobody saved in between: the plan was computed from this version in this transaction.
        n += await tx.execute("UPDATE conversations SET state = ?, version = version + 1 "
                              "WHERE tenant = ? AND conv_key = ? AND version = ?",
                              (json.dumps(part.new_state), plan.tenant, part.conv_key, part.version))
    counts["conversations_scrubbed"] = n
    return counts
