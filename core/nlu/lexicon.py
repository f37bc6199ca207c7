"""Hand-written word lists: genre synonyms, critique adjectives, domains, and non-English cues.

These are deliberately small. Genre synonyms point at concepts ("comedy"), which the genre matcher
resolves to whatever the catalog's own tag vocabulary calls them; anything not listed here is left
to embedding similarity against that vocabulary.
"""

from __future__ import annotations

# phrase (folded) -> concepts it asks for, most specific first. Targets missing from a catalog's
# vocabulary are resolved by the matcher (exact, plural, word containment, then embeddings).
GENRE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "spooky": ("horror", "scary"), "scary": ("horror", "scary"), "creepy": ("horror", "creepy"),
    "frightening": ("horror", "scary"), "terrifying": ("horror", "scary"), "horrors": ("horror",),
    "slasher": ("horror", "slasher"), "haunted": ("horror", "supernatural"), "ghost": ("horror", "ghosts"),
    "ghosts": ("horror", "ghosts"), "zombie": ("zombies", "horror"), "zombies": ("zombies", "horror"),
    "vampire": ("vampires", "horror"), "vampires": ("vampires", "horror"),
    "funny": ("comedy", "funny"), "hilarious": ("comedy", "funny"), "laugh": ("comedy", "funny"),
    "laughs": ("comedy", "funny"), "comedic": ("comedy",), "humorous": ("funny", "humor"), "humour": ("humor", "funny"), "comedies": ("comedy",),
    "romcom": ("romantic comedy", "romance", "comedy"), "rom com": ("romantic comedy", "romance", "comedy"),
    "romantic": ("romance",), "love story": ("romance",), "love stories": ("romance",),
    "sci fi": ("science fiction", "sci-fi"), "scifi": ("science fiction", "sci-fi"),
    "science fiction": ("science fiction", "sci-fi"), "sf": ("science fiction",),
    "space": ("space", "science fiction"), "aliens": ("aliens", "science fiction"),
    "robots": ("robots", "artificial intelligence", "science fiction"), "ai": ("artificial intelligence",),
    "dystopia": ("dystopia", "dystopian"), "dystopian": ("dystopia", "dystopian"),
    "time travel": ("time travel",), "cyberpunk": ("cyberpunk",),
    "feel good": ("feel-good", "heartwarming"), "feelgood": ("feel-good", "heartwarming"),
    "heartwarming": ("heartwarming", "feel-good"), "uplifting": ("uplifting", "feel-good"),
    "wholesome": ("heartwarming", "feel-good", "family"), "cozy": ("cozy", "heartwarming"),
    "tearjerker": ("tearjerker", "sad", "drama"), "sad": ("tearjerker", "sad"), "cry": ("tearjerker", "sad"),
    "emotional": ("emotional", "drama"), "melancholy": ("melancholic", "sad"),
    "whodunit": ("mystery", "whodunit"), "detective": ("detective", "mystery"),
    "mysteries": ("mystery",), "murder mystery": ("mystery", "murder"),
    "suspense": ("suspense", "thriller"), "suspenseful": ("suspense", "thriller"),
    "thrillers": ("thriller",), "psychological": ("psychological",), "twist": ("plot twist", "twist"),
    "twists": ("plot twist", "twist"), "mind bending": ("mind-bending",), "mindbending": ("mind-bending",),
    "mind blowing": ("mind-bending",), "cerebral": ("cerebral", "philosophical"),
    "superhero": ("superhero",), "superheroes": ("superhero",), "comic book": ("superhero", "comics"),
    "animated": ("animation",), "cartoon": ("animation",), "cartoons": ("animation",), "anime": ("anime",),
    "pixar": ("animation",), "kids": ("family", "children"), "children": ("family", "children"),
    "family friendly": ("family",), "for kids": ("family",), "bedtime": ("children",),
    "bedtime story": ("children",), "bedtime stories": ("children",), "picture book": ("children",),
    "toddler": ("children",), "toddlers": ("children",), "preschooler": ("children",),
    "action packed": ("action",), "explosions": ("action",), "fights": ("action", "martial arts"),
    "kung fu": ("martial arts",), "martial arts": ("martial arts",),
    "adventures": ("adventure",), "quest": ("adventure", "quest"), "epic": ("epic",),
    "magic": ("fantasy", "magic"), "dragons": ("fantasy", "dragons"), "wizards": ("fantasy", "magic"),
    "fairy tale": ("fantasy", "fairy tale"), "historical": ("history", "historical"),
    "period piece": ("history", "period"), "period drama": ("history", "period"),
    "true story": ("biography", "based on a true story"), "biopic": ("biography",),
    "biographies": ("biography",), "memoir": ("memoir", "biography"), "memoirs": ("memoir", "biography"),
    "documentaries": ("documentary",), "doc": ("documentary",), "docs": ("documentary",),
    "musicals": ("musical",), "music": ("music", "musical"), "westerns": ("western",),
    "cowboy": ("western",), "cowboys": ("western",), "war movie": ("war",), "wwii": ("war", "world war ii"),
    "gangster": ("crime", "gangster"), "gangsters": ("crime", "gangster"), "mafia": ("crime", "mafia"),
    "mob": ("crime", "mafia"), "heist": ("heist", "crime"), "heists": ("heist", "crime"),
    "noir": ("noir", "film noir"), "spy": ("spy", "espionage"), "spies": ("spy", "espionage"),
    "serial killer": ("serial killer", "crime"), "courtroom": ("legal", "courtroom"),
    "coming of age": ("coming of age", "coming-of-age"), "teen": ("teen", "coming of age"),
    "sports": ("sports",), "classic": ("classic",), "classics": ("classic",),
    "literary": ("literary fiction", "literary"), "nonfiction": ("nonfiction", "non-fiction"),
    "non fiction": ("nonfiction", "non-fiction"), "self help": ("self-help",), "poetry": ("poetry",),
    "philosophy": ("philosophy",), "philosophical": ("philosophical", "philosophy"),
    "gritty": ("gritty", "dark"), "violent": ("violent", "violence"), "gory": ("gore", "gory"),
    "bloody": ("gore", "violent"), "gore": ("gore", "gory"), "dark": ("dark",), "bleak": ("bleak", "dark"),
    "quirky": ("quirky",), "weird": ("weird", "surreal"), "surreal": ("surreal",), "trippy": ("surreal",),
    "satire": ("satire",), "satirical": ("satire",), "parody": ("parody", "comedy"),
    "relaxing": ("relaxing", "feel-good"), "cheerful": ("feel-good", "heartwarming"), "cheery": ("feel-good",),
    "upbeat": ("feel-good", "uplifting"), "joyful": ("feel-good", "heartwarming"), "light": ("lighthearted", "feel-good"),
    "lighthearted": ("lighthearted", "feel-good"), "thought provoking": ("thought-provoking",),
}

