"""A small catalog with clear clusters (space horror, comedy, romance, crime, kids), for engine tests."""

from __future__ import annotations

from core.recommend.catalog import Catalog, Item

_ROWS = [
    # id, title, year, creator, genres, tags, description, popularity
    ("alien", "Alien", 1979, "Ridley Scott", ("horror", "sci-fi"), ("space", "gory", "dark"),
     "A crew on a deep-space freighter is hunted by a deadly alien creature.", 90),
    ("aliens", "Aliens", 1986, "James Cameron", ("action", "sci-fi"), ("space", "gory", "dark"),
     "Marines return to the alien planet and fight swarms of deadly creatures.", 85),
    ("event-horizon", "Event Horizon", 1997, "Paul W. S. Anderson", ("horror", "sci-fi"), ("space", "gory"),
     "A rescue crew finds a lost spaceship that came back from hell; bloody space horror.", 40),
    ("the-thing", "The Thing", 1982, "John Carpenter", ("horror", "sci-fi"), ("gory", "dark", "monster"),
     "Antarctic researchers face a shape-shifting alien monster that imitates its victims.", 70),
    ("moon", "Moon", 2009, "Duncan Jones", ("sci-fi", "drama"), ("space", "quiet", "cerebral"),
     "A lonely worker on a lunar base nears the end of his contract and makes a strange discovery.", 45),
    ("solaris", "Solaris", 1972, "Andrei Tarkovsky", ("sci-fi", "drama"), ("space", "cerebral", "slow"),
     "A psychologist on a space station orbiting an ocean planet meets the ghost of his wife.", 30),
    ("airplane", "Airplane!", 1980, "Jim Abrahams", ("comedy",), ("spoof", "silly"),
     "A former pilot with a fear of flying must land a plane when the crew gets food poisoning; absurd jokes.", 60),
    ("naked-gun", "The Naked Gun", 1988, "David Zucker", ("comedy", "crime"), ("spoof", "silly"),
     "A bumbling police detective stumbles through a plot to assassinate the Queen; slapstick gags.", 55),
    ("hot-shots", "Hot Shots!", 1991, "Jim Abrahams", ("comedy",), ("spoof", "silly"),
     "A parody of fighter-pilot movies full of slapstick jokes and absurd gags.", 35),
    ("groundhog-day", "Groundhog Day", 1993, "Harold Ramis", ("comedy", "romance"), ("feel-good",),
     "A cynical weatherman relives the same day over and over until he learns to be kind.", 80),
    ("notting-hill", "Notting Hill", 1999, "Roger Michell", ("romance", "comedy"), ("feel-good",),
     "A London bookseller falls in love with a famous American film star.", 50),
    ("before-sunrise", "Before Sunrise", 1995, "Richard Linklater", ("romance", "drama"), ("talky", "quiet"),
     "Two young strangers meet on a train and spend one night walking and talking in Vienna.", 45),
    ("when-harry", "When Harry Met Sally", 1989, "Rob Reiner", ("romance", "comedy"), ("feel-good", "talky"),
     "Two friends argue for years about whether men and women can just be friends, and fall in love.", 60),
    ("heat", "Heat", 1995, "Michael Mann", ("crime", "thriller"), ("heist", "dark"),
     "A master thief and an obsessive detective circle each other across Los Angeles.", 75),
    ("godfather", "The Godfather", 1972, "Francis Ford Coppola", ("crime", "drama"), ("mafia", "dark"),
     "The aging head of a mafia family hands his empire to his reluctant youngest son.", 95),
    ("goodfellas", "Goodfellas", 1990, "Martin Scorsese", ("crime", "drama"), ("mafia", "violent"),
     "A young man rises through the ranks of the New York mob over three decades.", 80),
    ("toy-story", "Toy Story", 1995, "John Lasseter", ("animation", "family"), ("kids", "feel-good"),
     "A cowboy doll feels threatened when a flashy space ranger toy joins the bedroom.", 85),
    ("finding-nemo", "Finding Nemo", 2003, "Andrew Stanton", ("animation", "family"), ("kids", "ocean"),
     "A timid clownfish crosses the ocean to find his son, who was taken by a diver.", 75),
    ("up", "Up", 2009, "Pete Docter", ("animation", "family"), ("kids", "tearjerker"),
     "An old balloon salesman flies his house to South America with a stowaway boy scout.", 70),
    ("psycho", "Psycho", 1960, "Alfred Hitchcock", ("horror", "thriller"), ("classic", "dark"),
     "A secretary on the run checks into a remote motel run by a strange young man.", 70),
    ("nosferatu", "Nosferatu", 1922, "F. W. Murnau", ("horror",), ("silent", "classic", "vampire"),
     "A silent-era vampire count brings plague and dread to a German town.", 25),
    ("dune-book", "Dune", 1965, "Frank Herbert", ("sci-fi",), ("desert", "epic"),
     "A noble family takes control of a desert planet that holds the most valuable spice.", 70),
]


def make_items() -> list[Item]:
    items = [
        Item(item_id=i, title=t, year=y, creator=c, genres=g, tags=tg, description=d, popularity=float(p),
             domain="book" if i.endswith("-book") else "movie")
        for i, t, y, c, g, tg, d, p in _ROWS
    ]
    return items


def small_catalog() -> Catalog:
    return Catalog(make_items())


CLUSTERS = {
    "space": ["alien", "aliens", "event-horizon", "the-thing", "moon", "solaris"],
    "comedy": ["airplane", "naked-gun", "hot-shots", "groundhog-day"],
    "romance": ["notting-hill", "before-sunrise", "when-harry", "groundhog-day"],
    "crime": ["heat", "godfather", "goodfellas"],
    "kids": ["toy-story", "finding-nemo", "up"],
}


def interactions(users_per_cluster: int = 8) -> list[tuple[str, str, float, float]]:
    """Synthetic users who like one cluster each (in order), for CF and sequence tests."""
    rows: list[tuple[str, str, float, float]] = []
    ts = 1_000_000.0
    for name, ids in CLUSTERS.items():
        for u in range(users_per_cluster):
            for j, iid in enumerate(ids):
                if (u + j) % 5 == 4:
                    continue  # not everyone saw everything, so CF has something to predict
                rows.append((f"{name}-{u}", iid, 1.0, ts))
                ts += 60
    return rows
