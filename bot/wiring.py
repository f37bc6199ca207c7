"""Builds the application from a Config: store, catalog, understanding, recommender, generator, core.

The only place that picks implementations; everything it builds is passed explicitly (no globals).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Config
from bot.scheduler import DigestScheduler, build_digest_service, digest_settings
from core.dialogue import CoreSettings, DialogueCore
from core.digests.service import DigestService
from core.embedding import Embedder
from core.feedback import EmojiMap, FeedbackService
from core.generation.base import Generator
from core.nlu.types import Parser
from core.ports import Outbound
from core.ratelimit import Limiter, RateLimiter, StoreRateLimiter
from core.recommend.catalog import Catalog, load_catalog
from core.recommend.types import Recommender
from core.store.store import Store

log = logging.getLogger("recbot.wiring")

# Tests and `recbot chat` never reach a model hub: the bundled models are local files.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@dataclass
class App:
    config: Config
    store: Store
    catalog: Catalog
    core: DialogueCore
    generator: Generator
    recommender: Recommender | None = None
    # Platform name -> adapter that can post without an incoming event (digests use these).
    outbound: dict[str, Outbound] = field(default_factory=dict)
    background: list[asyncio.Task[None]] = field(default_factory=list)
    digests: DigestService | None = None  # shares `outbound` (the same dict)
    scheduler: DigestScheduler | None = None

    async def start_background(self) -> None:
        """Periodic work of a long-running bot: CF retraining and the digest scheduler."""
        minutes = self.config.recommend.retrain_minutes
        if self.recommender is not None and minutes > 0:
            self.background.append(asyncio.create_task(self._retrain_loop(minutes * 60)))
        if self.digests is not None:
            self.scheduler = DigestScheduler.for_config(self.config, self.digests, self.store)
            await self.scheduler.start()

    async def _retrain_loop(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                await retrain(self.store, self.recommender)  # type: ignore[arg-type]
            except Exception:
                log.exception("CF retraining failed; keeping the previous model")

    async def aclose(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.shutdown()
        for task in self.background:
            task.cancel()
        await self.generator.aclose()
        close = getattr(self.recommender, "close", None)
        if callable(close):
            close()  # the hybrid engine's executor threads
        await self.store.close()


async def retrain(store: Store, recommender: Recommender) -> int:
    """Refit CF from every tenant's interactions (item-item structure only; see PreferenceRepo)."""
    rows = await store.prefs.all_interactions()
    data = [(f"{t}:{u}", i, v) for t, u, i, v in rows]
    await asyncio.to_thread(recommender.fit_interactions, data)
    return len(data)


def catalog_files(config: Config) -> list[Path]:
    files = [Path(f).expanduser() for f in config.catalog.files]
    imported = config.data_dir / "catalogs"
    if imported.is_dir():
        files += sorted(imported.glob("*.jsonl"))
    return files


def build_catalog(config: Config) -> Catalog:
    return load_catalog(config.catalog.bundled, catalog_files(config))


def build_embedder(config: Config) -> Embedder | None:
    needs = config.nlu.parser == "full" or config.recommend.engine == "hybrid"
    if not needs:
        return None
    from core.embedding import SentenceEmbedder

    return SentenceEmbedder(config.embedding.model or None, device=config.embedding.device)


def build_parser(config: Config, catalog: Catalog, embedder: Embedder | None) -> Parser:
    if config.nlu.parser == "full":
        from core.nlu.parser import build_parser as build_full

        return build_full(catalog, embedder, multilingual=config.embedding.multilingual)
    from core.nlu.simple import SimpleParser

    return SimpleParser(catalog)


def build_recommender(config: Config, catalog: Catalog, embedder: Embedder | None) -> Recommender:
    if config.recommend.engine == "hybrid":
        from core.recommend.engine import build_recommender as build_hybrid

        return build_hybrid(catalog, embedder, config.data_dir / "cache", config.recommend)
    from core.recommend.simple import SimpleRecommender

    return SimpleRecommender(catalog)


def build_generator(config: Config) -> Generator:
    from core.generation.factory import build_generator as build_gen

    settings = config.generation
    if not settings.cache_dir:
        settings = dataclasses.replace(settings, cache_dir=str(config.data_dir / "models"))
    return build_gen(settings)


def build_limiter(config: Config, store: Store) -> Limiter:
    """Per-person message limit: in the shared database where several instances may serve one person."""
    limits = config.limits
    if limits.shared not in ("auto", "memory", "store"):
        raise ValueError(f"[limits] shared must be auto, memory or store, not {limits.shared!r}")
    if limits.shared == "store" or (limits.shared == "auto" and store.db.dialect == "postgresql"):
        return StoreRateLimiter(store.db, limits.messages_per_minute, limits.burst)
    return RateLimiter(limits.messages_per_minute, limits.burst)


async def build_app(config: Config) -> App:
    digest_cfg = digest_settings(config)  # before anything opens: a config error leaks nothing
    store = await Store.open_url(config.store.resolved_url(), config.sqlite_path, config.store.schema or None)
    try:
        catalog = build_catalog(config)
        embedder = build_embedder(config)
        parser = build_parser(config, catalog, embedder)
        recommender = build_recommender(config, catalog, embedder)
        await retrain(store, recommender)
        generator = build_generator(config)
        emoji = EmojiMap(tuple(config.feedback.positive), tuple(config.feedback.negative))
        feedback = FeedbackService(store, catalog, emoji, config.recommend.half_life_days)
        outbound: dict[str, Outbound] = {}
        digests = build_digest_service(digest_cfg, store, catalog, recommender, feedback, outbound)
        core = DialogueCore(
            store, catalog, parser, recommender, generator,
            CoreSettings(k=config.recommend.k, generation_deadline_s=config.generation.deadline_s),
            feedback=feedback, digests=digests, limiter=build_limiter(config, store),
        )
    except BaseException:
        await store.close()  # else aiosqlite's thread keeps the process alive after the error
        raise
    # Models, catalog and index are loaded once and live for the whole process: move them out of the
    # cyclic GC's reach so full collections stop rescanning millions of start-up objects (measured as
    # tens-of-milliseconds pauses in the p99 of benchmarks/load.py).
    gc.collect()
    gc.freeze()
    return App(config, store, catalog, core, generator, recommender, outbound=outbound, digests=digests)