# Comparative -> normalized critique word. "-er" forms outside this table are stemmed by rule and
# accepted only when the stem is in CRITIQUE_ADJECTIVES, so "other"/"never"/"after" never count.
COMPARATIVES: dict[str, str] = {
    "darker": "dark", "lighter": "light", "funnier": "funny", "scarier": "scary", "shorter": "short",
    "longer": "long", "newer": "recent", "older": "old", "sadder": "sad", "happier": "happy",
    "slower": "slow", "faster": "fast", "weirder": "weird", "smarter": "smart", "deeper": "deep",
    "simpler": "simple", "easier": "easy", "quicker": "short", "creepier": "creepy", "gorier": "gory",
    "bloodier": "bloody", "grittier": "gritty", "edgier": "edgy", "cozier": "cozy", "gentler": "gentle",
    "bleaker": "bleak", "brighter": "bright", "spookier": "spooky", "sillier": "silly",
    "lighter hearted": "light", "cheerier": "cheerful", "calmer": "calm", "crazier": "crazy",
    "wilder": "wild", "heavier": "heavy", "tighter": "tight", "nicer": "nice", "sweeter": "sweet",
    "tenser": "tense", "stranger": "strange", "thinner": "short", "bigger": "big", "smaller": "small",
}

CRITIQUE_ADJECTIVES = frozenset(
    """dark light funny scary short long recent old sad happy slow fast weird smart deep simple easy
    creepy gory bloody gritty edgy cozy gentle bleak bright spooky silly cheerful calm crazy wild heavy
    tight nice sweet tense strange violent romantic serious depressing upbeat intense complex emotional
    mainstream obscure popular famous known niche action romance comedy horror mystery suspense
    suspenseful realistic philosophical sexy explicit graphic disturbing brutal mature childish kid
    family uplifting hopeful optimistic thrilling exciting epic artsy arty indie quirky witty cheesy
    campy cheery lighthearted sappy cerebral twisty adventurous magical fantastical historical political
    talky wordy slow-paced fast-paced spicy steamy awkward cringy cringe classic modern thoughtful
    fun action-packed accessible literary academic dense long-winded""".split()
)

