"""The deterministic reply: an intro that says what was asked and applied, a blurb per item, an honest note.

Everything here is built from facts: the request's constraints (only those every listed item really
meets are claimed in the intro), the items' own catalog fields (description, creator, genres/tags)
and the recommender's reasons. Variety comes from several phrasings picked by a seed derived from the
conversation (same turn, same text; next turn, another phrasing), never from sampling. Every
user-facing string goes through ``core.i18n.t``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from core.i18n import join, t, tag
from core.localize import describe as describe_constraints
from core.localize import relaxed as relaxed_note
from core.nlu.request_rules import exclusion_heads
from core.portrait import portrait as describe
from core.recommend.catalog import Item
from core.recommend.filters import asked_tags, critique_words, norm_tag
from core.recommend.types import Constraints

# Genres that are count nouns ("80s comedies"); any other genre is an adjective before "movies"/"books".
_PLURAL_GENRES = {
    "comedy": "comedies", "thriller": "thrillers", "western": "westerns", "drama": "dramas",
    "musical": "musicals", "documentary": "documentaries", "mystery": "mysteries", "romance": "romances",
    "memoir": "memoirs", "biography": "biographies", "classic": "classics", "graphic novel": "graphic novels",
}
_NOUN_WORDS = {"horror", "sci-fi", "fantasy", "action", "adventure", "crime", "war", "history", "poetry",
               "animation", "science", "philosophy", "psychology", "nonfiction", "fiction", "humor", "business",
               "self-help", "children", "family", "young adult", "historical fiction", "literary fiction"}
_DOMAIN_PLURAL = {"movie": "movies", "book": "books"}
_NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_HOOK_CHARS = 180
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


def seed_for(*parts: object) -> int:
    """A stable seed from conversation facts (crc32: same input, same phrasing, on every machine)."""
    return zlib.crc32("|".join(str(p) for p in parts).encode("utf-8"))


def _pick(options: Sequence[str], seed: int, salt: str = "") -> str:
    return options[(seed ^ zlib.crc32(salt.encode())) % len(options)]


# ---- facts: which constraint does an item meet ------------------------------------------------------
def _tags(item: Item) -> set[str]:
    return {norm_tag(x) for x in (*item.genres, *item.tags)}


def _meets_genres(item: Item, genres: Sequence[str]) -> bool:
    return not genres or bool({norm_tag(g) for g in genres} & _tags(item))


def _meets_not_genres(item: Item, genres: Sequence[str]) -> bool:
    return not ({norm_tag(g) for g in genres} & _tags(item))


def _meets_creators(item: Item, creators: Sequence[str]) -> bool:
    who = (item.creator or "").lower()
    return not creators or (bool(who) and any(c.lower() in who for c in creators))


def _meets_years(item: Item, lo: int | None, hi: int | None) -> bool:
    if lo is None and hi is None:
        return True
    if item.year is None:
        return False
    return (lo is None or item.year >= lo) and (hi is None or item.year <= hi)


# ---- phrases ----------------------------------------------------------------------------------------
def era_phrase(lang: str, lo: int | None, hi: int | None) -> str:
    """"80s", "from before 1980", "from 2000 on", "from 1990-2005" (years only as the user gave them)."""
    if lo is not None and hi is not None:
        if lo % 10 == 0 and hi == lo + 9:
            return t(lang, "{decade}s", decade=lo % 100 if 1950 <= lo < 2000 else lo)
        return t(lang, "from {lo}-{hi}", lo=lo, hi=hi)
    if hi is not None:
        return t(lang, "from before {year}", year=hi + 1)  # year_max 1979 is how "before 1980" is read
    if lo is not None:
        return t(lang, "from {year} on", year=lo)
    return ""


def _noun(lang: str, genres: Sequence[str], domain: str | None, joiner: str, era: str = "") -> str:
    """"comedies", "funny 80s comedies", "dark sci-fi movies", "movies with robots", "horror or comedy books".

    ``era`` is a decade ("80s"): it goes after the adjectives and before the genre noun, as people say it."""
    things = t(lang, _DOMAIN_PLURAL.get(domain or "", "titles"))
    lead = [era] if era else []
    if not genres:
        return " ".join([*lead, things])
    if joiner != "and":
        # "horror or comedy movies" reads; "romantic or comedy or noir movies" does not: then no genre claim
        kinds = {g in _PLURAL_GENRES or g in _NOUN_WORDS for g in genres}
        if len(genres) > 2 or len(kinds) > 1:
            return " ".join([*lead, things])
        return " ".join([*lead, t(lang, "{genres} {things}", genres=t(lang, " or ").join(genres), things=things)])
    nouns = [g for g in genres if g in _PLURAL_GENRES or g in _NOUN_WORDS]
    withs = [g for g in genres if g not in nouns and g.endswith("s") and not g.endswith("ss")]
    adjs = [g for g in genres if g not in nouns and g not in withs]
    if len(nouns) == 1 and nouns[0] in _PLURAL_GENRES and domain != "book":
        head = [t(lang, _PLURAL_GENRES[nouns[0]])]
    else:
        head = [*nouns, things]
    phrase = " ".join([*adjs, *lead, *head])
    if withs:
        phrase += " " + t(lang, "with {things}", things=t(lang, " and ").join(withs))
    return phrase


def _not_phrase(lang: str, word: str) -> str:
    """"no horror" for a genre noun, "nothing gory" for an adjective tag."""
    if word in _NOUN_WORDS or word in _PLURAL_GENRES:
        return t(lang, "no {genre}", genre=word)
    return t(lang, "nothing {quality}", quality=word)


_COMPARATIVES = {"dark": "darker", "light": "lighter", "short": "shorter", "long": "longer", "fast": "faster",
                 "slow": "slower", "old": "older", "new": "newer", "funny": "funnier", "scary": "scarier",
                 "sad": "sadder", "happy": "happier", "quirky": "quirkier", "weird": "weirder", "recent": "more recent"}


def _critique_phrase(lang: str, critique: str) -> str:
    sign, word = critique[:1], critique[1:].strip()
    if not word:
        return ""
    if sign == "-":
        return t(lang, "less {quality}", quality=word)
    return t(lang, _COMPARATIVES[word]) if word in _COMPARATIVES else t(lang, "more {quality}", quality=word)


def _count(lang: str, n: int) -> str:
    return t(lang, _NUMBERS[n - 1]) if 1 <= n <= len(_NUMBERS) else str(n)


@dataclass(frozen=True)
class RequestView:
    """What the person asked for, as the reply may restate it."""

    constraints: Constraints
    seed_labels: tuple[str, ...] = ()  # "Alien (1979)": titles they asked for things like
    critiques: tuple[str, ...] = ()  # "+dark", "-gory"
    kind: str = "recommend"  # "recommend" | "refine" | "more" | "more-like" | "diversify"


def _met(req: RequestView, items: Sequence[Item]) -> dict[str, bool]:
    c = req.constraints
    return {
        "genres": all(_meets_genres(i, c.genres) for i in items),
        "not_genres": all(_meets_not_genres(i, c.not_genres) for i in items),
        "creators": all(_meets_creators(i, c.creators) for i in items),
        "not_creators": not c.not_creators or not any(_meets_creators(i, c.not_creators) for i in items),
        "years": all(_meets_years(i, c.year_min, c.year_max) for i in items),
        "domain": not c.domain or all(i.domain == c.domain for i in items),
    }


def critiques_met(critiques: Sequence[str], items: Sequence[Item], asked: Constraints | None = None) -> tuple[str, ...]:
    """The critiques a reply may restate for this list: "+X" when every item carries one of X's evidence
    tags, "-X" when none does (the recommender removes those; "more X" only leads with what fits the
    rest, so "lighter" may hold for none of them). A word the catalog's tags cannot show is not claimed."""
    out = []
    for raw in critiques:
        sign, term = raw[:1], raw[1:].strip().lower()
        if sign not in "+-" or not term:
            continue
        has = [_has_critique(i, term, asked if sign == "-" else None) for i in items]
        if (all(has) if sign == "+" else not any(has)) and items:
            out.append(raw)
    return tuple(out)


