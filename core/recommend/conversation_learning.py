"""Learning from the conversations a tenant's bot has had: each stored conversation becomes one more
row of that tenant's collaborative model.

Per-person rows (core/store preferences by user) teach "people who liked X liked Y" across a
person's whole history. A conversation says something else: the films named together while one
request was being worked out (a shared channel's people included), and which recommendation was
taken up (a like, a 👍, a button) or turned down right after what had been said. So every stored
conversation is folded into the tenant's CF as a pseudo-user ``conv:<conv_key>`` whose row is the
conversation's evidence in time order: EASE/ItemKNN learn the co-occurrence, and the sequence
component learns "after these films were named, this recommendation was accepted".

Isolation and privacy come from where the rows live: evidence is read from the tenant's own
preferences (every row carries its tenant and is grouped by it, core/recommend/tenancy.py), so a
conversation only teaches its own tenant (and the k-tenant pooled part when the operator enabled
it). Nothing here keeps state: the rows are rebuilt from the store at every refit, so evidence
deleted by "forget me" is gone from the next refit, and the engine refits that tenant at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Evidence kinds (core/dialogue.py, core/feedback.py, core/store/repos.py apply_reaction) and how
# strongly each says "this item belongs with this conversation". An accepted or rejected
# recommendation is the clearest statement; a mention carries its clause sentiment; "shown and
# ignored" is a weak negative and stays weak.
KIND_WEIGHT: dict[str, float] = {"button": 1.0, "reaction": 1.0, "mention": 1.0, "shown": 0.5}
DEFAULT_KIND_WEIGHT = 0.5  # imported or future kinds: counted, but not as firmly


@dataclass(frozen=True, slots=True)
class ConversationEvidence:
    """One stored piece of evidence with the conversation it came from (a preferences row)."""

    tenant: str
    conv_key: str
    item_id: str
    value: float  # -1..1 as stored: sentiment of a mention, ±reaction, ±button, -0.1 shown
    kind: str
    ts: float


@dataclass(frozen=True, slots=True)
class ConversationLearning:
    """Bounds that keep a refit's cost independent of how long a tenant has been running."""

    max_conversations: int = 20000  # per tenant, the most recent ones
    max_items_per_conversation: int = 60  # a runaway channel cannot dominate the item-item counts
    min_items: int = 2  # a conversation naming one item teaches no co-occurrence


def pseudo_user(conv_key: str) -> str:
    return f"conv:{conv_key}"


def conversation_rows(evidence: Iterable[ConversationEvidence],
                      bounds: ConversationLearning | None = None) -> list[tuple[str, str, str, float, float]]:
    """(tenant, "conv:<key>", item, value, ts) rows for the tenant CF, one per item a conversation named.

    Several pieces of evidence about one item in one conversation add up (weighted by kind, clipped to
    -1..1 later by InteractionLog.matrix); the row's ts is the item's first appearance, so the order
    of the conversation survives for the sequence component.
    """
    b = bounds or ConversationLearning()
    # (tenant, conv) -> item -> [value, first ts]; latest activity per conversation for the cap
    convs: dict[tuple[str, str], dict[str, list[float]]] = {}
    last: dict[tuple[str, str], float] = {}
    for ev in evidence:
        if not ev.conv_key or not ev.item_id:
            continue
        key = (ev.tenant, ev.conv_key)
        items = convs.setdefault(key, {})
        w = KIND_WEIGHT.get(ev.kind, DEFAULT_KIND_WEIGHT) * float(ev.value)
        got = items.get(ev.item_id)
        if got is None:
            items[ev.item_id] = [w, float(ev.ts)]
        else:
            got[0] += w
            got[1] = min(got[1], float(ev.ts))
        last[key] = max(last.get(key, float("-inf")), float(ev.ts))
    by_tenant: dict[str, list[tuple[str, str]]] = {}
    for key in convs:
        by_tenant.setdefault(key[0], []).append(key)
    out: list[tuple[str, str, str, float, float]] = []
    for tenant, keys in by_tenant.items():
        keys.sort(key=lambda k: (-last[k], k[1]))
        for key in keys[: b.max_conversations]:
            items = sorted(convs[key].items(), key=lambda kv: kv[1][1])[: b.max_items_per_conversation]
            if len(items) < b.min_items:
                continue
            user = pseudo_user(key[1])
            out.extend((tenant, user, item, max(-1.0, min(1.0, v)), ts) for item, (v, ts) in items if v != 0.0)
    return out


__all__ = ["ConversationEvidence", "ConversationLearning", "conversation_rows", "pseudo_user"]
