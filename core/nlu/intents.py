"""Intent rules: ordered patterns plus what the slots say, and embedding exemplars as a last resort.

Rules decide. Exemplar embeddings are only consulted when no rule fires and the message is not
plainly off-topic, and then only above a similarity floor: an unrecognized message stays UNKNOWN
rather than being forced into the nearest intent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.nlu.lexicon import ML_GREET, ML_HELP, ML_RECOMMEND
from core.nlu.types import Intent


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


FORGET = _rx(r"\bforget (?:about )?(?:me|everything about me|all about me|what you know about me|my )",
             r"\b(?:delete|erase|wipe|remove|purge|clear) (?:all )?(?:of )?(?:my|me)\b(?! from the)",
             r"\b(?:delete|erase|wipe) (?:everything|all) (?:you know|you have|about me)", r"\bgdpr\b",
             r"\bdon'?t (?:remember|store|keep|track) (?:me|my|anything)")
UNSUBSCRIBE = _rx(r"\bunsub(?:scribe)?\b", r"\bstop (?:sending|the (?:daily|weekly)|the digest|my digest|digest|dming)",
                  r"\bno more (?:digests?|daily|weekly|dms)", r"\bcancel (?:my |the )?(?:subscription|digest)",
                  r"\bturn off (?:the |my )?digest", r"\bopt(?:[- ])?out\b")
SUBSCRIBE = _rx(r"\bsubscribe\b", r"\bsign me up\b", r"\b(?:daily|weekly|nightly|morning) (?:digest|picks?|recs?|"
                r"recommendations?|suggestions?|emails?|updates?|dose|list)", r"\bdigest\b",
                r"\bsend me (?:\w+ ){0,3}(?:every|each) (?:day|week|morning|evening|friday|monday|night)",
                r"\bevery (?:day|week|morning|friday) (?:send|give|recommend)")
PREFS = _rx(r"\bwhat do you know about me", r"\bmy (?:preferences|prefs|profile|taste|tastes|likes|settings)\b",
            r"\bwhat (?:do|did) i (?:like|love|rate|say i liked)\b", r"\bwhat have i (?:liked|rated|told you)",
            r"\bwhat (?:am i|i'?m) into\b", r"\bwhat(?:'s| is) my (?:taste|type)\b", r"\bshow (?:me )?what i like")
HISTORY = _rx(r"\bwhat (?:did|have) you (?:already )?(?:recommend|suggest|show|give)(?:ed)?\b(?! me to)",
              r"\b(?:previous|past|earlier|old|last) (?:recommendations|recs|suggestions|picks|lists?)\b",
              # "history" the word is a genre too ("a history book"): only the chat's history is this intent.
              r"\b(?:my|our|the|chat|conversation|recommendation|rec|show|see|view|check) history\b(?! (?:book|books|"
              r"novel|novels|movie|movies|film|films|of (?:the|a|an|rome|ww|world|art|science|england|america)))",
              r"^\W*history\W*$", r"\byou (?:recommended|suggested|showed) (?:me )?(?:before|earlier|last time|yesterday)",
              r"\bwhat was (?:that|the) (?:\w+ )?(?:you (?:recommended|suggested))")
RESET = _rx(r"\bstart (?:over|again|fresh|from scratch)\b", r"\bfrom scratch\b", r"^\W*(?:reset|restart)\b",
            r"\breset (?:everything|the (?:filters|search|conversation)|filters)\b",
            r"\bclear (?:the |my |all )?(?:filters|constraints|search|context|conversation)\b",
            r"\bnew (?:search|topic|conversation)\b", r"^\W*(?:forget (?:it|that|all that|those)|never ?mind|scratch that)\b",
            r"\blet'?s (?:start|begin) (?:again|over)\b", r"\bchange (?:of )?(?:topic|subject)\b")
WHY = _rx(r"^\W*why\b", r"\bwhy (?:did|do|would|is|was|are|were|that|this|those|these|the|not|recommend|pick|"
          r"choose|suggest|on earth|him|her|it)\b", r"\bwhat makes you think\b", r"\bhow come\b",
          r"\breason(?:s|ing)? (?:for|behind|why)\b", r"\bexplain (?:your|the|why|that|this|yourself|how you)\b",
          r"\bwhy\s*\?")
ABOUT = _rx(r"\bwhat(?:'s| is| was| are) .{1,80}? about\b", r"\btell me (?:more )?about\b(?! (?:yourself|you\b))",
            r"\b(?:plot|synopsis|summary|premise|storyline) (?:of|for)\b", r"\bwho (?:directed|wrote|made|stars|is in)\b",
            r"\b(?:more )?(?:info|information|details) (?:on|about)\b", r"\bwhat kind of (?:movie|film|book|novel) is\b",
            r"\bis (?:it|that|this|that one|this one|the \w+ one) (?:too |very |really |that |so |a bit |kind of )?"
            r"(?:slow|dark|depressing|boring|hard|difficult|short|romantic|bloody|creepy|intense|ok|okay|appropriate|"
            r"kid-friendly|family-friendly|any good|good|scary|long|sad|violent|worth|for kids|"
            r"suitable|funny|gory|a true story|based on)", r"\bhow long is\b", r"\bwhat'?s (?:up )?with (?:the|that|this)\b", r"\bwhen (?:was|did) .{1,60}? "
            r"(?:come out|released|written|published|made)", r"\b(?:what|which) year (?:did|was|is|were)\b",
            r"\bhow old is\b", r"^\W*how (?:\w+ )?(?:scary|sad|long|violent|gory|funny|dark|good|bad|intense|graphic|explicit|"
            r"romantic|depressing|heavy|slow|hard|difficult|disturbing|bloody|creepy) (?:is|was|are)\b", r"\b(?:release|publication) (?:date|year) of\b", r"\bdescribe\b", r"^\W*(?:what is|what's) (?:it|that|this)\W*$")
MORE = _rx(r"^\W*(?:(?:ok(?:ay)?|and|so|now|then|please|even|yet|still|some|any|a few|give me|gimme|show me|got any|i want|"
           r"i'd like|i need|can i (?:get|have|see)|can you show me|let'?s see|let me see|\d+|two|three|four|five|ten),?\s+)"
           r"{0,3}(?:more|next (?:batch|set|page|round|few|ones?|five|list)|another|others|"
           r"other ones?|more options|more suggestions|more recs|more please|more of (?:those|these|that|them)|"
           r"something else|anything else|next|next one|keep (?:going|them coming)|go on|different ones?|"
           r"what else|other options|other suggestions|more like (?:this|that|these|those)|again|"
           r"(?:a )?(?:few|couple) more|one more|another one|more more|another (?:few|couple|batch|round|set|list|bunch)|"
           r"(?:a )?(?:few|couple|some) (?:others|other ones))\s*(?:please|pls|plz|thanks|!|\?|\.)*\W*$",
           r"^\W*(?:what else (?:(?:have |do )?(?:you|ya) (?:got|have)|is there|ya got)|anything else\??|others\??|more\W*$)")
HELP = _rx(r"^\W*help\W*$", r"\bhelp me\W*$", r"\bwhat can you do\b", r"\bhow (?:does|do) (?:this|you|it) work",
           r"\bhow (?:do|can|should) i use\b", r"\b(?:list of )?commands\b", r"\bwhat do you do\b",
           r"\b(?:who|what) are you\b", r"\bhow to use\b", r"\bwhat are you (?:for|good at|able to)\b",
           r"^\W*\?+\W*$", r"\bwhat (?:can|should) i (?:ask|say|type)\b", r"(?<!self-)(?<!self )\bhelp\b(?! me (?:find|pick|choose|decide))",
           r"\binstructions\b|\busage\b", r"\bare you a (?:bot|robot|human|person)\b")
GREET = _rx(r"^\W*(?:hi+|hello+|hey+|heya|hiya|yo|howdy|greetings|sup|wassup|good (?:morning|afternoon|evening|night)|"
            r"thanks?(?: you)?(?: so much| a lot)?|thx|ty|tysm|cheers|bye|goodbye|good ?bye|see (?:you|ya)|cya|later|"
            r"gn|ok(?:ay)?|k|cool|nice|great|awesome|perfect|sounds good|lol|haha+|lmao|welcome|np|no problem|"
            r"good|alright|sure|yes|yep|yeah|no|nope|nah|wow|hmm+|oh|ah)\b",
            r"\bhow are (?:you|u)\b", r"\bhow'?s it going\b", r"\bwhat'?s up\b", r"\bnice to meet you\b",
            r"\bgood (?:bot|job)\b", r"\bthank(?:s| you)\b", r"\byou(?:'re| are) (?:great|awesome|the best|funny|cool)\b",
            r"\bhave a (?:good|nice|great)\b")
REQUEST = _rx(r"\brecommend", r"\bsuggest", r"\brecs?\b", r"\blooking (?:for|to)\b", r"\blook(?:ing)? for\b",
              r"\bi (?:want|need|wanna)\b", r"\bi'?d (?:like|love|prefer)\b", r"\bi would (?:like|love)\b",
              r"\b(?:give|show|find|get|pick|send) (?:me|us)\b", r"\bgot any(?:thing)?\b", r"\bany (?:good|great|decent|nice|fun)\b(?! for\b)(?=\s*[a-z])",
              r"\bsomething\b", r"\banything (?:good|to|that|like|with|from|by|but|other|new|funny|scary|light|for)\b",
              r"\bin the mood\b", r"\bmood for\b", r"\bwhat (?:should|could|can|do) (?:i|we) (?:watch|read|see|try)\b",
              r"\bwhat to (?:watch|read)\b", r"\bmovie night\b", r"\bdate night\b", r"\b(?:do you )?have any\b",
              r"\bi feel like (?:watching|reading|a|some)\b", r"\bup for (?:a|some)\b", r"\bhelp me (?:find|pick|choose|decide)\b",
              r"\bsearching for\b", r"\bideas? for\b", r"\boptions? for\b", r"\b(?:can|could) you (?:find|get|give|pick|show)\b",
              r"\bwhat(?:'s| is| are) (?:a )?(?:good|great|some)\b", r"\bcan i get\b", r"\bhook me up\b",
              r"\bneed (?:a|an|some|something)\b", r"\bwant (?:a|an|some|something|to (?:watch|read|see))\b",
              r"\bsimilar to\b", r"\b(?:more )?like (?:the )?\w+ (?:but|and)\b", r"\bcraving\b",
              r"\bfor (?:tonight|the weekend|a flight|the beach|my (?:kids|wife|husband|dad|mom))\b",
              r"\bwhat (?:movie|film|book|novel)s? (?:should|would|could)\b", r"\bwhich (?:movie|film|book|novel)\b",
              r"\b(?:top|best) (?:\d+ )?(?:movies|films|books|novels)\b", r"^\W*(?:a|an|some)\s+\w+",
              r"\bwhat else (?:would|should|could|can|do|might|to)\b", r"\bwhat(?:'s| is)? next\b", r"\bvibes?\b",
              r"\banything similar\b", r"\bmore (?:\w+ ){0,2}(?:like|similar to) (?:that|this|it|those|these|them)\b",
              r"\bwhat (?:would|might|could|will|does|do) (?:he|she|they|my \w+) (?:like|enjoy|love|want|watch|read)\b",
              r"\bany (?:more |other |similar )?(?:books|films|movies|novels|reads)\b", r"\bin (?:that|the same) vein\b",
              r"\balong (?:those|the same) lines\b", r"\b(?:is|are) there (?:a|an|any|some|other)\b",
              r"\b(?:something|anything|others?|ones?|stuff|books?|films?|movies?|novels?) (?:like|similar to) "
              r"(?:that|this|it|those|these|them)\b", r"\bsimilar (?:movies|films|books|ones|stuff)\b", r"\bsurprise me\b",
              r"\bwhat would you (?:pick|choose|recommend|suggest)\b", r"\bdealer'?s choice\b", r"\bi'?m bored\b")
FEEDBACK = _rx(r"\b(?:i )?(?:really |absolutely |totally )?(?:loved|liked|enjoyed|hated|disliked|adored|love|like|hate|"
               r"dislike) (?:it|that|this|that one|this one|the (?:first|second|third|fourth|fifth|last|\w+) one|them|"
               r"those|these|both)\b",
               r"\b(?:already|have|'ve) (?:seen|watched|read)\b", r"\b(?:seen|watched|read) (?:it|that|this|them|those|"
               r"that one|this one) (?:already|before)\b", r"\b(?:saw|seen|read|watched) (?:it|that|this|them|those|"
               r"both|all of them)\b",
               r"\b(?:it|that|this|that one|this one|they|those|these|the \w+ one) (?:was|is|were|are) "
               r"(?:so |really |very |pretty |kinda |quite |absolutely |totally )?(?:great|good|amazing|awesome|bad|"
               r"terrible|awful|boring|ok|okay|meh|fine|brilliant|excellent|fantastic|incredible|perfect|"
               r"a masterpiece|overrated|underrated|mid|trash|garbage|fun|beautiful|decent|solid|slow|too \w+)",
               r"\b(?:was|is|were) (?:so |really |very |pretty |kinda |absolutely |totally )?(?:great|good|amazing|awesome|"
               r"bad|terrible|awful|boring|brilliant|excellent|fantastic|a masterpiece|overrated|underrated|mid|"
               r"trash|garbage|beautiful|incredible|perfect|mediocre|disappointing|hilarious|slow|dull|fun)\b",
               r"\bmy (?:all[- ]time )?favou?rite\b", r"\b(?:not|never) (?:seen|watched|read) (?:it|that|this)\b",
               r"\b(?:bored|scared|moved) me\b", r"\b(?:didn'?t|did not|don'?t|do not|never) (?:like|enjoy|love|care for)\b",
               r"\b(?:not|never) (?:a|much of a|really a|the biggest) fan of\b", r"\bcould ?n'?t (?:finish|get into|stand)\b",
               r"\b(?:i )?(?:loved|liked|enjoyed|hated|disliked|adored)\b", r"\b(?:good|great|nice|bad|terrible) (?:one|pick|choice|call)\b")
# A question about a named item ("is Oppenheimer good for kids?", "have you seen Heat?", "is Dune worth
# reading?"): it asks, it does not judge and it does not request.
ITEM_QUESTION = _rx(r"^\W*(?:is|was|are|were|does|did|do you|have you|has|should i|would|could|can|will)\b"
                    r"[^.!]*\?\s*$", r"^\W*(?:is|was|are|does|did|have you|should i)\b[^.!?]*$")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


_FOR_WHOM = re.compile(r"\bfor (?:tonight|the weekend|a flight|the beach|my \w+|him|her|them|us|kids|children)\b", re.I)
_ON_BEHALF = re.compile(r"\b(?:just |i'?m )?asking for (?:a |my |our )?\w+", re.I)


def asks_about_title(text: str, title_spans: list[tuple[int, int]]) -> bool:
    """A sentence holding a title is a question about it, whatever follows, unless another sentence
    asks for picks: "is Coco sad? my kid cries easily" and "is Heat violent? asking for my dad" ask
    about the item (the rest says why), "is Heat good? recommend me something like it" asks for picks."""
    about = [m for m in _SENTENCE.finditer(text)
             if any(m.start() <= a < m.end() for a, _ in title_spans) and ITEM_QUESTION.search(m.group().strip())]
    if not about:
        return False
    spans = {m.span() for m in about}
    rest = "".join(m.group() for m in _SENTENCE.finditer(text) if m.span() not in spans)
    # "is Heat any good for my dad?": who it is for is part of the question, not a request.
    return not REQUEST.search(_ON_BEHALF.sub(" ", rest)) and not REQUEST.search(_FOR_WHOM.sub(" ", about[0].group()))


def sentence_asks(text: str, genre_starts: list[int]) -> bool:
    """A sentence that opens with "a/an/some/any" and holds a genre word asks for it, wherever it stands:
    "hated the notebook movie, so cheesy. a romance that's actually good?" (REQUEST sees only the first)."""
    # Asked, not exclaimed: "Loved Heat. A classic!" describes Heat.
    return any(re.match(r"\W*(?:a|an|some|any)\s", m.group(), re.I) and any(m.start() <= g < m.end() for g in genre_starts)
               and (m.group().rstrip().endswith("?") or re.search(r"\bplease|\bpls\b", m.group(), re.I))
               for m in _SENTENCE.finditer(text))


_LIKE_THAT = re.compile(r"\s+(?:like|similar to|in the vein of) (?:that|this|it|those|these|them)\b", re.I)


def kind_like_that(text: str, word_ends: set[int]) -> bool:
    """A genre or domain word right before "like it/that" asks for more of the kind: "nonfiction like
    it", "sci-fi like that" (not a verdict: "I like it" has no such word before it)."""
    return any(_LIKE_THAT.match(text, e) for e in word_ends)


