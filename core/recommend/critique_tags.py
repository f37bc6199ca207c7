"""Which catalog items carry a critique's word: its own tags, else the closest catalog tag.

"less gory" -> items tagged gory/violent (filters.critique_tags); a word outside the vocabulary
("adventurous") -> the nearest of the catalog's most used tags by embedding, when close enough.
Explanations name the tags found here, never the raw word.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.embedding import Embedder
from core.recommend.catalog import Catalog
from core.recommend.critiques import Critique, TagEvidence
from core.recommend.filters import CatalogArrays, asked_tags, critique_tags, norm_tag
from core.recommend.types import Constraints

MAX_EMBEDDED_TAGS = 2000  # the long tail of one-off tags is noise for critique mapping


class CritiqueTags:
    def __init__(self, arrays: CatalogArrays, catalog: Catalog, embedder: Embedder | None, min_sim: float) -> None:
        self.arrays = arrays
        self.min_sim = min_sim
        self.names: list[str] = []
        self.vecs: np.ndarray | None = None
        if embedder is not None:
            names = sorted(arrays.tag_index, key=lambda t: -arrays.tags[:, arrays.tag_index[t]].nnz)
            self.names = names[:MAX_EMBEDDED_TAGS]
            if self.names:
                raw = {norm_tag(t): t for t in catalog.tag_vocabulary()}
                self.vecs = embedder.encode([raw.get(t, t) for t in self.names])

    def evidence(self, term: str, tvec: np.ndarray | None) -> tuple[np.ndarray | None, tuple[str, ...]]:
        """Items tagged with the critique word's evidence (1.0 / 0.0 per item), and the tag names used."""
        names = critique_tags(self.arrays, term)
        has = self.arrays.has_any_tag(names) if names else None
        if has is None and self.vecs is not None and tvec is not None:
            sims = self.vecs @ tvec
            j = int(np.argmax(sims))
            if float(sims[j]) >= self.min_sim:
                names = (self.names[j],)
                has = self.arrays.has_any_tag(names)
        return (has.astype(np.float32), names) if has is not None else (None, ())

    def masks(self, crits: list[Critique], cvecs: np.ndarray | None, asked: Constraints | None = None) -> TagEvidence:
        """Each critique whose term the catalog's tags can evidence, the items that have it, the tags.

        A "less X" whose evidence includes what the request asks for loses that part of its evidence
        ("less scary" in a horror request drops what is tagged scary, not every horror film); when
        nothing else is left ("not so silly" after "something funny": funny, comedy) it becomes a
        leaning, which weighs the blend instead of emptying the list."""
        wanted = asked_tags(asked) if asked is not None else set()
        out: TagEvidence = []
        for j, c in enumerate(crits):
            has, names = self.evidence(c.term, cvecs[j] if cvecs is not None and j < len(cvecs) else None)
            if has is None:
                continue
            kept = tuple(n for n in names if norm_tag(n) not in wanted)
            if c.sign < 0 and c.firm and kept != names:
                narrowed = self.arrays.has_any_tag(kept) if kept else None
                if narrowed is None:
                    out.append((replace(c, firm=False), has > 0, names))
                    continue
                has, names = narrowed.astype(np.float32), kept
            out.append((c, has > 0, names))
        return out


__all__ = ["CritiqueTags"]
