"""Chooses the `Store` and `SearchEngine` once, at start-up, from the settings.

This is the only place that knows which implementations exist; everything
else talks to the two ports, and to `Backends.scaled` for what only the
scaled-out setup has (a search index to make, an outbox to feed it from).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.shared.errors import Refused
from app.shared.settings import Settings, sqlite_path
from core.engine import SearchEngine
from core.store import Store
from embedded.database import SqliteDatabase
from embedded.engine import Fts5Engine
from embedded.store import SqliteStore

if TYPE_CHECKING:
    from indexer.sync import SyncWorker
    from scaled.cluster import SearchCluster
    from scaled.store import PostgresStore


class UnsupportedSetup(Refused, ValueError):
    """The settings ask for a combination this build cannot serve: a command says so
    in one line (exit status 2), as `Refused`."""


@dataclass(frozen=True)
class ScaledParts:
    """The scaled-out setup's store and cluster, as the indexer needs them."""

    store: "PostgresStore"
    cluster: "SearchCluster"


@dataclass
class Backends:
    store: Store
    engine: SearchEngine
    scaled: ScaledParts | None = None
    """None in the embedded setup, whose FTS5 index is written with its store."""

    async def close(self) -> None:
        await self.engine.close()
        await self.store.close()


def click_ranking(settings: Settings) -> dict[str, float]:
    """The stores' click ranking arguments; a boost of 0 when CLICK_RANKING=off."""
    boost = settings.click_boost if settings.click_ranking == "on" else 0.0
    return {"click_boost": boost, "click_half": settings.click_half}


def open_backends(settings: Settings) -> Backends:
    if not settings.embedded:
        return open_scaled(settings)
    db = SqliteDatabase(sqlite_path(settings.database_url))
    if settings.effective_search_url != settings.database_url:
        raise UnsupportedSetup("SEARCH_URL: the embedded engine searches the DATABASE_URL file")
    return Backends(store=SqliteStore(db, **click_ranking(settings)),
                    engine=Fts5Engine(db, memory_budget_bytes=settings.memory_index_bytes))


# -- scaled out: PostgreSQL + Elasticsearch/OpenSearch -------------------------------
# Imported inside the functions: their drivers are optional extras
# (`pip install 'autocompeter[postgres,opensearch]'`), not needed when embedded.


def open_scaled(settings: Settings) -> Backends:
    if not settings.search_url or settings.search_url.startswith("sqlite:"):
        raise UnsupportedSetup("SEARCH_URL: with PostgreSQL, set SEARCH_URL to "
                               "opensearch+http://host:9200 or elasticsearch+https://host:9200")
    try:
        from scaled.cluster import open_cluster
        from scaled.store import PostgresStore
    except ImportError as error:
        raise UnsupportedSetup(f"{error.name} is not installed: pip install "
                               "'autocompeter[postgres,opensearch,elasticsearch]'") from None
    store = PostgresStore(settings.database_url, pool_size=settings.database_pool_size,
                          timeout=settings.database_timeout_seconds, **click_ranking(settings))
    try:
        cluster = open_cluster(
            settings.search_url, alias=settings.search_index, api_key=settings.search_api_key,
            verify_certs=settings.search_verify_certs,
            ca_file=str(settings.search_ca_file) if settings.search_ca_file else None,
            search_timeout=settings.search_timeout_seconds,
            bulk_timeout=settings.search_bulk_timeout_seconds,
            search_transport=settings.search_transport,
        )
    except ImportError as error:
        raise UnsupportedSetup(f"{error.name} is not installed: pip install "
                               "'autocompeter[opensearch]' or 'autocompeter[elasticsearch]'"
                               ) from None
    return Backends(store=store, engine=cluster, scaled=ScaledParts(store, cluster))


async def with_backends(settings: Settings, work: Callable[[Backends], Awaitable[int]]) -> int:
    """What ``work`` returns, run on the backends the settings choose, their store
    migrated first; they are closed however it ends."""
    backends = open_backends(settings)
    try:
        await backends.store.migrate()
        return await work(backends)
    finally:
        await backends.close()


def sync_worker(backends: Backends, settings: Settings) -> "SyncWorker | None":
    """A worker feeding the engine from the outbox, or None when there is none to feed."""
    if backends.scaled is None:
        return None
    from indexer.sync import SyncOptions, SyncWorker

    options = SyncOptions(batch=settings.indexer_batch_size,
                          poll_seconds=settings.indexer_poll_seconds)
    return SyncWorker(backends.scaled.store, backends.scaled.cluster, options=options)
