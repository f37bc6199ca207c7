"""German -> the English parser's vocabulary. Keys are folded (lowercase, umlauts without dots)."""

from __future__ import annotations

PATTERNS: list[tuple[str, str]] = [
    (r"\b(?:aus den |in den )?(?:19)?([2-9])0er(?:n| jahren?| jahre)?\b", r" from the 19\g<1>0s "),
    (r"\b(?:aus den |in den )?(20[0-2])0er(?:n| jahren?| jahre)?\b", r" from the \g<1>0s "),
    (r"\b(?:aus den |in den )?(zwanzig|dreissig|vierzig|funfzig|sechzig|siebzig|achtzig|neunzig)er(?:n|"
     r" jahren?)?\b", lambda m: f" from the 19{_DECADES[m.group(1)]}0s "),
    (r"\bnicht (?:alter|aelter) als (1[89]\d\d|20\d\d)\b", r" not older than \g<1> "),
    (r"\b(?:nach|ab|seit) (1[89]\d\d|20\d\d)\b", r" after \g<1> "),
    (r"\b(?:vor) (1[89]\d\d|20\d\d)\b", r" before \g<1> "),
    (r"\bzwischen (1[89]\d\d|20\d\d) und (1[89]\d\d|20\d\d)\b", r" between \g<1> and \g<2> "),
    (r"\b(?:von|aus) (1[89]\d\d|20\d\d)\b", r" from \g<1> "),
]

_DECADES = {"zwanzig": 2, "dreissig": 3, "vierzig": 4, "funfzig": 5, "sechzig": 6, "siebzig": 7, "achtzig": 8,
            "neunzig": 9}

