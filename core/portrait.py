"""What an item is, in one grammatical phrase from its own facts: "a funny road-trip comedy by John Hughes".

The recommender's reason strings its tags together as it finds them ("an aliens, space sci-fi"); a reply
people read needs adjectives as adjectives, a noun for the kind of thing, and the creator. Tags are
sorted into adjectives ("funny", "dark"), compound modifiers ("road-trip", "heist", "vampire") and the
rest (left out); the genre picks the noun, by domain ("sci-fi" -> "sci-fi film" / "sci-fi novel").
Tags the person asked for come first.
"""

from __future__ import annotations

from collections.abc import Collection

from core.i18n import t
from core.recommend.catalog import Item

ADJECTIVES = frozenset("""funny satirical dark scary romantic quirky heartwarming violent suspenseful mind-bending
    cerebral slow-burn fast-paced feel-good family-friendly nostalgic psychological epic gory light inspiring
    animated cult-classic classic award-winning historical supernatural practical tearjerker""".split())
MODIFIERS = {
    "road-trip": "road-trip", "coming-of-age": "coming-of-age", "high-school": "high-school", "heist": "heist",
    "spy": "spy", "space": "space", "time-travel": "time-travel", "martial-arts": "martial-arts",
    "courtroom": "courtroom", "christmas": "Christmas", "detective": "detective", "sports": "sports",
    "superhero": "superhero", "vampires": "vampire", "zombies": "zombie", "monsters": "monster",
    "robots": "robot", "aliens": "alien", "dystopia": "dystopian", "survival": "survival", "revenge": "revenge",
    "music": "music", "politics": "political", "magic": "magical", "true-story": "true-story", "noir": "noir",
}
MOVIE_NOUNS = {
    # Every noun says it is a film (a list may mix books and films; "a thriller" alone would not say which).
    "comedy": "comedy film", "drama": "drama film", "thriller": "thriller film", "western": "western",
    "musical": "musical film", "documentary": "documentary", "mystery": "mystery film", "romance": "romance film",
    "horror": "horror film",
    "sci-fi": "sci-fi film", "action": "action film", "adventure": "adventure film", "animation": "animated film",
    "fantasy": "fantasy film", "crime": "crime film", "war": "war film", "family": "family film",
    "biography": "biopic", "history": "history film",
}
BOOK_NOUNS = {
    "sci-fi": "sci-fi novel", "fantasy": "fantasy novel", "horror": "horror novel", "romance": "romance novel",
    "mystery": "mystery novel", "thriller": "thriller novel", "classic": "classic novel", "humor": "comic novel",
    "literary fiction": "literary novel", "historical fiction": "historical novel", "young adult": "young-adult novel",
    "children": "children's book", "graphic novel": "graphic novel", "nonfiction": "nonfiction book",
    "history": "history book", "science": "science book", "biography": "biography", "memoir": "memoir",
    "philosophy": "philosophy book", "psychology": "psychology book", "self-help": "self-help book",
    "business": "business book", "poetry": "poetry collection", "fiction": "novel", "war": "war novel",
    "drama": "drama book", "adventure": "adventure novel", "crime": "crime novel", "comedy": "comic novel",
}


def _noun(item: Item, prefer: Collection[str]) -> str:
    table = BOOK_NOUNS if item.domain == "book" else MOVIE_NOUNS
    genres = sorted(item.genres, key=lambda g: g not in prefer)  # a genre the person asked for names it
    for g in genres:
        if g in table:
            return table[g]
    if genres:
        return f"{genres[0]} {item.domain or 'title'}"
    return item.domain or "title"


def portrait(lang: str, item: Item, prefer: Collection[str] = ()) -> str:
    """"a funny road-trip comedy by John Hughes" (lower-case article; the caller capitalizes)."""
    tags = sorted(dict.fromkeys((*item.tags, *item.genres)), key=lambda x: x not in prefer)
    noun = _noun(item, prefer)
    adjs = [a for a in tags if a in ADJECTIVES and a not in noun and not (a == "classic" and noun == "classic")
            and not (a == "romantic" and "romance" in noun)]
    if noun.startswith("animated"):
        adjs = [a for a in adjs if a != "animated"]
    if "tearjerker" in adjs:  # a noun really: "a tearjerker", never "a tearjerker drama"
        adjs.remove("tearjerker")
    mods = [MODIFIERS[m] for m in tags if m in MODIFIERS and MODIFIERS[m] not in noun]
    words = [*(", ".join(adjs[:2]) and [", ".join(adjs[:2])]), *mods[:1], noun]
    phrase = " ".join(words)
    article = t(lang, "an") if phrase[:1].lower() in "aeiou" else t(lang, "a")
    names = [n.strip() for n in (item.creator or "").split(",") if n.strip()]
    who = t(lang, " and ").join(names) if len(names) <= 2 else ", ".join(names[:-1]) + t(lang, " and ") + names[-1]
    return t(lang, "{article} {what} by {creator}", article=article, what=phrase, creator=who) if who else \
        t(lang, "{article} {what}", article=article, what=phrase)
