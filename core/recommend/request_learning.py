"""Learning which items answer which requests, from a tenant's own past conversations.

Co-occurrence learning (conversation_learning.py) teaches "films named together". A conversation
also says what was asked for: a server whose people keep asking for horror, and then like or accept
certain horror films, teaches that those films answer "horror" *there*. Each stored conversation
contributes its request terms (the genres and "+" critiques of its accumulated request, as the
conversation state keeps them) and the items said positively in it (a liked mention, an accepted
recommendation, a 👍). Per tenant, term -> item strength is log(1 + the summed positive evidence);
a new request for those terms gets the summed strengths, scaled to the top of the list, as one more
term of the engine's score (``w_request``).

Isolation and privacy as in conversation_learning.py: the associations are rebuilt from the store at
every refit, one table per tenant, from that tenant's rows only; forgetting a person deletes or
resets their conversations and evidence, so the next refit (run at once for that tenant) no longer
holds them. Measured on ReDial (learns-from-conversations track): docs/bench_recommend.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from core.recommend.conversation_learning import KIND_WEIGHT, ConversationEvidence
from core.recommend.filters import norm_tag

MAX_TERMS_PER_CONVERSATION = 12  # a request is a few genres and critiques; more is a runaway state


@dataclass(frozen=True, slots=True)
class ConversationRequest:
    """What one stored conversation asked for: its request terms (genres, "+" critiques)."""

    tenant: str
    conv_key: str
    terms: tuple[str, ...]


def request_terms(state: dict[str, object]) -> tuple[str, ...]:
    """The request terms of a stored conversation state (core/state.py's JSON): its genres and the
    terms of its "+" critiques, normalised like catalog tags; "-" critiques ask for nothing."""
    out: list[str] = []
    genres = state.get("genres")
    for g in genres if isinstance(genres, list) else []:
        if isinstance(g, str):
            out.append(g)
    critiques = state.get("critiques")
    for c in critiques if isinstance(critiques, list) else []:
        if isinstance(c, str) and c.startswith("+"):
            out.append(c[1:])
    terms = [t for t in (norm_tag(x) for x in out) if t]
    return tuple(dict.fromkeys(terms))[:MAX_TERMS_PER_CONVERSATION]


class RequestAssociations:
    """One tenant's term -> item strengths (terms x items, sparse)."""

    def __init__(self, matrix: sp.csr_matrix, term_index: dict[str, int]) -> None:
        self.matrix = matrix
        self.term_index = term_index

    def scores(self, terms: Iterable[str]) -> np.ndarray | None:
        """Summed strengths of the asked terms over all items, divided by the best item's (1 = the item
        that best answered such requests here); None when no asked term was ever learned here."""
        rows = sorted({self.term_index[t] for t in (norm_tag(x) for x in terms) if t in self.term_index})
        if not rows:
            return None
        v = np.asarray(self.matrix[rows].sum(axis=0), dtype=np.float32).ravel()
        top = float(v.max()) if v.size else 0.0
        return v / top if top > 0 else None


def fit_request_associations(evidence: Iterable[ConversationEvidence], requests: Iterable[ConversationRequest],
                             index_of: dict[str, int], tenant: str | None = None
                             ) -> dict[str, RequestAssociations]:
    """Per tenant, from its conversations' positive evidence and request terms (only `tenant` when given).

    An item counts once per conversation with its summed positive evidence (weighted by kind, capped
    at 1), so one long conversation cannot dominate a term."""
    asked: dict[tuple[str, str], Sequence[str]] = {
        (r.tenant, r.conv_key): r.terms for r in requests if r.terms and (tenant is None or r.tenant == tenant)}
    positive: dict[tuple[str, str], dict[int, float]] = {}
    for ev in evidence:
        key = (ev.tenant, ev.conv_key)
        j = index_of.get(ev.item_id)
        if key not in asked or j is None:
            continue
        items = positive.setdefault(key, {})
        items[j] = items.get(j, 0.0) + KIND_WEIGHT.get(ev.kind, 0.5) * float(ev.value)
    cells: dict[str, dict[tuple[str, int], float]] = {}
    for (t, conv), items in positive.items():
        table = cells.setdefault(t, {})
        for j, v in items.items():
            if v <= 0:
                continue
            for term in asked[(t, conv)]:
                table[(term, j)] = table.get((term, j), 0.0) + min(1.0, v)
    out: dict[str, RequestAssociations] = {}
    for t, table in cells.items():
        terms = sorted({term for term, _ in table})
        term_index = {term: k for k, term in enumerate(terms)}
        rows = np.fromiter((term_index[term] for term, _ in table), dtype=np.int64, count=len(table))
        cols = np.fromiter((j for _, j in table), dtype=np.int64, count=len(table))
        vals = np.log1p(np.fromiter(table.values(), dtype=np.float32, count=len(table)))
        out[t] = RequestAssociations(sp.csr_matrix((vals, (rows, cols)), shape=(len(terms), len(index_of))),
                                     term_index)
    return out


__all__ = ["ConversationRequest", "RequestAssociations", "fit_request_associations", "request_terms"]
