"""A lexical pivot: a message in zh/ja/es/de/fr rewritten in the English parser's vocabulary.

Not a translation: the English parser reads cue words (intents, genres, eras, negation, critiques,
references, domains), and those are what the lexicons map. Titles are resolved first, against the
catalog's localized titles and aliases (exact, then rapidfuzz for a bracketed or quoted title) and
its English titles, and written out as the English title in quotes with its year, so the English
title index finds exactly that item. Words a lexicon does not know are dropped unless they are part
of the catalog's own vocabulary (a creator's name, a title word, a tag): guessing at them would let
the English fuzzy title matcher read Spanish or German words as titles.

Chinese and Japanese have no spaces; a longest-match scan over the lexicon and the localized titles
segments them well enough for cue words (no segmenter dependency needed, measured in bench_nlu.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from rapidfuzz import fuzz, process

from core.nlu.multilingual import lexicon_de, lexicon_es, lexicon_fr, lexicon_ja, lexicon_zh
from core.recommend.catalog import Catalog, Item

LEXICONS: dict[str, ModuleType] = {"zh": lexicon_zh, "ja": lexicon_ja, "es": lexicon_es, "de": lexicon_de,
                                   "fr": lexicon_fr}
SUPPORTED = frozenset(LEXICONS)
CJK = frozenset({"zh", "ja"})
FUZZY_CUTOFF = 75  # rapidfuzz ratio for a bracketed title ("《星级穿越》" typo'd) to resolve
_BRACKETED = re.compile(r"[《〈「『\"“](.{1,60}?)[》〉」』\"”]")
_CJK_PUNCT = str.maketrans({"，": ", ", "。": ". ", "？": "? ", "！": "! ", "、": ", ", "：": ": ", "；": "; ",
                            "（": " (", "）": ") ", "～": "~", "　": " "})
_LATIN_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*", re.I)
_STASHED = re.compile("\ue000(\\d+)\ue001")
_NO_DOTS = re.compile(r"[·・：:，,\s]")
# Localized titles that are everyday words (or phrases): matched only when marked as a title (《》, quotes).
COMMON_WORD_TITLES = frozenset(
    "我们 成为 宇宙 房间 月球 女巫 灯塔 迷雾 长腿 异类 冷血 荒原 利器 基地 瓦解 赎罪 宠儿 活着 安静 坏血 鞋狗 长路 囚徒 聚焦 "
    "歌厅 宿醉 伴娘 突袭 正午 超人 小丑 芭比 信条 深渊 雪崩 群鸟 追随 天兆 月光 毕业生 搜索者 第六感 钢琴家 芝加哥 鸟人 "
    "夜行者 降临 湮灭 原钻 油脂 洛奇 潜行者 初始者 影响力 正常人 局外人 野蛮人 秘密会议 美国内战 某种物质 终身成长 "
    "生人勿进 第五季 北极光 时间机器 世界大战 好兆头 房间 成为 美国派 黑天鹅 木兰花 正常人 宇宙 追捕 伴我同行 一路顺风 "
    "大逃亡 飞进未来 美人鱼 杂牌军 年少轻狂 青春年少 情到深处 亡命天涯 生死时速 独立日 心灵捕手 千钧一发 美丽人生 第九区 "
    "功夫 婚姻故事 过往人生 灯塔 不 她 它 飘 宇宙 成为 阿诺拉 长腿 危笑 我们 失眠症 铁血战士 第一滴血 怪形 月球".split())
Replacement = str | Callable[[re.Match[str]], str]


def fold_latin(text: str) -> str:
    """Lowercase, accents dropped, apostrophes as spaces ("j'ai" -> "j ai"), umlauts as their vowel."""
    text = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"['’`-]", " ", text)  # "j'ai" -> "j ai", "Science-Fiction" -> "science fiction"


@dataclass(frozen=True, slots=True)
class PivotResult:
    text: str  # the English-vocabulary rewrite the English parser reads
    titles: tuple[str, ...]  # item ids resolved from localized titles/aliases
    unknown: int  # words (or CJK characters) no lexicon or title knew: how much was not understood
    unread: tuple[str, ...] = ()  # those words (CJK: runs of unknown characters), as typed


def title_token(item: Item) -> str:
    return f' "{item.title}" ({item.year}) ' if item.year else f' "{item.title}" '


class Pivot:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        # Localized titles and aliases of every item, in every language: a Japanese message naming a
        # film by its Chinese title still resolves. First item wins a shared surface (remakes).
        self.local: dict[str, str] = {}
        for it in catalog:
            for surface in (*(t for _lang, t in it.titles), *it.aliases):
                key = surface.strip()
                if key and not key.isascii():
                    self.local.setdefault(key, it.item_id)
                    self.local.setdefault(fold_latin(key), it.item_id)
                elif key:
                    self.local.setdefault(fold_latin(key), it.item_id)
        self._local_keys = list(self.local)
        # Words the English parser should still see in a foreign sentence: names, title words, tags.
        self.keep: set[str] = set()
        for it in catalog:
            self.keep.update(w for w in _LATIN_WORD.findall(fold_latin(it.title)) if len(w) > 2)
            if it.creator:
                self.keep.update(w for w in _LATIN_WORD.findall(fold_latin(it.creator)) if len(w) > 2)
        self.keep.update(fold_latin(t) for t in catalog.tag_vocabulary())
        self._compiled: dict[str, tuple[list[tuple[re.Pattern[str], Replacement]], dict[str, str], int,
                                        re.Pattern[str] | None]] = {}
        # English titles of two or more words, protected from the foreign lexicon ("Die Hard" is not
        # German "die"), longest first in one alternation.
        self.english: dict[str, str] = {}
        for it in catalog:
            key = fold_latin(it.title)
            if len(key.split()) >= 2:
                self.english.setdefault(key, it.item_id)

    # ----- public -----

    def translate(self, text: str, lang: str) -> PivotResult:
        if lang not in SUPPORTED:
            return PivotResult(text, (), 0)
        patterns, phrases, longest, alternation = self._lexicon(lang)
        found: list[str] = []
        unread: list[str] = []
        text = self._bracketed(text, found)
        if lang in CJK:
            text = text.translate(_CJK_PUNCT)
            for rx, rep in patterns:
                text = rx.sub(rep, text)
            out = self._scan_cjk(text, phrases, longest, found, unread)
        else:
            # Pattern output ("from the 1990s") is English already: stashed behind a placeholder so the
            # foreign lexicon and the word filter leave it alone.
            stash: list[str] = []

            def keep(m: re.Match[str], rep: Replacement) -> str:
                stash.append(m.expand(rep) if isinstance(rep, str) else rep(m))
                return f" \ue000{len(stash) - 1}\ue001 "

            folded = fold_latin(text)
            for rx, rep in patterns:
                folded = rx.sub(lambda m, rep=rep: keep(m, rep), folded)  # type: ignore[misc]
            assert alternation is not None
            case = {fold_latin(w): w for w in re.findall(r"[^\W_]+", text)}
            out = self._scan_latin(folded, phrases, alternation, found, case, unread)
            out = _STASHED.sub(lambda m: stash[int(m.group(1))], out)
        return PivotResult(re.sub(r"\s+", " ", out).strip(), tuple(dict.fromkeys(found)), len(unread), tuple(unread))

    # ----- internals -----

    def _lexicon(self, lang: str) -> tuple[list[tuple[re.Pattern[str], Replacement]], dict[str, str], int,
                                            re.Pattern[str] | None]:
        if lang in self._compiled:
            return self._compiled[lang]
        mod = LEXICONS[lang]
        patterns = [(re.compile(p, re.I), r) for p, r in mod.PATTERNS]
        phrases: dict[str, str] = {}
        for k, v in mod.PHRASES.items():
            phrases[k if lang in CJK else fold_latin(k)] = v
        for surface, iid in self.local.items():
            item = self.catalog.get(iid)
            if item is None or surface in COMMON_WORD_TITLES or not re.search(r"[^\W\d_]", surface):
                continue  # "我们" (Us) is "we", "1984" a year: those need 《》 or quotes
            if (lang in CJK) != surface.isascii() and len(surface) >= (2 if lang in CJK else 4):
                phrases.setdefault(surface, title_token(item))
                phrases.setdefault(_NO_DOTS.sub("", surface), title_token(item))  # 哈利波特 for 哈利·波特
        alternation = None
        if lang not in CJK:
            for name in self.catalog.tag_vocabulary():  # English tags typed as such ("sci-fi", "feel-good")
                phrases.setdefault(fold_latin(name), name)
            for key, iid in self.english.items():
                item = self.catalog.get(iid)
                if item is not None:
                    phrases.setdefault(key, title_token(item))
            keys = sorted(phrases, key=len, reverse=True)
            alternation = re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(k) for k in keys) + r")(?![a-z0-9])")
        longest = max(len(k) for k in phrases)
        self._compiled[lang] = (patterns, phrases, longest, alternation)
        return self._compiled[lang]

    def _bracketed(self, text: str, found: list[str]) -> str:
        """《星级穿越》 or "El Padrino": a marked title, resolved fuzzily against localized titles."""
        def resolve(m: re.Match[str]) -> str:
            inner = m.group(1).strip()
            iid = self.local.get(inner) or self.local.get(fold_latin(inner))
            if iid is None and self._local_keys:
                best = process.extractOne(inner, self._local_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
                iid = self.local[best[0]] if best else None
            item = self.catalog.get(iid) if iid else None
            if item is None:
                return m.group(0) if inner.isascii() else f' "{inner}" '
            found.append(item.item_id)
            return title_token(item)
        return _BRACKETED.sub(resolve, text)

    def _scan_cjk(self, text: str, phrases: dict[str, str], longest: int, found: list[str],
                  unread: list[str]) -> str:
        out: list[str] = []
        run = False  # inside a run of unknown characters (kept together: "黑帮" is one unread word)
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch.isascii():
                j = i
                while j < n and text[j].isascii():
                    j += 1
                out.append(text[i:j])  # English words, numbers and already-pivoted text pass through
                i, run = j, False
                continue
            for length in range(min(longest, n - i), 0, -1):
                piece = text[i : i + length]
                if piece in phrases:
                    value = phrases[piece]
                    if value.startswith(' "'):
                        iid = self.local.get(piece)
                        if iid:
                            found.append(iid)
                    out.append(f" {value} ")
                    i += length
                    run = False
                    break
            else:
                if ch.isalnum():
                    if run:
                        unread[-1] += ch
                    else:
                        unread.append(ch)
                    run = True
                else:
                    run = False
                out.append(" ")
                i += 1
        return "".join(out)

    def _scan_latin(self, folded: str, phrases: dict[str, str], alternation: re.Pattern[str],
                    found: list[str], case: dict[str, str], unread: list[str]) -> str:
        out: list[str] = []
        pos = 0
        for m in alternation.finditer(folded):
            self._keep_words(folded[pos : m.start()], out, phrases, case, unread)
            value = phrases[m.group(0)]
            if value.startswith(' "') and (iid := self.local.get(m.group(0))):
                found.append(iid)
            out.append(f" {value} ")
            pos = m.end()
        self._keep_words(folded[pos:], out, phrases, case, unread)
        return "".join(out)

    def _keep_words(self, chunk: str, out: list[str], phrases: dict[str, str], case: dict[str, str],
                    unread: list[str]) -> None:
        """Words between lexicon matches: catalog words, numbers and punctuation stay, the rest goes."""
        for tok in re.findall(r"\ue000\d+\ue001|[a-z0-9][a-z0-9'-]*|[,.;!?()\"]", chunk):
            if tok.isdigit() or not tok[0].isalnum() or tok in self.keep:
                out.append(f" {case.get(tok, tok)} ")  # as typed: "Heat" is a title, "heat" is not
            elif (lemma := _inflected(tok, phrases)) is not None:
                out.append(f" {phrases[lemma]} ")
            elif parts := _compound(tok, phrases):
                out.append(" ".join(f" {phrases[x]} " for x in parts))  # "Vampirfilm" -> vampires movie
            else:
                unread.append(case.get(tok, tok))


def _compound(word: str, phrases: dict[str, str]) -> list[str]:
    """German compounds: "superheldenfilm" -> ["superhelden", "film"] when both halves are entries
    (a linking "s" allowed: "Liebesfilm" -> "liebe" + "film")."""
    if len(word) < 7:
        return []
    for cut in range(len(word) - 3, 2, -1):
        head, tail = word[:cut], word[cut:]
        if tail not in phrases or " " in tail:
            continue
        for h in (head, head[:-1] if head.endswith("s") else "", _inflected(head, phrases) or ""):
            if h and h in phrases and " " not in h:
                return [h, tail]
    return []


_ENDINGS = ("es", "en", "er", "em", "e", "s", "n", "os", "as", "o", "a")


def _inflected(word: str, phrases: dict[str, str]) -> str | None:
    """A lexicon entry for an inflected form: German "lustiges" -> "lustig", Spanish "divertidos" ->
    "divertido"/"divertida". Only endings, only for words of five letters or more (no guessing at
    short function words)."""
    if len(word) < 5:
        return None
    for end in _ENDINGS:
        if word.endswith(end):
            stem = word[: -len(end)]
            for cand in (stem, stem + "o", stem + "a", stem + "e"):
                if cand in phrases and " " not in cand:
                    return cand
    return None


__all__ = ["Pivot", "PivotResult", "SUPPORTED", "CJK", "fold_latin", "title_token"]