DOMAIN_WORDS: dict[str, str] = {
    "movie": "movie", "movies": "movie", "film": "movie", "films": "movie", "flick": "movie",
    "flicks": "movie", "cinema": "movie", "watch": "movie", "watching": "movie", "watched": "movie",
    "director": "movie", "directed": "movie", "blockbuster": "movie", "blockbusters": "movie",
    "book": "book", "books": "book", "novel": "book", "novels": "book", "read": "book",
    "reading": "book", "reads": "book", "author": "book", "authors": "book", "paperback": "book",
    "paperbacks": "book", "audiobook": "book", "audiobooks": "book", "ebook": "book", "novella": "book",
    "netflix": "movie", "hulu": "movie", "hbo": "movie", "streaming": "movie", "theater": "movie",
    "theatre": "movie", "cinemas": "movie", "tv": "movie", "binge": "movie", "kindle": "book", "audible": "book",
    "e reader": "book", "ereader": "book", "bookstore": "book", "bookshop": "book", "page-turner": "book",
    "page-turners": "book", "page turners": "book", "beach read": "book", "bedtime story": "book",
    "written": "book", "wrote": "book", "published": "book", "publication": "book", "page turner": "book", "pageturner": "book",
}
# Domain-neutral words that look like a domain noun but are not ("read the reviews" is rare in
# practice; "watched"/"read" as past tense feedback still implies the domain of the item).

# Non-English cues: just enough for a graceful answer with English models (and a domain/intent when a
# multilingual embedding model is configured). Substring matches, so no tokenizer is needed for CJK.
ML_RECOMMEND = (
    "推荐", "推薦", "介绍", "介紹", "有什么好", "有什麼好", "想看", "想读", "想讀", "想买", "想買", "找一",
    "おすすめ", "オススメ", "お勧め", "추천", "recomienda", "recomendar", "recomiendas", "recomendación",
    "sugerencia", "recommande", "recommander", "conseille", "suggère", "empfehlen", "empfiehl",
    "empfehlung", "consigli", "consiglia", "recomenda", "indica", "порекомендуй", "посоветуй",
    "рекоменд", "أنصح", "اقترح", "ترشيح",
)
ML_GREET = ("你好", "您好", "嗨", "こんにちは", "안녕", "hola", "bonjour", "salut", "hallo", "ciao", "olá",
            "привет", "谢谢", "謝謝", "ありがとう", "감사", "gracias", "merci", "danke", "grazie",
            "obrigad", "спасибо", "مرحبا", "شكرا")
ML_HELP = ("帮助", "幫助", "怎么用", "ヘルプ", "도움", "ayuda", "aide", "hilfe", "aiuto", "ajuda", "помощь")
ML_DOMAIN: dict[str, tuple[str, ...]] = {
    "book": ("书", "書", "小说", "小說", "小説", "책", "소설", "libro", "livre", "buch", "roman ",
             "livro", "romanzo", "novela", "книг", "роман", "كتاب", "本を", "読"),
    "movie": ("电影", "電影", "影片", "映画", "영화", "película", "pelicula", "film", "filme", "кино",
              "фильм", "فيلم"),
}
ML_GENRES: dict[str, tuple[str, ...]] = {
    "horror": ("恐怖", "鬼片", "ホラー", "공포", "terror", "horreur", "gruselig", "ужас"),
    "comedy": ("喜剧", "喜劇", "搞笑", "コメディ", "코미디", "comedia", "comédie", "komödie", "commedia",
               "комед"),
    "science fiction": ("科幻", "sf映画", "공상과학", "ciencia ficción", "science-fiction", "ficção científica",
                        "фантастик"),
    "romance": ("爱情", "愛情", "恋愛", "로맨스", "romántic", "romantique", "romantisch", "romantic"),
    "mystery": ("推理", "悬疑", "懸疑", "ミステリー", "미스터리", "misterio", "policier", "krimi"),
    "fantasy": ("奇幻", "魔幻", "ファンタジー", "판타지", "fantasía", "fantastique", "фэнтези"),
    "thriller": ("惊悚", "驚悚", "スリラー", "스릴러", "suspenso"),
    "animation": ("动画", "動畫", "アニメ", "애니메이션", "animación", "dessin animé"),
}
