"""Item text index (sentence embeddings of Item.text_for_index()) and a cross-message query batcher.

The index is computed once per (embedder, catalog.version()) and cached on disk as .npy, so a
restart or a second process loads it in milliseconds. Query embeddings for concurrent messages are
collected for a few milliseconds and encoded in one batch in an executor: one forward pass for ten
messages costs about as much as for one on CPU.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path

import numpy as np

from core.embedding import Embedder
from core.recommend.catalog import Catalog

log = logging.getLogger(__name__)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[-60:]


class TextIndex:
    """L2-normalised item vectors aligned with catalog order."""

    def __init__(self, vectors: np.ndarray, version: str) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.version = version

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1]) if self.vectors.ndim == 2 else 0

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    @staticmethod
    def cache_path(cache_dir: Path, embedder_name: str, version: str) -> Path:
        return cache_dir / f"text-index-{_safe(embedder_name)}-{version}.npy"

    @classmethod
    def build(cls, catalog: Catalog, embedder: Embedder, cache_dir: Path | None = None,
              batch_size: int = 128, progress: bool = True) -> TextIndex:
        version = catalog.version()
        path = cls.cache_path(cache_dir, embedder.name, version) if cache_dir else None
        if path is not None and path.exists():
            try:
                vec = np.load(path, allow_pickle=False)
                if vec.shape == (len(catalog), embedder.dim):
                    log.info("text index: loaded %d vectors from %s", len(vec), path)
                    return cls(vec, version)
                log.warning("text index cache %s has shape %s, rebuilding", path, vec.shape)
            except (OSError, ValueError) as e:
                log.warning("text index cache %s unreadable (%s), rebuilding", path, e)
        texts = [it.text_for_index() for it in catalog]
        vec = encode_batched(embedder, texts, batch_size=batch_size, progress=progress)
        if path is not None:
            save_atomic(path, vec)
        return cls(vec, version)


def encode_batched(embedder: Embedder, texts: Sequence[str], batch_size: int = 128,
                   progress: bool = True) -> np.ndarray:
    """Encode in batches with a progress bar on stderr (silent when not wanted)."""
    from rich.console import Console
    from rich.progress import track

    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    starts = range(0, len(texts), batch_size)
    for s in track(starts, description="embedding items", console=Console(stderr=True),
                   disable=not progress or len(texts) <= batch_size):
        out[s : s + batch_size] = embedder.encode(list(texts[s : s + batch_size]), batch_size=batch_size)
    return out


def save_atomic(path: Path, arr: np.ndarray) -> None:
    """np.save to a temp file and rename, so a crash never leaves a half-written cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, arr, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class QueryBatcher:
    """Batches query embeddings across concurrent requests, with a small LRU cache.

    `await encode(text)` waits up to max_wait_ms for other requests, then one encode call in the
    executor serves all of them. Bound to the event loop that first uses it (state is reset if a new
    loop shows up, e.g. between tests).
    """

    def __init__(self, embedder: Embedder, max_wait_ms: float = 4.0, max_batch: int = 64,
                 executor: Executor | None = None, cache_size: int = 512) -> None:
        self.embedder = embedder
        self.max_wait = max_wait_ms / 1000.0
        self.max_batch = max_batch
        self.executor = executor
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._pending: dict[str, list[asyncio.Future[np.ndarray]]] = {}
        self._flush_task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0  # encode calls made, for tests and logs

    async def encode(self, text: str) -> np.ndarray:
        text = text.strip()
        if not text:
            return np.zeros(self.embedder.dim, dtype=np.float32)
        hit = self._cache.get(text)
        if hit is not None:
            self._cache.move_to_end(text)
            return hit
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._pending, self._flush_task = loop, {}, None
        fut: asyncio.Future[np.ndarray] = loop.create_future()
        self._pending.setdefault(text, []).append(fut)
        if len(self._pending) >= self.max_batch:
            self._start_flush(delay=0.0)
        elif self._flush_task is None:
            self._start_flush(delay=self.max_wait)
        return await fut

    async def encode_many(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack(await asyncio.gather(*(self.encode(t) for t in texts)))

    def _start_flush(self, delay: float) -> None:
        batch, self._pending = self._pending, {}
        self._flush_task = asyncio.ensure_future(self._flush(batch, delay))

    async def _flush(self, batch: dict[str, list[asyncio.Future[np.ndarray]]], delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
            # Requests that arrived while we slept join this batch.
            batch.update({k: batch.get(k, []) + v for k, v in self._pending.items()})
            self._pending = {}
        self._flush_task = None
        texts = list(batch)
        loop = asyncio.get_running_loop()
        try:
            vecs = await loop.run_in_executor(self.executor, self.embedder.encode, texts)
            self.batches += 1
        except Exception as e:  # noqa: BLE001 - every waiter must get the error, not hang
            for futs in batch.values():
                for f in futs:
                    if not f.done():
                        f.set_exception(e)
            return
        for text, vec in zip(texts, vecs, strict=True):
            self._cache[text] = vec
            for f in batch[text]:
                if not f.done():
                    f.set_result(vec)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
