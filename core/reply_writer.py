"""Writing a recommendation reply: the deterministic text, the model's gated sentences, the model's order.

Kept out of dialogue.py (which decides *what* to do) so the policy and the wording change independently.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from core.events import ItemView
from core.generation.assist import Candidate, ModelAssist, merge_order
from core.generation.base import GenerationError, GenerationRequest, Generator, GroundedItem
from core.i18n import normalize
from core.recommend.catalog import Catalog, Item
from core.recommend.types import RecResult
from core.render import defuse
from core.reply_text import RequestView, blurbs, intro_line, localized_prose, unmet_note

ProseSink = Callable[[str], Awaitable[None]]


def deterministic_text(lang: str, view: RequestView, items: list[Item], views: list[ItemView],
                       relaxed: str | None, seed: int, words: str = "") -> tuple[str, list[ItemView]]:
    """(prose above the list, the views with their blurbs): an honest note first if something was not
    met, then the intro; each item's text after the dash becomes its blurb. Another language gets whole
    translated sentences and keeps the views' localized reasons (English grammar pieces do not translate)."""
    if normalize(lang) != "en":
        return defuse(localized_prose(lang, view, items, relaxed)), views
    lines = [line for line in (unmet_note(lang, view, items, relaxed), intro_line(lang, view, items, seed)) if line]
    reasons = [v.reason for v in views]
    # The person's own words first in each portrait: asked for "funny", an item reads "a funny ..." .
    prefer = {*view.constraints.genres, *(c[1:] for c in view.critiques if c.startswith("+")),
              *words.lower().replace(",", " ").split()}
    out = [replace(v, reason=b) for v, b in zip(views, blurbs(lang, items, reasons, seed, prefer), strict=True)]
    return defuse(" ".join(lines)), out


async def write_prose(generator: Generator, model_prose: bool, deadline_s: float, sink: ProseSink | None,
                      kind: str, user_text: str, pairs: list[tuple[ItemView, Item]], intro: str, key: str) -> str:
    """The reply's prose: the deterministic ``intro``, after any model sentences that passed the fact
    gate (only when model prose is on; off for the bundled CPU model, see docs/generation.md). Without
    model prose the whole text goes to the stream sink at once."""
    if not model_prose:
        if sink is not None:
            await sink(intro)
        return intro
    grounded = tuple(GroundedItem(v.title, v.year, v.reason, v.creator, it.description, v.domain,
                                  (*it.genres, *it.tags)) for v, it in pairs)
    req = GenerationRequest(kind=kind, user_text=user_text, items=grounded, intro=intro, channel_key=key,
                            deadline_s=deadline_s)
    pieces: list[str] = []
    try:
        if sink is None:
            text = await generator.generate(req)
            return intro if text.strip() == intro.strip() else f"{text.strip()} {intro}"
        async for piece in generator.stream(req):
            if piece.strip() == intro.strip():
                break  # the generator fell back to the template: the deterministic text follows below
            pieces.append(piece)
            await sink(piece)
    except GenerationError:
        if sink is None:
            return intro
        # whatever passed the gate so far stands on its own
    model = "".join(pieces).strip()
    await sink((" " if model else "") + intro)
    return f"{model} {intro}" if model else intro


async def rerank(assist: ModelAssist, catalog: Catalog, text: str, result: RecResult, k: int) -> RecResult:
    """The model's order over the recommender's top candidates (only their ids), else the original order."""
    by_id = {s.item_id: s for s in result.items}
    cands = [Candidate(i, it.label(), it.creator or "", it.genres) for i in by_id if (it := catalog.get(i))]
    order = await assist.rerank_ids(text, cands)
    ids = merge_order(list(by_id), order or [], k)
    return replace(result, items=tuple(by_id[i] for i in ids))