PHRASES: dict[str, str] = {
    # intents
    "kannst du mir": "can you", "empfiehl mir": "recommend me", "empfiehl": "recommend", "empfehlen": "recommend",
    "empfiehlst": "recommend", "empfehlung": "recommendation", "empfehlungen": "recommendations",
    "vorschlag": "suggestion", "vorschlage": "suggestions", "schlag mir": "suggest", "ich suche": "I'm looking for",
    "suche": "looking for", "ich mochte": "I'd like", "mochte": "I'd like", "ich will": "I want",
    "will": "want", "ich brauche": "I need", "gib mir": "give me", "zeig mir": "show me", "hast du": "do you have",
    "gibt es": "are there", "etwas": "something", "was": "something", "irgendwas": "something",
    "mehr davon": "more", "noch mehr": "more", "andere": "others", "etwas anderes": "something else",
    "noch was": "more", "mehr": "more", "weitere": "more", "warum": "why", "wieso": "why",
    "worum geht es": "what is it about", "worum gehts": "what is it about", "erzahl mir von": "tell me about",
    "erzahl mir uber": "tell me about", "von vorne": "start over", "neu anfangen": "start over",
    "zurucksetzen": "reset", "vergiss mich": "forget me", "losche meine daten": "delete my data",
    "meine vorlieben": "my preferences", "was weisst du uber mich": "what do you know about me",
    "was hast du empfohlen": "what did you recommend before", "abonnieren": "subscribe",
    "abbestellen": "unsubscribe", "hilfe": "help", "was kannst du": "what can you do", "hallo": "hello",
    "guten morgen": "good morning", "guten abend": "good evening", "servus": "hello", "danke": "thanks",
    # stance
    "hat mir sehr gefallen": "I really liked", "hat mir gefallen": "I liked", "hat mir nicht gefallen": "I didn't like",
    "fand ich toll": "I loved", "fand ich super": "I loved", "fand ich langweilig": "was boring", "liebe": "love",
    "geliebt": "loved", "mag ich nicht": "I don't like", "mag ich": "I like", "ich mag": "I like",
    "gehasst": "hated", "hasse": "hate", "ich mag keine": "I don't like", "mag keine": "I don't like", "schon gesehen": "already seen", "kenne ich schon": "already seen",
    "schon gelesen": "already read", "toll": "great", "super": "great", "grossartig": "great",
    "langweilig": "boring", "schrecklich": "terrible", "die sind alle schlecht": "these are all bad",
    "alle schlecht": "these are all bad", "keiner davon": "none of them",
    "lieblingsfilm": "favorite movie", "lieblingsbuch": "favorite book", "lieblings": "favorite",
    "den nicht": "not that one", "das nicht": "not that one", "die nicht": "not that one",
    "vorher empfohlen": "recommended before", "was hast du mir": "what did you", "vampir": "vampires",
    # references
    "den ersten": "the first one", "der erste": "the first one", "das erste": "the first one",
    "die erste": "the first one", "den zweiten": "the second one", "der zweite": "the second one",
    "das zweite": "the second one", "die zweite": "the second one", "den dritten": "the third one",
    "der dritte": "the third one", "das dritte": "the third one", "die dritte": "the third one",
    "den vierten": "the fourth one", "das vierte": "the fourth one", "der vierte": "the fourth one",
    "den funften": "the fifth one", "das funfte": "the fifth one", "der funfte": "the fifth one",
    "den letzten": "the last one", "der letzte": "the last one", "das letzte": "the last one",
    "die letzte": "the last one", "erste": "first", "zweite": "second", "dritte": "third", "letzte": "last",
    "den": "that one", "diesen": "this one", "dieses": "this one", "diese": "these", "die da": "those",
    "wie": "like", "ahnlich wie": "similar to", "ahnlich": "similar", "so wie": "like",
    # negation, critiques
    "nicht zu": "not too", "nicht so": "not so", "nicht allzu": "not too", "nichts zu": "nothing too",
    "zu": "too", "weniger": "less", "ohne": "without", "ausser": "except", "kein": "no", "keine": "no",
    "keinen": "no", "nicht": "not", "sehr": "very",
    "blutig": "gory", "albern": "silly", "alberne": "silly", "alberner": "silly", "doof": "silly", "doofe": "silly", "blod": "silly", "blode": "silly", "bloed": "silly", "kitschig": "cheesy", "kitschige": "cheesy", "blutige": "gory", "gore": "gory", "brutal": "violent", "brutale": "violent",
    "gewalttatig": "violent", "gewalt": "violence", "dunkel": "dark", "dunkler": "dark", "dustere": "dark",
    "duster": "dark", "lustig": "funny", "lustige": "funny", "lustiger": "funny", "witzig": "funny",
    "witzige": "funny", "leicht": "light", "leichte": "light", "leichter": "light", "gruselig": "scary",
    "gruselige": "scary", "unheimlich": "scary", "neu": "new", "neue": "new", "neuer": "new", "neueres": "newer",
    "aktuell": "recent", "aktuelle": "recent", "alt": "old", "alte": "old", "alter": "older", "klassiker": "classic",
    "klassisch": "classic", "kurz": "short", "kurze": "short", "kurzer": "short", "lang": "long",
    "langsam": "slow", "ruhig": "slow", "ruhiger": "slower", "herzerwarmend": "heartwarming",
    "bewegend": "heartwarming", "traurig": "tearjerker", "romantisch": "romantic", "romantische": "romantic",
    "inspirierend": "inspiring", "spannend": "suspenseful", "spannende": "suspenseful", "spannender": "suspenseful",
    "verstorend": "mind-bending", "tiefgrundig": "cerebral", "mit twist": "twist-ending", "episch": "epic",
    "nostalgisch": "nostalgic", "skurril": "quirky", "schrage": "quirky", "gute laune": "feel-good",
    # genres
    "science fiction": "sci-fi", "sciencefiction": "sci-fi", "scifi": "sci-fi", "horror": "horror",
    "horrorfilm": "horror movie", "horrorfilme": "horror movies", "komodie": "comedy", "komodien": "comedies",
    "liebesfilm": "romance movie", "liebesgeschichte": "romance", "liebesroman": "romance novel",
    "romanze": "romance", "action": "action", "actionfilm": "action movie", "abenteuer": "adventure",
    "thriller": "thriller", "krimi": "crime mystery", "krimis": "crime mystery", "verbrechen": "crime",
    "mystery": "mystery", "detektiv": "detective", "drama": "drama", "dramen": "drama", "krieg": "war",
    "kriegsfilm": "war movie", "kriegsfilme": "war movies", "western": "western", "animiert": "animated",
    "animation": "animation", "zeichentrick": "animated", "zeichentrickfilm": "animated movie",
    "dokumentation": "documentary", "doku": "documentary", "musical": "musical", "musik": "music",
    "superhelden": "superhero", "zombies": "zombies", "vampire": "vampires", "monster": "monsters",
    "ubernaturlich": "supernatural", "fantasy": "fantasy", "magie": "magic", "weltraum": "space",
    "ausserirdische": "aliens", "roboter": "robots", "zeitreise": "time-travel", "zeitreisen": "time-travel",
    "dystopie": "dystopia", "dystopisch": "dystopia", "historisch": "historical", "historische": "historical",
    "geschichte": "historical", "biografie": "biography", "wahre geschichte": "true-story",
    "wahren begebenheit": "true-story", "familie": "family", "familienfilm": "family-friendly movie",
    "kinder": "children", "jugendbuch": "young adult book", "freundschaft": "friendship", "rache": "revenge",
    "raub": "heist", "spionage": "spy", "agenten": "spy", "kampfsport": "martial-arts", "sport": "sports",
    "uberleben": "survival", "philosophie": "philosophy", "psychologisch": "psychological",
    "psychologie": "psychology", "wissenschaft": "science", "sachbuch": "nonfiction book",
    "sachbucher": "nonfiction books", "wirtschaft": "economics", "politik": "politics", "ratgeber": "self-help",
    "memoiren": "memoir", "graphic novel": "graphic novel", "comic": "graphic novel", "gedichte": "poetry",
    "weihnachten": "christmas", "natur": "nature", "literatur": "literary fiction", "roadmovie": "road-trip",
    # domains and glue
    "film": "movie", "filme": "movies", "filmen": "movies", "kino": "movies", "buch": "book", "bucher": "books",
    "buchern": "books", "roman": "novel", "romane": "novels", "lesen": "read", "schauen": "watch",
    "ansehen": "watch", "gucken": "watch", "sehen": "watch", "von": "by", "regie": "directed by",
    "gut": "good", "gute": "good", "guten": "good", "gutes": "good", "guter": "good", "bester": "best",
    "ein": "a", "eine": "a", "einen": "a", "einem": "a", "einige": "some", "ein paar": "a few", "und": "and",
    "oder": "or", "aber": "but", "nur": "only", "auch": "also", "fur": "for", "heute abend": "tonight",
    "bitte": "please", "mir": "me", "ich": "I", "mein": "my", "mit": "with", "uber": "about",
}

# German comparatives look like the plain masculine adjective ("ein lustiger Film" is just funny): they
# count as a critique ("funnier") only in a comparative frame: "etwas lustiger", "noch lustiger",
# "lustiger bitte", "etwas Lustigeres".
_COMPARATIVES = {"lustiger": "funnier", "dunkler": "darker", "dusterer": "darker", "leichter": "lighter",
                 "neuer": "newer", "kurzer": "shorter", "spannender": "more suspenseful", "ruhiger": "slower",
                 "alter": "older", "witziger": "funnier", "langer": "longer"}
for _word, _en in _COMPARATIVES.items():
    for _frame in (f"etwas {_word}", f"noch {_word}", f"{_word} bitte", f"etwas {_word}es", f"{_word}es"):
        PHRASES.setdefault(_frame, _en)
PHRASES["dusterer"] = "darker"