def _has_critique(item: Item, term: str, asked: Constraints | None = None) -> bool:
    """Whether the item carries the critique's evidence; for a "less X", the genres the request asks for
    are not evidence (as in the recommender: "less scary" in a horror request is about "scary")."""
    words = critique_words(term)
    if asked is not None:
        words = (words - asked_tags(asked)) or words
    return bool(words & _tags(item))


def what_phrase(lang: str, req: RequestView, items: Sequence[Item]) -> str:
    """"80s comedies, nothing gory": only the constraints every listed item meets (no count)."""
    c, met = req.constraints, _met(req, items)
    domains = {i.domain for i in items}
    domain = c.domain if c.domain and met["domain"] else (next(iter(domains)) if len(domains) == 1 else None)
    # Claim a genre only when every item has it; "a or b" when each item has one of them.
    every = [g for g in c.genres if all(_meets_genres(i, (g,)) for i in items)]
    genres, joiner = (every, "and") if every else ((list(c.genres), "or") if c.genres and met["genres"] else ([], ""))
    era = era_phrase(lang, c.year_min, c.year_max) if met["years"] else ""
    decade = bool(era) and c.year_min is not None and c.year_max is not None and c.year_max == c.year_min + 9 \
        and c.year_min % 10 == 0
    head = _noun(lang, genres, domain, joiner, era if decade else "")
    if era and not decade:
        head += f" {era}"  # "from before 1980" follows the noun
    if c.creators and met["creators"]:
        head += " " + t(lang, "by {names}", names=t(lang, " or ").join(c.creators))
    if req.seed_labels:
        head += " " + t(lang, "like {titles}", titles=t(lang, " and ").join(req.seed_labels[:2]))
    # "nothing scary", not also "no horror, nothing zombies": the synonyms kept out with it go unsaid.
    tail = [_not_phrase(lang, g) for g in exclusion_heads(c.not_genres)] if met["not_genres"] else []
    if c.not_creators and met["not_creators"]:
        tail.append(t(lang, "nothing by {names}", names=t(lang, " or ").join(c.not_creators)))
    tail += [p for p in (_critique_phrase(lang, x) for x in critiques_met(req.critiques, items, req.constraints)) if p]
    return ", ".join([head, *tail[:3]])


