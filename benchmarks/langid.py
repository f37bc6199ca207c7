"""Language identification on short chat messages: lingua-language-detector vs py3langid vs the
project's guesser (core/nlu/multilingual/detect.py: script first, lingua restricted to chat languages,
lexicon evidence, "not sure" for one-word messages).

Data: every labelled utterance with a language (tests/data/nlu_labelled.jsonl, nlu_heldout.jsonl,
nlu_zh/es/de.jsonl: short chat messages, many with English titles inside) plus tests/data/langid_short.jsonl
(one-word messages and bare titles whose right answer is "not sure": null). A "not sure" answer on a
labelled message counts as the conversation's language being kept, i.e. wrong unless the label is null.

    python benchmarks/langid.py
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.nlu.multilingual.detect import _LATIN, LanguageGuesser  # noqa: E402

SETS = ("nlu_labelled", "nlu_heldout", "nlu_zh", "nlu_es", "nlu_de", "langid_short")
LANGS = ["en", "es", "de", "fr", "it", "pt", "nl", "zh", "ja", "ko", "ru"]


def rows() -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for name in SETS:
        for line in (ROOT / "tests" / "data" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                out.append((r["text"], r.get("language", "en") if name != "langid_short" else r["language"]))
    return out


def main() -> None:
    import py3langid as langid
    from lingua import Language, LanguageDetectorBuilder

    data = rows()
    langid.set_languages(LANGS)
    lingua = LanguageDetectorBuilder.from_languages(*_LATIN, Language.CHINESE, Language.JAPANESE,
                                                    Language.KOREAN, Language.RUSSIAN).build()
    guesser = LanguageGuesser()

    def lingua_one(text: str) -> str | None:
        lang = lingua.detect_language_of(text)
        return lang.iso_code_639_1.name.lower() if lang else None

    systems = {
        "py3langid (restricted to 11 languages)": lambda s: langid.classify(s)[0],
        "lingua (same languages, high accuracy)": lingua_one,
        "recbot guesser (script + lingua + lexicon, null = not sure)": guesser.detect,
    }
    print(f"{len(data)} messages ({sum(1 for _t, g in data if g is None)} whose answer is 'not sure'); "
          f"by gold language: {dict(Counter(g or 'null' for _t, g in data))}\n")
    print("| system | accuracy | non-English recall | English -> en | English -> en or not sure | ms/msg |\n"
          "|---|---|---|---|---|---|")
    for name, fn in systems.items():
        for text, _g in data[:20]:
            fn(text)  # load models outside the timing
        t = time.perf_counter()
        preds = [fn(text) for text, _g in data]
        ms = (time.perf_counter() - t) * 1000 / len(data)
        acc = sum(p == g for p, (_t, g) in zip(preds, data, strict=True)) / len(data)
        foreign = [(p, g) for p, (_t, g) in zip(preds, data, strict=True) if g not in (None, "en")]
        english = [(p, g) for p, (_t, g) in zip(preds, data, strict=True) if g == "en"]
        print(f"| {name} | {acc:.3f} | {sum(p == g for p, g in foreign) / len(foreign):.3f} | "
              f"{sum(p == 'en' for p, _g in english) / len(english):.3f} | "
              f"{sum(p in ('en', None) for p, _g in english) / len(english):.3f} | {ms:.2f} |")


if __name__ == "__main__":
    main()
