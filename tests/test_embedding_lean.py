"""The bundled MiniLM without sentence-transformers: same vectors, and start-up batches from a disk cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.embedding import MeanPoolingEmbedder, SentenceEmbedder, bundled_minilm_path

TEXTS = [f"a {w} movie number {i}" for i, w in enumerate(["funny", "scary", "dark", "gentle"] * 10)]


def test_same_vectors_as_sentence_transformers(tmp_path: Path) -> None:
    lean = MeanPoolingEmbedder(bundled_minilm_path(), cache_dir=tmp_path)
    mixed = ["Alien", "something like Alien but less gory " * 40, "x"]  # one text past the 256-token limit
    reference = SentenceEmbedder()
    assert np.abs(lean.encode(mixed, batch_size=2) - reference.encode(mixed)).max() < 1e-5
    assert np.abs(lean.encode(TEXTS) - reference.encode(TEXTS)).max() < 1e-5


def test_startup_batches_come_from_the_cache_without_the_model(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    first = MeanPoolingEmbedder(bundled_minilm_path(), cache_dir=tmp_path)
    vectors = first.encode(TEXTS)
    assert len(list(tmp_path.rglob("*.npy"))) == 1
    first.encode(["a query"])  # small batches are not cached
    assert len(list(tmp_path.rglob("*.npy"))) == 1

    monkeypatch.setattr(MeanPoolingEmbedder, "_load", lambda self, path: None)  # the model never arrives
    second = MeanPoolingEmbedder(bundled_minilm_path(), cache_dir=tmp_path)
    assert np.array_equal(second.encode(TEXTS), vectors)  # returned at once, from the file
    assert not second._ready.done()