def intro_line(lang: str, req: RequestView, items: Sequence[Item], seed: int) -> str:
    """The reply's first line ("Five 80s comedies, nothing gory:"); several phrasings, picked by ``seed``."""
    what, n = what_phrase(lang, req, items), _count(lang, len(items))
    fields = {"n": n, "N": n[:1].upper() + n[1:], "what": what}
    if len(items) == 1:  # "one horror books" does not read: one match *for* the plural
        options = {"diversify": ["Let me try a different direction: one match for {what}."],
                   "more": ["One more match for {what}:"], "more-like": ["One more match for {what}:"],
                   "refine": ["Adjusted: one match for {what}:"]}.get(
            req.kind, ["Just one match for {what}:", "I found one match for {what}:"])
    elif req.kind == "diversify":
        options = ["Let me try a different direction: {n} {what}.", "Something else, then: {n} {what}."]
    elif req.kind in ("more", "more-like"):
        options = ["{N} more {what}:", "Here are {n} more {what}:", "{n} more {what}, coming up:"]
    elif req.kind == "refine":
        options = ["Adjusted: {n} {what}:", "With that change, {n} {what}:", "{N} {what}, as you asked:"]
    else:
        options = ["{N} {what}:", "Here are {n} {what}:", "Try these {n} {what}:", "I picked {n} {what}:"]
    line = t(lang, _pick(options, seed, "intro"), **fields)
    return line[:1].upper() + line[1:]


