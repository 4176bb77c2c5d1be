"""The services a worker's request handlers use, as one typed object.

Made once per worker process when it starts (`Services.start`) and closed when
it stops; handlers reach it with `services(request)` rather than through
untyped attributes of `app.ctx`.
"""

import asyncio
import gc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sanic import Request

from app.http.access import AccessCache
from app.http.click_counter import ClickCounter
from app.http.metrics import TALLY
from app.http.parsed_searches import ParsedSearches
from app.http.ratelimit import RateLimits
from app.http.response_cache import ResponseCache
from app.http.search_counter import FetchCounter
from app.http.suggestions import SuggestionBook
from app.http.synonym_book import SynonymBook
from app.shared.backends import Backends, open_backends, sync_worker
from app.shared.settings import Settings

if TYPE_CHECKING:  # the scaled-out setup's drivers are optional extras
    from indexer.sync import SyncWorker


@dataclass
class Services:
    settings: Settings
    backends: Backends
    cache: ResponseCache
    rate_limits: RateLimits
    fetches: FetchCounter
    clicks: ClickCounter
    sync: "SyncWorker | None"
    """Feeds the search cluster from the outbox; None in the embedded setup."""
    parsed_searches: ParsedSearches = field(default_factory=ParsedSearches)
    access: AccessCache = field(default_factory=AccessCache)
    """Each domain's private groups and token key, as of its generation (app/http/access.py)."""
    synonyms: SynonymBook = field(default_factory=SynonymBook)
    """Each domain's synonyms, as of its generation (app/http/synonym_book.py)."""
    suggestions: SuggestionBook = field(default_factory=SuggestionBook)
    """Each domain's query suggestions, built in the background (app/http/suggestions.py)."""
    known_domains: set[str] = field(default_factory=set)
    """Domains seen to exist: they are never deleted, so once is enough."""
    _flusher: asyncio.Task[None] | None = None
    _click_writer: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, settings: Settings) -> "Services":
        backends = open_backends(settings)
        await backends.store.migrate()
        await backends.engine.warm()
        # What start-up made (modules, indexes) lives as long as the worker: the
        # collector need not scan it again. A full collection then took 12 ms, a
        # pause every in-flight search waited through.
        gc.collect()
        gc.freeze()
        services = cls(
            settings=settings,
            backends=backends,
            cache=ResponseCache(settings.response_cache_bytes),
            rate_limits=RateLimits(settings.search_rate_limit, settings.write_rate_limit,
                                   settings.search_time_budget),
            fetches=FetchCounter(backends.store),
            clicks=ClickCounter(backends.store, settings.stats_flush_seconds,
                                settings.click_ranking_seconds),
            sync=sync_worker(backends, settings),
        )
        services._flusher = asyncio.create_task(
            services.fetches.flush_every(settings.stats_flush_seconds))
        services._click_writer = asyncio.create_task(services.clicks.run())
        # Scaled-out setup: each worker process feeds the engine from the outbox
        # (SKIP LOCKED shares the rows); INDEXER_IN_SERVE=false leaves it to
        # separate `autocompeter indexer` processes.
        if services.sync is not None and settings.indexer_in_serve:
            services.sync.start()
        return services

    async def stop(self) -> None:
        for task in (self._flusher, self._click_writer):
            if task is not None:
                task.cancel()
        TALLY.flush()
        await self.suggestions.stop()
        if self.sync is not None:
            await self.sync.stop()  # a no-op if it was never started
        try:
            try:
                await self.fetches.flush()
            finally:  # the search counters failing to write must not lose the clicks
                await self.clicks.flush()
        finally:
            await self.backends.close()


def services(request: Request) -> Services:
    return request.app.ctx.services
