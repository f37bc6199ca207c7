"""What a person said about items, turned into stored preferences, each with its evidence.

Only the speaker's own stance is stored (core/nlu/stance.py): "liked" and "disliked" as signed
values, "seen" as a 0.0 row (evidence and an exclusion, never a like). Questions ("is Oppenheimer good
for kids?"), other people's opinions ("my brother loves X"), "something like X" and words that only
resemble a title store nothing. A new statement about an item replaces what was said about it
before, so "actually I didn't like X" corrects instead of averaging.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.nlu.stance import STORED, Stance, stance_value
from core.store.store import Store


@dataclass(frozen=True, slots=True)
class Stated:
    item_id: str
    stance: Stance
    value: float


async def store_stances(store: Store, tenant: str, user: str, conv_key: str, evidence: str,
                        stances: list[tuple[str, Stance, float]]) -> list[Stated]:
    """Store each (item id, stance, clause tone) the speaker holds; returns what was stored."""
    out: list[Stated] = []
    for item_id, stance, tone in stances:
        if stance not in STORED or any(s.item_id == item_id for s in out):
            continue
        value = stance_value(stance, tone)
        await store.prefs.remove_stated(tenant, user, item_id)
        await store.prefs.add(tenant, user, item_id, value, "seen" if stance == Stance.SEEN else "mention",
                              conv_key=conv_key, evidence=evidence)
        out.append(Stated(item_id, stance, value))
    return out


async def forget_stated(store: Store, tenant: str, user: str, item_ids: list[str]) -> int:
    """"forget that I liked X": drop what the person said about these items."""
    n = 0
    for iid in item_ids:
        n += await store.prefs.remove_stated(tenant, user, iid)
    return n
