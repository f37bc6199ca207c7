"""Genres, tags and moods, mapped onto the catalog's own tag vocabulary.

Two passes. The lexical pass matches vocabulary terms (with plural and hyphen variants) and the
synonym lexicon. The embedding pass compares leftover content words and word pairs with the
vocabulary's embeddings, so words nobody listed ("chilling", "tearjerking") still land somewhere
sensible; it accepts a term only above a similarity floor and with a margin over the runner-up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.embedding import Embedder
from core.nlu.lexicon import DOMAIN_WORDS, GENRE_SYNONYMS, ML_GENRES
from core.nlu.normalize import Token, fold

# Words that are never a genre however close their embedding lands to one.
GENERIC = frozenset(
    """brother sister wife husband mom mum dad mother father son daughter friend friends girlfriend boyfriend
    partner roommate colleague coworker boss cousin uncle aunt grandma grandpa nephew niece parents wifey bro sis
    recommend recommendation recommendations suggest suggestion suggestions want wanna need looking look
    find show give get got something anything everything stuff thing things one ones kind sort type please
    thanks thank good great best better awesome amazing nice cool fine ok okay bad worse worst favorite
    favourite love loved like liked enjoy enjoyed hate hated tonight today weekend night evening morning
    time maybe really very pretty quite just also still even much many more less lot bit little
    movie movies film films book books novel novels read watch watching seen saw watched reading story
    stories similar same different other another else new old recent year years era decade some any
    hello hi hey help mood feel feeling tell know think guess sure yes yeah nope nah well right wait
    recs rec list pick picks option options idea ideas someone somebody people person friend friends wife
    husband girlfriend boyfriend wife partner kid son daughter mom dad day days week go going gonna let lets
    make made makes say said ask asked try trying tried something's first second third last next already
    director author actor actress star stars starring written directed by mind heart soul life start
    again over back now then way mess friend date endings ending plot characters hour hours worth""".split()
) | frozenset(DOMAIN_WORDS)

# Both sides are embedded inside a carrier sentence ("a spooky story" vs "a scary story"): single words
# embed poorly on their own. A term is accepted when it stands out from the vocabulary -- its cosine
# beats the 5th-best term by EMB_GAP -- rather than by an absolute floor, which MiniLM's crowded
# similarity range makes unreliable. Chosen on a separate word list (docs/nlu.md), not the eval sets.
TEMPLATE = "a {} story"
EMB_GAP = 0.10
EMB_FLOOR = 0.55  # sanity floor under the gap rule
EMB_TIE = 0.03  # terms this close to the best are kept too (OR semantics in the recommender)
ML_FLOOR = 0.45  # floor for non-English phrases with a multilingual model (unmeasured here: no such model)


@dataclass(frozen=True, slots=True)
class GenreHit:
    terms: tuple[str, ...]  # vocabulary terms
    start: int  # char span in the cleaned text
    end: int
    source: str  # "vocab" | "lexicon" | "embedding"


def _variants(term: str) -> set[str]:
    f = fold(term)
    out = {f, f.replace(" ", ""), f + "s"}
    if f.endswith("y"):
        out.add(f[:-1] + "ies")
    if f.endswith("s"):
        out.add(f[:-1])
    return out


class GenreMatcher:
    def __init__(self, vocabulary: list[str], embedder: Embedder | None = None) -> None:
        self.vocab = sorted(set(vocabulary))
        self.embedder = embedder
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for term in self.vocab:
            for v in _variants(term):
                self._phrases.setdefault(tuple(v.split()), (term,))
        folded = {fold(t): t for t in self.vocab}
        self._vec: np.ndarray | None = None
        if embedder is not None and self.vocab:
            self._vec = embedder.encode([TEMPLATE.format(t) for t in self.vocab])
        for phrase, targets in GENRE_SYNONYMS.items():
            terms = tuple(dict.fromkeys(t for t in (self._resolve(x, folded) for x in targets) if t))
            if terms:
                self._phrases.setdefault(tuple(phrase.split()), terms)
        self.max_len = max((len(k) for k in self._phrases), default=1)
        self.single_words = frozenset(k[0] for k in self._phrases if len(k) == 1)

    def _resolve(self, concept: str, folded: dict[str, str]) -> str | None:
        f = fold(concept)
        for v in (f, f + "s", f[:-1] if f.endswith("s") else f, f.replace(" ", "-"), f.replace("-", " ")):
            if v in folded:
                return folded[v]
        return None

    def lexical(self, tokens: list[Token], blocked: list[tuple[int, int]]) -> tuple[list[GenreHit], set[int]]:
        """Vocabulary and lexicon hits, longest first; returns the token indexes they used."""
        hits: list[GenreHit] = []
        used: set[int] = set()
        toks = [t.low for t in tokens]
        i = 0
        while i < len(toks):
            found = None
            for n in range(min(self.max_len, len(toks) - i), 0, -1):
                span = (tokens[i].start, tokens[i + n - 1].end)
                if any(span[0] < e and s < span[1] for s, e in blocked):
                    continue
                terms = self._phrases.get(tuple(toks[i : i + n]))
                if terms is None and n == 1 and "-" in tokens[i].text:
                    terms = self._phrases.get(tuple(toks[i].replace("-", " ").split()))
                if terms is None and n == 1:
                    terms = self._phrases.get(tuple(fold(tokens[i].text).split()))
                if terms:
                    found = (n, terms)
                    break
            if found:
                n, terms = found
                src = "vocab" if len(terms) == 1 and fold(terms[0]) == " ".join(toks[i : i + n]) else "lexicon"
                hits.append(GenreHit(terms, tokens[i].start, tokens[i + n - 1].end, src))
                used.update(range(i, i + n))
                i += n
            else:
                i += 1
        return hits, used

    def candidates(self, tokens: list[Token], used: set[int], blocked: list[tuple[int, int]],
                   limit: int = 16) -> list[tuple[str, int, int]]:
        """Content words and adjacent pairs left for the embedding pass: (phrase, char start, end)."""
        ok: list[int] = []
        for i, t in enumerate(tokens):
            if (i in used or len(t.low) < 3 or not t.low.isalpha() or t.low in GENERIC or "'" in t.text
                    or "\u2019" in t.text):
                continue
            if any(t.start < e and s < t.end for s, e in blocked):
                continue
            ok.append(i)
        out: list[tuple[str, int, int]] = []
        def words(t: Token) -> str:
            return fold(t.text)  # "laugh-out-loud" -> "laugh out loud"

        for k, i in enumerate(ok):
            out.append((TEMPLATE.format(words(tokens[i])), tokens[i].start, tokens[i].end))
            if k + 1 < len(ok) and ok[k + 1] == i + 1:
                j = i + 1
                out.append((TEMPLATE.format(f"{words(tokens[i])} {words(tokens[j])}"), tokens[i].start,
                            tokens[j].end))
        return out[:limit]

    def from_vectors(self, cands: list[tuple[str, int, int]], vecs: np.ndarray, floor: float = EMB_FLOOR,
                     gap: float = EMB_GAP) -> list[GenreHit]:
        """Each candidate's nearest vocabulary term when it stands out, plus near-ties ("scary"+"horror")."""
        if self._vec is None or not cands:
            return []
        sims = vecs @ self._vec.T
        hits: list[GenreHit] = []
        k5 = min(4, sims.shape[1] - 1)
        for (_phrase, s, e), row in zip(cands, sims, strict=True):
            best = float(row.max())
            fifth = float(np.partition(row, -k5 - 1)[-k5 - 1]) if k5 > 0 else 0.0
            if best < floor or best - fifth < gap:
                continue
            order = np.argsort(-row)[:3]
            terms = tuple(self.vocab[int(k)] for k in order if row[k] >= max(floor, best - EMB_TIE))
            hits.append(GenreHit(terms, s, e, "embedding"))
        return hits

    def multilingual_lexical(self, text: str) -> list[GenreHit]:
        low = text.lower()
        folded = {fold(t): t for t in self.vocab}
        hits: list[GenreHit] = []
        for concept, cues in ML_GENRES.items():
            for c in cues:
                k = low.find(c)
                if k >= 0:
                    term = self._resolve(concept, folded)
                    if term:
                        hits.append(GenreHit((term,), k, k + len(c), "lexicon"))
                    break
        return hits