# Plainly off-topic asks: never nudged into an intent by embeddings.
OFF_TOPIC = _rx(r"\bweather\b", r"\bbook(?:ing)? (?:me |us )?(?:a |an |the )?(?:flight|table|room|hotel|ticket|cab|taxi)", r"\bwhat time is it\b",
                r"\b(?:system|hidden) prompt\b", r"\bignore (?:\w+ ){0,3}(?:instructions|rules|prompts?)\b",
                r"\byou are now\b", r"\bjailbreak\b", r"\bdeveloper mode\b",
                r"\bstock|\bbitcoin\b|\brecipe\b|\bpoem\b|\bcode\b|\bjoke\b|\bmath\b|\d\s*[-+*/x]\s*\d")

EXEMPLARS: dict[Intent, tuple[str, ...]] = {
    Intent.GREET: ("hello there", "hi, how are you?", "thanks a lot", "good morning", "bye, see you later"),
    Intent.RECOMMEND: ("can you recommend a good movie", "I want something to read", "suggest a film for tonight",
                       "I'm looking for a good book", "what should I watch", "any recommendations for a thriller"),
    Intent.REFINE: ("something darker please", "not that one", "more like the second one", "less violent",
                    "something shorter", "only older ones"),
    Intent.MORE: ("show me more", "something else", "any other options?", "give me a few more"),
    Intent.WHY: ("why did you recommend that", "why this one?", "what made you pick it"),
    Intent.ABOUT: ("what is it about", "tell me about the first one", "what's the plot", "who directed it"),
    Intent.FEEDBACK: ("I loved it", "I already saw that one", "it was boring", "that was a great film"),
    Intent.PREFS: ("what do you know about me", "show my preferences", "what are my tastes"),
    Intent.FORGET: ("forget me", "delete my data", "erase everything you know about me"),
    Intent.SUBSCRIBE: ("subscribe me to the daily digest", "send me recommendations every week"),
    Intent.UNSUBSCRIBE: ("unsubscribe me", "stop sending me the digest"),
    Intent.HISTORY: ("what did you recommend before", "show my previous recommendations"),
    Intent.RESET: ("start over", "let's begin again from scratch", "reset the filters"),
    Intent.HELP: ("what can you do", "how does this work", "help"),
}
EXEMPLAR_FLOOR = 0.72  # English model; measured on tests/data/nlu_labelled.jsonl (docs/bench_nlu.md)
EXEMPLAR_FLOOR_ML = 0.55  # multilingual model on non-English text: cross-lingual similarities run lower


def multilingual_intent(text: str) -> Intent | None:
    low = text.lower()
    if any(c in low for c in ML_RECOMMEND):
        return Intent.RECOMMEND
    if any(c in low for c in ML_HELP):
        return Intent.HELP
    if any(c in low for c in ML_GREET):
        return Intent.GREET
    return None


@dataclass(frozen=True, slots=True)
class ExemplarIndex:
    intents: tuple[Intent, ...]
    vectors: np.ndarray  # one row per exemplar, normalized

    def nearest(self, vec: np.ndarray) -> tuple[Intent, float]:
        sims = self.vectors @ vec
        k = int(np.argmax(sims))
        return self.intents[k], float(sims[k])


def build_exemplars(encode: Callable[[list[str]], np.ndarray]) -> ExemplarIndex:
    intents: list[Intent] = []
    texts: list[str] = []
    for intent, exs in EXEMPLARS.items():
        for e in exs:
            intents.append(intent)
            texts.append(e)
    vecs = encode(texts)
    return ExemplarIndex(tuple(intents), np.asarray(vecs, dtype=np.float32))