def unmet_note(lang: str, req: RequestView, items: Sequence[Item], relaxed: str | None) -> str:
    """An honest line when the list does not meet everything asked (or the recommender relaxed it)."""
    c, met = req.constraints, _met(req, items)
    misses: list[str] = []
    if not met["years"]:
        off = sum(not _meets_years(i, c.year_min, c.year_max) for i in items)
        era = era_phrase(lang, c.year_min, c.year_max)
        era = era if era.startswith("from") else t(lang, "from the {era}", era=era)
        misses.append(t(lang, "none of these is {era}", era=era) if off == len(items) else
                      t(lang, "{n} of these {verb} not {era}", n=off, verb=t(lang, "is" if off == 1 else "are"), era=era))
    if not met["genres"]:
        off = sum(not _meets_genres(i, c.genres) for i in items)
        misses.append(t(lang, "{n} of these {verb} not {genres}", n=off, verb=t(lang, "is" if off == 1 else "are"),
                        genres=t(lang, " or ").join(c.genres)))
    if not met["creators"]:
        misses.append(t(lang, "not all are by {names}", names=t(lang, " or ").join(c.creators)))
    if not met["domain"] and c.domain:
        misses.append(t(lang, "not all are {things}", things=t(lang, _DOMAIN_PLURAL.get(c.domain, c.domain))))
    for raw in req.critiques:  # "lighter", "less silly": said when the list could not keep to it (critiques_met)
        term = raw[1:].strip().lower()
        if raw[:1] == "+" and term and (off := sum(not _has_critique(i, term) for i in items)):
            misses.append(t(lang, "{n} of these {verb} not {genres}", n=off, verb=t(lang, "is" if off == 1 else "are"),
                            genres=tag(lang, term)))
        elif raw[:1] == "-" and term and any(_has_critique(i, term, req.constraints) for i in items):
            misses.append(t(lang, "some are {genres} after all", genres=tag(lang, term)))
    if not met["not_genres"]:
        misses.append(t(lang, "some are {genres} after all", genres=t(lang, " or ").join(exclusion_heads(c.not_genres))))
    if misses:
        return t(lang, "I couldn't match everything you asked: {misses}. These are the closest I have.",
                 misses="; ".join(misses))
    if relaxed and relaxed.startswith("you have seen everything"):
        return t(lang, "You've seen everything I have that fits, so these are the best of it again.")
    return ""


# ---- blurbs -----------------------------------------------------------------------------------------
def hook(description: str, limit: int = _HOOK_CHARS) -> str:
    """The description's first sentence, shortened at a clause boundary when it is long."""
    text = " ".join(description.split())
    if not text:
        return ""
    first = text
    for m in _SENTENCE_BREAK.finditer(text):
        word = text[: m.start()].rsplit(" ", 1)[-1]
        if re.fullmatch(r"[A-Z]\.|(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|Capt|Gen|Lt|vs|No)\.", word):
            continue  # "Ignatius J. Reilly", "Mr. Darcy": not the end of a sentence
        first = text[: m.start()]
        break
    if len(first) <= limit:
        return first if first.endswith((".", "!", "?")) else first + "."
    cut = first[:limit]
    # Clause boundaries first: a cut inside a list of adjectives ("a talkative…") reads broken.
    for sep in (";", " —", ", while ", " while ", ", and ", ", but ", " until ", " when ", " and ", ","):
        at = cut.rfind(sep)
        if at > limit // 2:
            return cut[:at].rstrip(" ,;—") + "…"
    return cut.rsplit(" ", 1)[0].rstrip(" ,;—") + "…"


def split_reason(reason: str) -> tuple[str, str]:
    """("a funny, satirical comedy by X", "because you liked Y") from the recommender's reason."""
    head, sep, why = reason.partition("; because ")
    return head.strip(), (f"because {why.strip()}" if sep else "")


def blurbs(lang: str, items: Sequence[Item], reasons: Sequence[str], seed: int,
           prefer: Collection[str] = ()) -> list[str]:
    """The text after each list line's dash: what the item is (core.portrait, from its own tags, genre
    and creator, preferring the words in ``prefer``), its hook from the description, and the reason only
    where it says something the intro does not (a "because" shared by every item is said once in the
    intro, not five times)."""
    parts = [split_reason(r) for r in reasons]
    whys = {why for _, why in parts}
    shared = len(items) > 1 and len(whys) == 1
    out: list[str] = []
    for n, (item, (_, why)) in enumerate(zip(items, parts, strict=True)):
        portrait = describe(lang, item, prefer)
        text_hook = hook(item.description)
        lead = portrait[:1].upper() + portrait[1:] if portrait else ""
        if text_hook and lead:
            style = _pick(("{lead}. {hook}", "{lead}: {hook}"), seed + n, "blurb")
            line = t(lang, style, lead=lead, hook=text_hook)
        else:
            line = lead or text_hook
        if why and not shared:
            line = line.rstrip(".") + "; " + why if not text_hook else line + " " + why[:1].upper() + why[1:] + "."
        out.append(line.strip())
    return out


