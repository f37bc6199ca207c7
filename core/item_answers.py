"""A yes/no question about one item's character ("is Coco sad?", "is Heat too violent for my kid?")
answered from the item's own tags, before its facts and description: a claim the catalog backs, or
the plain statement that its tags say nothing of the kind. Never a guess."""

from __future__ import annotations

import re

from core.i18n import t, tag
from core.nlu.lexicon import GENRE_SYNONYMS
from core.recommend.catalog import Item
from core.recommend.filters import CRITIQUE_TAGS

# Opening a sentence or clause: "is Coco sad?", "Coco - is it sad?", "can kids watch Alien?".
_YES_NO = re.compile(r"(?:^|[^\w\s']\s*)(?:is|was|are|were|does|did|would|will|can|could|isn'?t|wasn'?t)\b", re.I)
_HOW = re.compile(r"(?:^|[^\w\s']\s*)how (?:\w+ )?\w+ (?:is|was|are)\b", re.I)  # "how scary is The Exorcist?"
_WORD = re.compile(r"[a-z][a-z-]+", re.I)


def _evidence(word: str) -> tuple[str, ...]:
    """The tags that would show an item is <word> ("sad" -> tearjerker, "scary" -> scary, horror)."""
    low = word.lower()
    return tuple(dict.fromkeys((*CRITIQUE_TAGS.get(low, ()), *GENRE_SYNONYMS.get(low, ()))))


def quality_answer(item: Item, question: str, lang: str) -> str:
    """"Yes: Coco is tagged tearjerker." / "... nothing in Up's genres or tags says scary." for the first
    quality word asked about ("how scary is X?" gets the same facts without the yes/no); "" when the
    message is no such question or names no quality the tags can speak to."""
    how = bool(_HOW.search(question))
    if not (how or _YES_NO.search(question)):
        return ""
    facts = {x.lower() for x in (*item.genres, *item.tags)}
    for w in _WORD.findall(question):
        evidence = _evidence(w)
        if not evidence:
            continue
        have = [e for e in evidence if e.lower() in facts]
        tags = t(lang, ", ").join(tag(lang, h) for h in have)
        if have:
            return (t(lang, "{title} is tagged {tags}.", title=item.title, tags=tags) if how
                    else t(lang, "Yes: {title} is tagged {tags}.", title=item.title, tags=tags))
        said = t(lang, " or ").join(evidence[:2])  # the tags that would have said so ("family or children")
        return (t(lang, "Nothing in {title}'s genres or tags says {word}.", title=item.title, word=said) if how
                else t(lang, "Not as far as I know: nothing in {title}'s genres or tags says {word}.",
                       title=item.title, word=said))
    return ""


__all__ = ["quality_answer"]
