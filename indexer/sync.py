"""The sync worker: moves outbox rows from PostgreSQL into the search engine.

One pass claims up to `batch` rows with `FOR UPDATE SKIP LOCKED`, so several
workers (one per `serve` worker process, plus any `autocompeter indexer`)
share the queue without ever sending the same row twice. The rows' documents
are sent in one bulk request, and the rows are deleted in the same
transaction once the engine has accepted them: if the engine or the worker
dies half-way, the transaction rolls back and the rows are sent again later.
Sending twice is harmless because every operation carries the document's
version as an external version.

Woken by LISTEN/NOTIFY (the store notifies on every write) and polling every
`poll_seconds` in case a notification is lost; retries with exponential
backoff and jitter (tenacity) while the engine or the database is away.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import asyncpg
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential_jitter

from indexer.base import EngineUnavailable
from indexer.mapping import document_id, source
from indexer.search_cluster import SearchCluster
from store.base import StoreUnavailable
from store.postgres import NOTIFY_CHANNEL, PostgresStore

log = logging.getLogger("autocompeter.indexer")

# The outbox rows (locked, skipping rows another worker holds), each with the
# current state of its document; no document means it was deleted.
CLAIM = """
SELECT o.id, o.domain, o.url, o.version AS change_version,
       d.id AS doc_id, d.title, d.grp, d.popularity, d.version AS doc_version
FROM (
    SELECT id, domain, url, version FROM outbox ORDER BY id
    LIMIT $1 FOR UPDATE SKIP LOCKED
) o
LEFT JOIN domains m ON m.name = o.domain
LEFT JOIN documents d ON d.domain_id = m.id AND d.url = o.url
ORDER BY o.id
"""

TRANSIENT = (EngineUnavailable, StoreUnavailable, OSError, asyncio.TimeoutError,
             asyncpg.PostgresConnectionError, asyncpg.OperatorInterventionError)


@dataclass(frozen=True)
class SyncOptions:
    batch: int = 500
    poll_seconds: float = 1.0
    max_backoff_seconds: float = 5.0


def bulk_operations(rows: list[asyncpg.Record], targets: list[str]) -> list[dict[str, Any]]:
    """Bulk body lines for the claimed rows, once per target index."""
    latest: dict[tuple[str, str], asyncpg.Record] = {}
    for row in rows:  # several changes of one URL in a batch: only the last matters
        latest[(row["domain"], row["url"])] = row
    operations: list[dict[str, Any]] = []
    for row in latest.values():
        _id = document_id(row["domain"], row["url"])
        for index in targets:
            meta: dict[str, Any] = {"_index": index, "_id": _id, "version_type": "external"}
            if index == targets[0]:
                # Never let a write to a missing alias auto-create a plain index.
                meta["require_alias"] = True
            if row["doc_id"] is None:
                operations.append({"delete": {**meta, "version": row["change_version"]}})
            else:
                operations.append({"index": {**meta, "version": row["doc_version"]}})
                operations.append(source(row["doc_version"], row["domain"], row["url"],
                                         row["title"], row["grp"], row["popularity"]))
    return operations


class SyncWorker:
    def __init__(self, store: PostgresStore, engine: SearchCluster,
                 options: SyncOptions | None = None) -> None:
        self.store = store
        self.engine = engine
        self.options = options or SyncOptions()
        self._wake = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self.sent = 0

    # -- one pass ---------------------------------------------------------------------

    async def process_batch(self) -> int:
        """Send one batch; return how many outbox rows it took off the queue."""
        async with self.store.connection() as conn, conn.transaction():
            rows = await conn.fetch(CLAIM, self.options.batch)
            if not rows:
                return 0
            building = await conn.fetch("SELECT name FROM search_indexes_building")
            targets = [self.engine.alias, *(row["name"] for row in building)]
            failed = await self.engine.bulk(bulk_operations(rows, targets))
            if any(_missing_index(item) for item in failed):
                await self.engine.ensure_index()
                raise EngineUnavailable("the index was missing; made it, retrying")
            if any(_transient(item) for item in failed):
                raise EngineUnavailable(f"engine rejected {len(failed)} operations; retrying")
            for item in failed:
                # A document the engine will never take (e.g. a mapping error):
                # retrying would block the queue, so log it and move on.
                log.error("search engine refused a document: %s", item)
            await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])",
                               [row["id"] for row in rows])
        self.sent += len(rows)
        return len(rows)

    async def drain(self) -> int:
        """Process batches until the outbox is empty (used by tests and tools)."""
        total = 0
        while n := await self._with_retries():
            total += n
        return total

    async def _with_retries(self) -> int:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TRANSIENT),
            wait=wait_exponential_jitter(initial=0.1, max=self.options.max_backoff_seconds),
            before_sleep=_log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self.process_batch()
        raise AssertionError("unreachable")

    # -- the loop ---------------------------------------------------------------------

    async def run(self) -> None:
        log.info("sync worker started (batch %d)", self.options.batch)
        try:
            while True:
                self._wake.clear()
                try:
                    sent = await self._with_retries()
                except Exception:
                    # A bug or a refused request, not an outage: keep the rows,
                    # say so, and try again after the poll interval.
                    log.exception("sync pass failed; the outbox keeps its rows")
                    sent = 0
                if sent == self.options.batch:
                    continue  # under load: straight on to the next batch
                await self._listen()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.options.poll_seconds)
        finally:
            await self._close_listener()

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self.run(), name="autocompeter-sync")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _listen(self) -> None:
        """(Re)open the LISTEN connection; without it, polling still works."""
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            conn = await asyncpg.connect(self.store.dsn, timeout=self.store.timeout)
            await conn.add_listener(NOTIFY_CHANNEL, self._notified)
        except Exception as error:
            log.debug("cannot LISTEN (%s); polling", error)
            return
        self._listener = conn

    def _notified(self, *_args: object) -> None:
        self._wake.set()

    async def _close_listener(self) -> None:
        if self._listener is not None:
            try:
                await asyncio.wait_for(self._listener.close(), 2)
            except Exception:
                self._listener.terminate()
            self._listener = None


def _transient(item: dict[str, Any]) -> bool:
    (result,) = item.values()
    status = result.get("status", 500)
    return status == 429 or status >= 500


def _missing_index(item: dict[str, Any]) -> bool:
    (result,) = item.values()
    return (result.get("error") or {}).get("type") == "index_not_found_exception"


def _log_retry(state: Any) -> None:
    log.warning("indexing paused: %s; retrying in %.1fs",
                state.outcome.exception(), state.next_action.sleep)