def shared_reason(reasons: Sequence[str]) -> str:
    """The "because ..." every item shares (said once), else ""."""
    whys = {split_reason(r)[1] for r in reasons}
    return next(iter(whys)) if len(reasons) > 1 and len(whys) == 1 else ""


# ---- other languages: whole sentences ----------------------------------------------------------------
# The English intro above is assembled from pieces ("a"/"an", "80s comedies", "{n} of these are not ...");
# those pieces do not translate one by one (Chinese needs measure words and another word order), so any
# other language gets whole-sentence messages with the request restated as localize.describe does it.
LOCALIZED_INTROS = {
    "recommend": "Here are some picks ({constraints}):",
    "refine": "Here are some picks ({constraints}):",
    "more": "Here are a few more:",
    "more-like": "More in that vein:",
    "diversify": "Let me try a different direction:",
}
LOCALIZED_PLAIN_INTRO = "Here are some picks for you:"
NOTHING_FITS = "Nothing I have fits that ({constraints})."
LOCALIZED_UNMET = "Not all of these fit {constraints}; they are the closest I have."


def _met_constraints(req: RequestView, items: Sequence[Item]) -> tuple[Constraints, Constraints]:
    """(the constraints every item meets, those some item misses): only the first may be claimed."""
    c, met = req.constraints, _met(req, items)
    keep = {"genres": c.genres if met["genres"] else (), "not_genres": c.not_genres if met["not_genres"] else (),
            "creators": c.creators if met["creators"] else (),
            "not_creators": c.not_creators if met["not_creators"] else (),
            "year_min": c.year_min if met["years"] else None, "year_max": c.year_max if met["years"] else None,
            "domain": c.domain if met["domain"] else None}
    miss = {"genres": () if met["genres"] else c.genres, "not_genres": () if met["not_genres"] else c.not_genres,
            "creators": () if met["creators"] else c.creators,
            "year_min": None if met["years"] else c.year_min, "year_max": None if met["years"] else c.year_max,
            "domain": None if met["domain"] else c.domain}
    return Constraints(**keep), Constraints(**miss)  # type: ignore[arg-type]


def _localized_critique(lang: str, critique: str) -> str:
    sign, word = critique[:1], critique[1:].strip()
    if not word or sign not in "+-":
        return ""
    return t(lang, "less {quality}" if sign == "-" else "more {quality}", quality=tag(lang, word))


def localized_request(lang: str, c: Constraints, critiques: Sequence[str] = (), seed_labels: Sequence[str] = ()) -> str:
    """"电影、科幻、不那么血腥、类似星际穿越 Interstellar (2014)": the request in ``lang``."""
    # The critiques ("-gory") hold for the whole list: the recommender filters on them.
    said = [describe_constraints(c, lang), *(_localized_critique(lang, x) for x in critiques[:3])]
    if seed_labels:  # the titles they asked for things like, already in their language
        said.append(t(lang, "like {titles}", titles=join(lang, list(seed_labels[:2]))))
    return t(lang, ", ").join(p for p in said if p)


def localized_prose(lang: str, req: RequestView, items: Sequence[Item], relaxed: str | None) -> str:
    """The intro (and an honest note) for a language other than English, as whole translated sentences."""
    met, missed = _met_constraints(req, items)
    # Only the critiques every item meets ("-gory": "不那么血腥"): "more X" leads with what fits, not only X.
    what = (localized_request(lang, met, critiques_met(req.critiques, items, req.constraints), req.seed_labels)
            if req.kind in ("recommend", "refine") else "")
    intro = t(lang, LOCALIZED_INTROS.get(req.kind, LOCALIZED_PLAIN_INTRO), constraints=what) if what or \
        req.kind not in ("recommend", "refine") else t(lang, LOCALIZED_PLAIN_INTRO)
    notes: list[str] = []
    if missed != Constraints():
        notes.append(t(lang, LOCALIZED_UNMET, constraints=describe_constraints(missed, lang)))
    elif relaxed:
        notes.append(relaxed_note(relaxed, describe_constraints(req.constraints, lang), lang))
    return " ".join([intro, *notes])
