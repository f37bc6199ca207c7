"""Fixed reply texts, in one place so they stay consistent across platforms."""

from __future__ import annotations

GREETING = (
    "Hi! I recommend movies and books. Try \"a funny movie from the 80s\", \"something like Alien but "
    "less gory\" or \"a good sci-fi novel\"."
)
HELP = (
    "Ask me in plain words: \"a funny movie from the 80s\", \"something like Alien, not older than 2000\", "
    "\"a thoughtful sci-fi book\". Then: \"more\", \"not that one\", \"more like the second one\", "
    "\"why the first one?\", \"what is Heat about?\". React 👍/👎 to teach me. Also: \"show my "
    "preferences\", \"forget me\", \"what did you recommend before?\", \"start over\", digests."
)
UNKNOWN = (
    "I'm not sure what you mean. I can recommend movies and books — tell me a genre, a mood, an era "
    "or a title you liked (or say \"help\")."
)
EMPTY = "I didn't catch anything there — tell me what you'd like to watch or read."
TRUNCATED = "(Your message was very long; I read only its first 2,000 characters.)"
NON_ENGLISH = (
    "Sorry — I only understand English with my current language model. Please ask in English, e.g. "
    "\"recommend a good book\". (An admin can enable a multilingual model; see docs/nlu.md.)"
)
NOTHING_LEFT = (
    "I've run out of new picks that fit — say \"start over\" to clear the filters, or ask for something else."
)
CLARIFY = (
    "Sorry those missed. To aim better: is it the genre, the era or the mood that's off? "
    "A title you loved helps most."
)
SLOW_DOWN = "You're sending messages faster than I can think — give me a few seconds and ask again."
INTERNAL_ERROR = "Sorry, something went wrong on my side. Nothing you told me was lost; please try again."

