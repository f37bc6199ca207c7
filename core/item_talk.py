"""Talking about items the person names or points at: questions about them, opinions in words, which
item "it"/"that one" means, and what they told me and were shown (prefs, history). A mixin of
DialogueCore (core/dialogue.py), split out to keep each module readable; it uses the core's store,
catalog and state helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import localize, texts
from core.events import AnyEvent, Message, Reply
from core.i18n import normalize, t, tag
from core.item_answers import quality_answer
from core.nlu.stance import Stance
from core.nlu.types import Intent, Understanding
from core.ports import UserSummary
from core.render import compose
from core.state import ConvState
from core.statements import Stated, evidence_text, forget_stated, noted, stated_text, store_stances

if TYPE_CHECKING:
    from core.recommend.catalog import Catalog
    from core.store.store import Store


class ItemTalk:
    store: Store
    catalog: Catalog

    def _label(self, item_id: str, lang: str = "en") -> str:
        raise NotImplementedError

    def _reason(self, item_id: str, reason: str | None, lang: str = "en") -> str:
        raise NotImplementedError

    def _known_reason(self, item_id: str) -> str:
        raise NotImplementedError

    async def _save(self, ev: Message, state: ConvState) -> None:
        raise NotImplementedError

    async def user_summary(self, tenant: str, user: str) -> UserSummary:
        raise NotImplementedError

    async def _prefs_text(self, ev: AnyEvent, lang: str = "en") -> str:
        s = await self.user_summary(ev.tenant, ev.user)
        stated = await self.store.prefs.stated(ev.tenant, ev.user, limit=8)
        if not (s.likes or s.dislikes or s.subscriptions or stated):
            return t(lang, texts.NO_TASTE_YET)
        parts = []
        if s.likes:
            parts.append(t(lang, texts.YOU_LIKE, items="; ".join(s.likes)))
        if s.dislikes:
            parts.append(t(lang, texts.NOT_FOR_YOU, items="; ".join(s.dislikes)))
        if s.subscriptions:
            parts.append(t(lang, texts.DIGESTS, items="; ".join(s.subscriptions)))
        if stated:
            parts.append(evidence_text(stated, lambda i: self._label(i, lang), lang))
        return "\n".join(parts)

    async def _history_text(self, ev: AnyEvent, lang: str = "en") -> str:
        recs = await self.store.recs.recent(ev.tenant, ev.key.as_str(), limit=3)
        if not recs:
            return t(lang, texts.NO_HISTORY)
        lines = [t(lang, texts.HISTORY)]
        for r in recs:
            lines.append("• " + "; ".join(self._label(i, lang) for i in r.item_ids))
        return "\n".join(lines)

    async def _explain(self, ev: Message, state: ConvState, u: Understanding, refs: list[str],
                       intent: Intent) -> Reply:
        targets = [m.item_id for m in u.items] or refs or list(state.last_items)
        lang = u.language
        if not targets:
            return Reply(t(lang, texts.WHICH_ONE))
        if len(targets) == 1 or intent == Intent.ABOUT:
            state.focus = targets[0]  # "I already saw that one" next means this item
            await self._save(ev, state)
        if intent == Intent.WHY:
            if normalize(lang) == "en":
                lines = [f"{self._label(i)}: {state.last_reasons.get(i) or self._known_reason(i)}" for i in targets[:5]]
            else:  # the stored English reasons, said again in the person's language
                lines = [f"{self._label(i, lang)}: {self._reason(i, state.last_reasons.get(i), lang)}"
                         for i in targets[:5]]
            # Facts only: the evidence the ranker recorded, never model prose that could invent a reason.
            return Reply(compose("\n".join(lines)))
        item = self.catalog.get(targets[0])
        if item is None:
            return Reply(t(lang, texts.NOT_IN_CATALOG))
        if normalize(lang) != "en":
            # Descriptions exist in English only: the facts in the person's language, the text labelled.
            facts = localize.label(item, lang) + (t(lang, ", by {person}", person=item.creator) if item.creator
                                                  else "") + \
                (f" — {t(lang, ', ').join(tag(lang, g) for g in item.genres)}" if item.genres else "")
            about = (t(lang, texts.DESCRIPTION_EN, text=item.description) if item.description
                     else t(lang, texts.NO_DESCRIPTION))
            return Reply(compose(t(lang, "{facts}.", facts=facts) + f"\n{about}"))
        kind = "film" if item.domain == "movie" else item.domain
        facts = f"{item.label()}, a {kind}" + (f" by {item.creator}" if item.creator else "") + \
            (f" — {', '.join(item.genres)}" if item.genres else "") + \
            (f"; tagged {', '.join(item.tags[:6])}" if item.tags else "")
        # The catalog's own description: a question about an item gets facts, not a guess dressed as fact.
        about = item.description or "I have no description of it."
        answer = quality_answer(item, u.query_text, lang) if intent == Intent.ABOUT and len(targets) == 1 else ""
        return Reply(compose((answer + "\n" if answer else "") + f"{facts}.\n{about}"))

    async def _feedback_words(self, ev: Message, state: ConvState, u: Understanding, refs: list[str],
                              stated: list[Stated], text: str) -> Reply:
        lang = u.language
        label = lambda i: self._label(i, lang)  # noqa: E731 - titles in the person's language
        if u.ref_stance == Stance.RETRACTED.value:
            targets = [m.item_id for m in u.items] or refs
            n = await forget_stated(self.store, ev.tenant, ev.user, targets)
            labels = t(lang, ", ").join(label(i) for i in targets[:3])
            return Reply(t(lang, "Done — I forgot what you told me about {items}.", items=labels) if n
                         else t(lang, "I had nothing stored from you about {items}.", items=labels))
        if u.items and not stated and any(m.stance == Stance.OTHERS.value for m in u.items):
            return Reply(t(lang, "Got it — I only store your own opinions, so I haven't saved that one as yours. "
                                 "Want picks for them? Tell me what they're in the mood for."))
        if u.items:
            note = noted(u, stated, label, lang)
            return Reply(note or t(lang, "Thanks — tell me what you thought of it and I'll take it into account."))
        if not refs and u.ref_pronoun and len(state.last_items) > 1:
            return Reply(t(lang, "Which one do you mean? Say its number, e.g. \"the second one\"."))
        if not refs:
            return Reply(t(lang, "Thanks! Tell me a title you loved (or hated) and I'll take it into account."))
        stance = Stance(u.ref_stance)
        if stance in (Stance.LIKED, Stance.DISLIKED, Stance.SEEN):
            done = await store_stances(self.store, ev.tenant, ev.user, ev.key.as_str(), text,
                                       [(i, stance, u.sentiment) for i in refs])
            if stance != Stance.LIKED:
                state.rejected = (state.rejected + refs)[-200:]  # seen or disliked: don't show it again
            await self._save(ev, state)
            return Reply(stated_text(done, label, lang))
        return Reply(t(lang, "Thanks — tell me whether you liked {items} and I'll take it into account.",
                       items=t(lang, ", ").join(label(i) for i in refs[:3])))

    async def _record_mentions(self, ev: Message, state: ConvState, u: Understanding, text: str) -> list[Stated]:
        """Store the speaker's own stance toward each named item, with the message as evidence."""
        pairs = [(m.item_id, Stance(m.stance), m.sentiment) for m in u.items]
        done = await store_stances(self.store, ev.tenant, ev.user, ev.key.as_str(), text, pairs)
        gone = [s.item_id for s in done if s.stance != Stance.LIKED and s.item_id not in state.rejected]
        state.rejected = (state.rejected + gone)[-200:]
        if u.items:
            state.focus = u.items[-1].item_id  # the item now under discussion ("something similar", "it")
        return done

    def _other_versions(self, u: Understanding) -> list[str]:
        """The book of a film the person liked or has seen (and the film of such a book): the same story,
        so no new pick for them ("I loved the Dune movie, anything similar I could read?")."""
        known = {m.item_id for m in u.items if m.stance in (Stance.LIKED.value, Stance.SEEN.value)}
        titles = {it.title.lower() for i in known if (it := self.catalog.get(i)) is not None}
        if not titles:
            return []
        return [it.item_id for it in self.catalog if it.title.lower() in titles and it.item_id not in known]

    def _shown_domain(self, state: ConvState) -> str | None:
        """The one domain of a whole list just shown (a request that named none): "more" continues in it."""
        kinds = {it.domain for i in state.last_items if (it := self.catalog.get(i)) is not None}
        return kinds.pop() if len(kinds) == 1 and len(state.last_items) >= 3 else None

    def _resolve_refs(self, state: ConvState, u: Understanding, intent: Intent) -> list[str]:
        if u.refs_all:
            return list(state.last_items)
        if u.ref_pronoun and state.focus and intent in (Intent.FEEDBACK, Intent.ABOUT, Intent.WHY, Intent.REFINE):
            return [state.focus]  # "tell me about the second one" ... "I already saw that one[, next]"
        if u.ref_pronoun and intent == Intent.FEEDBACK and len(state.last_items) > 1:
            return []  # "loved it" after a list of five: which one? (asked, nothing guessed)
        return [state.last_items[i] for i in u.refs if 0 <= i < len(state.last_items)]
