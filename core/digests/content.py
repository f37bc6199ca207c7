"""What goes into a digest: personalized, fresh, diverse, each item with a reason.

- personalized: a DM digest uses the person's evidence (and their conversation's); a channel digest
  uses every member's reactions, buttons and mentions in that channel, at full weight;
- fresh: nothing that conversation was already shown (its ConvState.shown and rejected lists and its
  recommendations table rows, digests included) and nothing it already rated;
- diverse: the recommender's own diversification (MMR in the hybrid engine), asked for explicitly;
- each item carries the recommender's reason, or a plain one from the catalog.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from core.digests.repo import Subscription
from core.events import ItemView
from core.feedback import FeedbackService
from core.recommend.catalog import Catalog
from core.recommend.types import Constraints, Recommender, RecRequest, Signal
from core.render import compose
from core.state import ConvState
from core.store.store import Store

_RECENT_RECS = 200  # how far back "already shown here" looks in the recommendations table

TITLES = {"daily": "Your daily digest", "weekly": "Your weekly digest", "cron": "Your digest"}


class DigestContent:
    def __init__(self, store: Store, catalog: Catalog, recommender: Recommender,
                 feedback: FeedbackService) -> None:
        self.store = store
        self.catalog = catalog
        self.recommender = recommender
        self.feedback = feedback

    async def signals(self, sub: Subscription) -> tuple[Signal, ...]:
        if sub.target == "dm":
            return await self.feedback.signals(sub.tenant, sub.user_id, sub.conv_key)
        rows = await self.store.prefs.for_conversation(sub.tenant, sub.conv_key)
        return tuple(Signal(r.item_id, r.value, r.kind, r.ts, "channel") for r in rows)

    async def already_seen(self, sub: Subscription, state: ConvState,
                           signals: tuple[Signal, ...]) -> tuple[str, ...]:
        recs = await self.store.recs.recent(sub.tenant, sub.conv_key, limit=_RECENT_RECS)
        seen = [*state.shown, *state.rejected, *(i for r in recs for i in r.item_ids),
                *(s.item_id for s in signals)]
        return tuple(dict.fromkeys(seen))

    async def build(self, sub: Subscription, now: float) -> dict[str, Any] | None:
        """The rendered digest as JSON-ready data ({"text", "items"}), or None if nothing fresh is left."""
        signals = await self.signals(sub)
        state = ConvState.from_json(await self.store.conversations.load_state(sub.tenant, sub.conv_key))
        exclude = await self.already_seen(sub, state, signals)
        req = RecRequest(
            # A channel has no collaborative-filtering profile of its own: an id no person has makes the
            # recommender rely on the members' signals passed here instead of the creator's taste.
            tenant=sub.tenant, user=sub.user_id if sub.target == "dm" else f"#channel:{sub.channel}",
            query=" ".join(state.query), constraints=Constraints(exclude_items=exclude),
            signals=signals, k=sub.size, diversify=True, now=now,
        )
        result = await self.recommender.recommend(req)
        views = [self._view(s.item_id, s.reason) for s in result.items if self.catalog.get(s.item_id)]
        views = [v for v in views if v.item_id not in req.constraints.exclude_items][: sub.size]
        if not views:
            return None
        whom = "for you" if sub.target == "dm" else "for this channel"
        intro = f"{TITLES.get(sub.schedule.kind, 'Your digest')} — {len(views)} fresh picks {whom}:"
        footer = (f"React 👍/👎 or use the buttons to tune the next one · "
                  f"`digest unsubscribe {sub.sub_id}` to stop")
        return {"text": compose(intro, views, footer), "items": [asdict(v) for v in views]}

    def _view(self, item_id: str, reason: str) -> ItemView:
        it = self.catalog.get(item_id)
        assert it is not None
        reason = reason or (f"a {', '.join(it.genres[:2])} pick" if it.genres else f"a {it.domain} pick")
        return ItemView(it.item_id, it.title, it.year, reason, it.creator, it.domain)
