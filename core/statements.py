"""What a person said about items, turned into stored preferences, each with its evidence.

Only the speaker's own stance is stored (core/nlu/stance.py): "liked" and "disliked" as signed
values, "seen" as a 0.0 row (evidence and an exclusion, never a like). Questions ("is Oppenheimer good
for kids?"), other people's opinions ("my brother loves X"), "something like X" and words that only
resemble a title store nothing. A new statement about an item replaces what was said about it
before, so "actually I didn't like X" corrects instead of averaging.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.i18n import t
from core.nlu.stance import STORED, Stance, stance_value
from core.nlu.types import Understanding
from core.render import defuse
from core.store.store import Store

Label = Callable[[str], str]  # item id -> "Title (Year)"


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


# What was stored, per stance (msgids; module level so tests/test_i18n.py checks their translations).
STANCE_NOTES = {Stance.LIKED: "you liked {item}", Stance.DISLIKED: "{item} wasn't for you",
                Stance.SEEN: "you've seen {item} (I won't suggest it again)"}


def stated_text(stated: list[Stated], label: Label, lang: str = "en") -> str:
    """ "Noted: you liked X; Y wasn't for you." for what this message stored."""
    parts = [t(lang, STANCE_NOTES[s.stance], item=label(s.item_id)) for s in stated if s.stance in STANCE_NOTES]
    return t(lang, "Noted: {what}.", what=t(lang, "; ").join(parts)) if parts else ""


def noted(u: Understanding, stated: list[Stated], label: Label, lang: str = "en") -> str:
    """One line saying what was stored from this message, and what deliberately was not."""
    line = stated_text(stated, label, lang)
    others = [m.item_id for m in u.items if m.stance == Stance.OTHERS.value]
    if others:
        extra = t(lang, "(I'll use {items} for this request, but not as your own taste.)",
                  items=t(lang, ", ").join(label(i) for i in others[:2]))
        line = f"{line} {extra}".strip()
    return line


def evidence_text(rows: list[tuple[str, float, str, str | None]], label: Label, lang: str = "en") -> str:
    """The message behind each stated preference, so a wrong one can be spotted and corrected."""
    lines = []
    for item_id, value, kind, evidence in rows:
        if not evidence:
            continue
        mark = t(lang, " (seen)") if kind == "seen" else (" (+)" if value > 0 else " (−)")
        lines.append(t(lang, "• {item}{mark}: you said \"{evidence}\"", item=label(item_id), mark=mark,
                       evidence=defuse(evidence[:120])))
    if not lines:
        return ""
    return t(lang, "What you told me (say \"forget that I liked X\" to correct it):") + "\n" + "\n".join(lines)
