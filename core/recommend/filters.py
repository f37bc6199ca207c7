"""Hard filters (Constraints) as vectorised masks, and stepwise relaxation when nothing matches."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from core.recommend.catalog import Catalog
from core.recommend.types import Constraints


def norm_tag(s: str) -> str:
    """'Sci-Fi', 'sci fi', 'scifi' -> 'scifi' so NLU words and catalog tags meet."""
    return re.sub(r"[^a-z0-9]", "", s.lower())


@dataclass
class CatalogArrays:
    """Column views of the catalog for fast masks over 100k+ items."""

    years: np.ndarray  # float, nan when unknown
    domains: np.ndarray  # int code per item
    domain_codes: dict[str, int]
    tag_index: dict[str, int]  # normalised genre/tag -> column
    tags: sp.csc_matrix  # (items x tags) membership
    creator_codes: np.ndarray  # int code per item into creator_names
    creator_names: list[str]  # unique lower-cased creators ("" = unknown)
    genre_index: dict[str, int]  # normalised genre -> column of `genres` (genres only, not free tags)
    genres: sp.csr_matrix  # (items x genres), rows L2-normalised: the item's genre direction

    @classmethod
    def build(cls, catalog: Catalog) -> CatalogArrays:
        years = np.array([it.year if it.year is not None else np.nan for it in catalog], dtype=np.float64)
        domain_codes: dict[str, int] = {}
        domains = np.array([domain_codes.setdefault(it.domain.lower(), len(domain_codes)) for it in catalog],
                           dtype=np.int32)
        tag_index: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for r, it in enumerate(catalog):
            for t in {norm_tag(t) for t in (*it.genres, *it.tags)}:
                if t:
                    rows.append(r)
                    cols.append(tag_index.setdefault(t, len(tag_index)))
        tags = sp.csc_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                             shape=(len(catalog), max(1, len(tag_index))))
        genre_index: dict[str, int] = {}
        grows: list[int] = []
        gcols: list[int] = []
        for r, it in enumerate(catalog):
            for g in {norm_tag(g) for g in it.genres}:
                if g:
                    grows.append(r)
                    gcols.append(genre_index.setdefault(g, len(genre_index)))
        gm = sp.csr_matrix((np.ones(len(grows), dtype=np.float32), (grows, gcols)),
                           shape=(len(catalog), max(1, len(genre_index))))
        norms = np.sqrt(np.asarray(gm.multiply(gm).sum(axis=1)).ravel())
        gm = (sp.diags(1.0 / np.maximum(norms, 1e-9)).astype(np.float32) @ gm).tocsr()
        names: dict[str, int] = {}
        codes = np.array([names.setdefault((it.creator or "").lower().strip(), len(names)) for it in catalog],
                         dtype=np.int32)
        return cls(years=years, domains=domains, domain_codes=domain_codes, tag_index=tag_index, tags=tags,
                   creator_codes=codes, creator_names=list(names), genre_index=genre_index, genres=gm)

    @property
    def n(self) -> int:
        return int(self.years.size)

    def has_any_tag(self, words: tuple[str, ...]) -> np.ndarray | None:
        """Items carrying any of the words as genre/tag; None when no word is in the vocabulary."""
        cols = [self.tag_index[t] for t in (norm_tag(w) for w in words) if t in self.tag_index]
        if not cols:
            return None
        return np.asarray(self.tags[:, cols].sum(axis=1)).ravel() > 0

    def creator_match(self, names: tuple[str, ...]) -> np.ndarray:
        """Items whose creator contains any of the names ("nolan" matches "christopher nolan")."""
        wanted = [n.lower().strip() for n in names if n.strip()]
        hit = np.array([bool(c) and any(w in c for w in wanted) for c in self.creator_names], dtype=bool)
        return hit[self.creator_codes] if hit.size else np.zeros(self.n, dtype=bool)


def constraint_mask(arr: CatalogArrays, c: Constraints, index_of: dict[str, int]) -> np.ndarray:
    """True where an item passes every hard filter."""
    mask = np.ones(arr.n, dtype=bool)
    if c.domain:
        code = arr.domain_codes.get(c.domain.lower())
        mask &= arr.domains == code if code is not None else False
    if c.genres:
        has = arr.has_any_tag(c.genres)
        mask &= has if has is not None else False
    for group in c.genre_groups:
        has = arr.has_any_tag(group)
        mask &= has if has is not None else False
    if c.not_genres:
        has = arr.has_any_tag(c.not_genres)
        if has is not None:
            mask &= ~has
    if c.creators:
        mask &= arr.creator_match(c.creators)
    if c.not_creators:
        mask &= ~arr.creator_match(c.not_creators)
    with np.errstate(invalid="ignore"):
        if c.year_min is not None:
            mask &= arr.years >= c.year_min
        if c.year_max is not None:
            mask &= arr.years <= c.year_max
    for iid in c.exclude_items:
        i = index_of.get(iid)
        if i is not None:
            mask[i] = False
    return mask


def relaxations(c: Constraints, group_size: Callable[[tuple[str, ...]], int] | None = None) -> list[Constraints]:
    """Progressively looser versions of c, most specific first; exclusions of seen items stay.

    Order = what people give up most easily: the broadest of several genre groups ("christmas" AND
    "family": keep christmas, the rarer one, when `group_size` says how many items each group has),
    then the era, then named creators, then the genre, then the "not X" filters, and the domain last
    (a book is no answer to a movie request).
    """
    steps: list[Constraints] = []
    cur = c
    groups = list(c.genre_groups)
    if group_size is not None:
        while len(groups) > 1:  # drop the broadest group first: the rarest says most about the request
            groups.remove(max(groups, key=group_size))
            cur = replace(cur, genre_groups=tuple(groups))
            steps.append(cur)
    for change in (
        {"genre_groups": ()},  # "funny AND sci-fi" -> "funny OR sci-fi" before anything else goes
        {"year_min": None, "year_max": None},
        {"creators": ()},
        {"genres": (), "genre_groups": ()},
        {"not_genres": (), "not_creators": ()},
        {"domain": None},
    ):
        nxt = replace(cur, **change)  # type: ignore[arg-type]
        if nxt != cur:
            steps.append(nxt)
            cur = nxt
    return steps


def relax(arr: CatalogArrays, index_of: dict[str, int], c: Constraints, fresh: np.ndarray,
          disliked: np.ndarray) -> tuple[np.ndarray, str, np.ndarray | None]:
    """Nothing fresh fits c: the first looser step that leaves something (with a penalty that ranks the
    closest to a dropped year range first), else everything not disliked again. Returns the mask, the
    note that says so, and the penalty."""
    def group_size(group: tuple[str, ...]) -> int:
        has = arr.has_any_tag(group)
        return int(has.sum()) if has is not None else 0

    what = c.describe()
    for step in relaxations(c, group_size):
        mask = constraint_mask(arr, step, index_of) & fresh
        if mask.any():
            return mask, f"nothing matches {what or 'that'}; here is the closest", closeness_penalty(arr, c)
    # Even without filters nothing is left: everything was seen. Offer repeats, never dislikes.
    mask = np.ones(arr.n, dtype=bool)
    mask[disliked] = False
    if not mask.any():
        mask[:] = True
    return mask, "you have seen everything that fits; here are the best of them again", None


def closeness_penalty(arr: CatalogArrays, c: Constraints) -> np.ndarray:
    """How far each item is from a dropped year range (in decades), to rank the closest first."""
    pen = np.zeros(arr.n, dtype=np.float32)
    years = np.nan_to_num(arr.years, nan=-1e4)
    if c.year_min is not None:
        pen += np.clip(c.year_min - years, 0, 200) / 10.0
    if c.year_max is not None:
        pen += np.clip(years - c.year_max, 0, 200) / 10.0
    return pen


# A critique word -> the catalog tags/genres that are evidence of it. "less violent" must remove what
# is tagged violent *or* gory; "darker" moves what is tagged dark. Terms not listed fall back to a tag
# of the same name, then (engine) to the nearest tag by embedding.
CRITIQUE_TAGS: dict[str, tuple[str, ...]] = {
    "gory": ("gory",), "bloody": ("gory", "violent"), "violent": ("violent", "gory"), "brutal": ("violent", "gory"),
    "explicit": ("violent", "gory"), "gritty": ("violent", "dark"), "scary": ("scary", "horror"),
    "creepy": ("scary", "horror"), "spooky": ("scary", "horror"), "frightening": ("scary", "horror"),
    "terrifying": ("scary", "horror"), "horror": ("horror",), "disturbing": ("scary", "gory", "dark"),
    "dark": ("dark",), "bleak": ("dark",), "grim": ("dark",), "depressing": ("dark", "tearjerker"),
    "sad": ("tearjerker",), "heavy": ("dark", "tearjerker"), "emotional": ("tearjerker",),
    "funny": ("funny", "comedy"), "silly": ("funny", "comedy"), "comedic": ("funny", "comedy"),
    "light": ("light", "feel-good", "heartwarming"), "lighthearted": ("light", "feel-good", "heartwarming"),
    "happy": ("feel-good", "heartwarming"), "cheerful": ("feel-good", "heartwarming"), "uplifting": ("feel-good",
                                                                                                     "inspiring"),
    "romantic": ("romantic", "romance"), "slow": ("slow-burn",), "fast": ("fast-paced",), "tense": ("suspenseful",),
    "suspenseful": ("suspenseful",), "weird": ("quirky", "mind-bending"), "strange": ("quirky", "mind-bending"),
    "smart": ("cerebral", "ideas"), "deep": ("cerebral", "ideas"), "complex": ("cerebral", "mind-bending"),
    "action": ("action",), "dramatic": ("drama",), "epic": ("epic",), "classic": ("classic",),
    "cozy": ("heartwarming", "feel-good"), "wholesome": ("family-friendly", "heartwarming"),
}


def critique_words(term: str) -> set[str]:
    """The tags that are evidence of a critique word, normalised, whatever a catalog carries."""
    return {norm_tag(w) for w in CRITIQUE_TAGS.get(term.lower(), (term,))}


def asked_tags(c: Constraints) -> set[str]:
    """The genres/tags a request asks for, normalised: its any-of genres and every genre group."""
    return {norm_tag(g) for g in (*c.genres, *(g for group in c.genre_groups for g in group))}


def critique_tags(arr: CatalogArrays, term: str) -> tuple[str, ...]:
    """The catalog tags that stand for a critique term (empty when the catalog has none of them)."""
    words = CRITIQUE_TAGS.get(term.lower(), (term,))
    return tuple(w for w in words if norm_tag(w) in arr.tag_index)
