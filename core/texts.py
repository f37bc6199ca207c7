"""Fixed reply texts, in one place so they stay consistent across platforms.

Each constant is the English text and the gettext msgid: show it through ``core.i18n.t(lang, X)``
(``say(lang, X)`` here), which reads it in the user's language from core/locale.
"""

from __future__ import annotations

from core.i18n import t

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
NOTHING_LEFT = (
    "I've run out of new picks that fit — say \"start over\" to clear the filters, or ask for something else."
)
CLARIFY = (
    "Sorry those missed. To aim better: is it the genre, the era or the mood that's off? "
    "A title you loved helps most."
)
SLOW_DOWN = "You're sending messages faster than I can think — give me a few seconds and ask again."
INTERNAL_ERROR = "Sorry, something went wrong on my side. Nothing you told me was lost; please try again."


STARTING_OVER = "Starting over — tell me what you're in the mood for."
DIGESTS_OFF = "Digests are not enabled on this bot."
EXPORT = "Here is everything I store about you."
WHICH_ONE = "Which one? Ask me for recommendations first, or name a title."
NOT_IN_CATALOG = "I don't have that one in my catalog."
NO_DESCRIPTION = "I have no description of it."
DESCRIPTION_EN = "Description (in English): {text}"
NOTED_ITEMS = "Thanks — noted how you feel about {items}. Want recommendations based on that?"
NOTED_REFS = "Got it — noted for {items}."
TELL_ME_A_TITLE = "Thanks! Tell me a title you loved (or hated) and I'll take it into account."
NO_TASTE_YET = "I don't know your taste yet — react 👍/👎 to my picks or tell me titles you loved."
YOU_LIKE = "You like: {items}"
NOT_FOR_YOU = "Not for you: {items}"
DIGESTS = "Digests: {items}"
NO_HISTORY = "I haven't recommended anything in this conversation yet."
HISTORY = "Here's what I recommended here recently:"
NOTED_MORE_LIKE = "Noted — I'll show you more like {title}."
NOTED_FEWER_LIKE = "Noted — I'll show you fewer like {title}."


def say(lang: str | None, msgid: str, **fields: object) -> str:
    """A fixed text in ``lang``."""
    return t(lang, msgid, **fields)


def intro(constraints: str, kind: str, lang: str | None = None) -> str:
    if kind == "diversify":
        return t(lang, "Let me try a different direction:")
    if kind in ("more", "more-like"):
        return t(lang, "Here are a few more:") if kind == "more" else t(lang, "More in that vein:")
    if constraints:
        return t(lang, "Here are some picks ({constraints}):", constraints=constraints)
    return t(lang, "Here are some picks for you:")
