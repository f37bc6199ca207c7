"""ReDial data for the benchmark: the candidate catalog (mapped onto MovieLens) and dialogue turns.

Nothing here learns from ReDial dialogues: the catalog is the 6,924 ReDial movie names with
MovieLens genres/tags where a title maps, popularity = the training split's mention counts
(movies_train_mentions.csv, the prior the protocol allows), and the collaborative prior is
MovieLens ratings. How a turn's earlier messages are read is in benchmarks/redial_context.py.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.recommend.catalog import Catalog, Item
from core.recommend.prior import rating_value
from core.recommend.titles import TitleMatcher, split_title_year

# The dialogues were collected in 2018 (Li et al., NeurIPS 2018): "recently" and "new" mean then.
REDIAL_YEAR = 2018
MENTION_RE = re.compile(r"@(\d+)")

# Genre/mood words people use -> MovieLens genre (or tag) names in the catalog.
GENRE_WORDS: dict[str, tuple[str, ...]] = {
    "horror": ("horror", "scary", "scare", "scares", "scariest", "frightening", "creepy", "spooky", "slasher",
               "gore", "gory", "haunted", "haunting", "zombie", "zombies", "terrifying", "possession", "exorcism"),
    "comedy": ("comedy", "comedies", "funny", "hilarious", "laugh", "laughs", "humor", "humour", "comedic",
               "goofy", "silly", "romcom", "rom-com", "comedys"),
    "romance": ("romance", "romantic", "romcom", "rom-com", "love story", "chick flick", "chick flicks", "date night"),
    "action": ("action", "explosions", "fighting", "martial arts", "action-packed", "kung fu", "car chase"),
    "thriller": ("thriller", "thrillers", "suspense", "suspenseful", "psychological", "edge of my seat"),
    "sci-fi": ("sci-fi", "scifi", "sci fi", "science fiction", "space", "aliens", "futuristic", "time travel"),
    "drama": ("drama", "dramas", "dramatic", "tearjerker", "emotional"),
    "animation": ("animated", "animation", "cartoon", "cartoons", "pixar", "anime"),
    "children": ("kids", "kid", "family", "children", "child", "family-friendly", "disney"),
    "documentary": ("documentary", "documentaries", "docs", "true story"),
    "fantasy": ("fantasy", "magic", "magical", "wizard", "wizards", "dragons", "fairy tale"),
    "mystery": ("mystery", "mysteries", "whodunit", "detective", "twist", "twists"),
    "crime": ("crime", "gangster", "gangsters", "mafia", "mob", "heist", "heists", "cop", "cops"),
    "war": ("war", "wwii", "military", "soldiers", "ww2"),
    "western": ("western", "westerns", "cowboy", "cowboys"),
    "musical": ("musical", "musicals", "singing"),
    "adventure": ("adventure", "adventures", "adventurous"),
    "superhero": ("superhero", "superheroes", "super hero", "marvel", "dc comics", "comic book", "comic books"),
}
_NEGATION = re.compile(r"\b(not|don'?t|dont|no|never|hate|hates|isn'?t|nothing|without|dislike|except)\b")


@dataclass
class RedialCatalog:
    catalog: Catalog
    names: dict[str, str]  # ReDial id -> "Title (Year)" as ReDial writes it
    to_ml: dict[str, str]  # ReDial id -> MovieLens movieId
    prior_rows: list[tuple[str, str, float, float]]
    # ReDial id -> MovieLens ratings per year of rating (timestamp): for an era-weighted popularity
    rating_years: dict[str, Counter[int]] = field(default_factory=dict)


def load_catalog(movies_csv: Path, ml_dir: Path) -> RedialCatalog:
    with movies_csv.open(encoding="utf-8", newline="") as f:
        redial = [(r["movieId"], r["movieName"], int(r["nbMentions"] or 0)) for r in csv.DictReader(f)]
    with (ml_dir / "movies.csv").open(encoding="utf-8", newline="") as f:
        ml_movies = {r["movieId"]: (r["title"], r["genres"]) for r in csv.DictReader(f)}
    with (ml_dir / "ratings.csv").open(encoding="utf-8", newline="") as f:
        ratings = [(r["userId"], r["movieId"], float(r["rating"]), float(r["timestamp"])) for r in csv.DictReader(f)]
    tags: dict[str, Counter[str]] = {}
    tags_csv = ml_dir / "tags.csv"
    if tags_csv.exists():
        with tags_csv.open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                t = r["tag"].strip().lower()
                if t and t != "in netflix queue":
                    tags.setdefault(r["movieId"], Counter())[t] += 1
    counts = Counter(m for _, m, _, _ in ratings)
    matcher = TitleMatcher.build(((mid, *split_title_year(t)) for mid, (t, _) in ml_movies.items()),
                                 weights={k: float(v) for k, v in counts.items()})
    items: list[Item] = []
    to_ml: dict[str, str] = {}
    for rid, name, n in redial:
        title, year = split_title_year(name.replace("%3F", "?"))
        mid = matcher.match(title, year)
        genres: tuple[str, ...] = ()
        item_tags: tuple[str, ...] = ()
        if mid is not None:
            to_ml[rid] = mid
            genres = tuple(g.lower() for g in ml_movies[mid][1].split("|") if g and g != "(no genres listed)")
            item_tags = tuple(t for t, _ in tags.get(mid, Counter()).most_common(8))
        items.append(Item(item_id=rid, title=title or name, year=year, genres=genres, tags=item_tags,
                          popularity=float(n)))
    from_ml: dict[str, list[str]] = {}
    for rid, mid in to_ml.items():
        from_ml.setdefault(mid, []).append(rid)
    rows = [(f"ml:{u}", rid, rating_value(s), ts) for u, m, s, ts in ratings for rid in from_ml.get(m, ())]
    rating_years: dict[str, Counter[int]] = {}
    for _, m, _, ts in ratings:
        for rid in from_ml.get(m, ()):
            rating_years.setdefault(rid, Counter())[time.gmtime(ts).tm_year] += 1
    return RedialCatalog(Catalog(items), {rid: name for rid, name, _ in redial}, to_ml, rows, rating_years)


@dataclass
class Turn:
    """One recommender message with targets, and what was said before it."""

    conv_id: str
    message_id: int
    targets: list[str]
    new_targets: list[str]
    history: list[tuple[bool, str]]  # (from seeker?, text) of earlier messages
    mentioned: list[tuple[str, bool, int]] = field(default_factory=list)  # (id, by seeker?, message index)


def read_dialogs(path: Path) -> Iterator[dict]:
    """One conversation per line; a line that is not a JSON object stops the run with its line number."""
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                conv = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f"{path}:{n}: not valid JSON ({e.msg})") from None
            if not isinstance(conv, dict) or not isinstance(conv.get("messages", []), list):
                raise SystemExit(f"{path}:{n}: expected a conversation object with a 'messages' list")
            yield conv


def turns(conv: dict) -> Iterator[Turn]:
    seeker = conv.get("initiatorWorkerId")
    history: list[tuple[bool, str]] = []
    mentioned: list[tuple[str, bool, int]] = []
    seen: set[str] = set()
    for k, m in enumerate(conv.get("messages", [])):
        text = str(m.get("text", ""))
        ids = list(dict.fromkeys(MENTION_RE.findall(text)))
        from_seeker = m.get("senderWorkerId") == seeker
        if not from_seeker and ids:
            yield Turn(str(conv.get("conversationId")), int(m.get("messageId", 0)), ids,
                       [i for i in ids if i not in seen], list(history), list(mentioned))
        history.append((from_seeker, text))
        for i in ids:
            mentioned.append((i, from_seeker, k))
            seen.add(i)


def render(text: str, names: dict[str, str]) -> str:
    """'@111776 is great' -> 'Super Troopers (2001) is great'."""
    return MENTION_RE.sub(lambda m: names.get(m.group(1), "a movie"), text)


def strip_mentions(text: str) -> str:
    return re.sub(r"\s+", " ", MENTION_RE.sub(" ", text)).strip()


def clauses(text: str) -> list[str]:
    return [c for c in re.split(r"[.!?;]+|\bbut\b|,", text) if c.strip()]


def genre_requests(text: str) -> list[tuple[int, str]]:
    """(+1/-1, genre) for genre/mood words in a message, negated inside a 'not/don't/no' clause."""
    out: list[tuple[int, str]] = []
    for clause in clauses(strip_mentions(text).lower()):
        for genre, words in GENRE_WORDS.items():
            for w in words:
                pos = clause.find(w)
                if pos >= 0 and re.search(rf"\b{re.escape(w)}\b", clause):
                    neg = bool(_NEGATION.search(clause[:pos]))
                    out.append((-1 if neg else 1, genre))
                    break
    return out
