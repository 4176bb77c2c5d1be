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
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential_jitter

from core.engine import EngineUnavailable
from core.store import StoreUnavailable
from scaled.cluster import SearchCluster
from scaled.mapping import document_id, source
from scaled.outbox import NOTIFY_CHANNEL, Change, IndexedDocument
from scaled.store import PostgresStore

log = logging.getLogger("autocompeter.indexer")


TRANSIENT = (EngineUnavailable, StoreUnavailable, OSError, asyncio.TimeoutError,
             asyncpg.PostgresConnectionError, asyncpg.OperatorInterventionError)


@dataclass(frozen=True)
class SyncOptions:
    batch: int = 500
    poll_seconds: float = 1.0
    max_backoff_seconds: float = 5.0
    fresh_batch: int = 100
    """A batch of at most this many changes is made searchable at once (the bulk
    request's `refresh=true`): an owner's write is found on every instance within a
    second (issue 26), not only after the index's own one-second refresh. A larger
    batch (a load, a catch-up after an outage) waits for that refresh, which costs the
    cluster one refresh a second instead of one per batch."""
    refresh_gap: float = 0.25
    """Seconds between two refreshes a worker asks for: a stream of single writes makes
    at most four a second per worker; the others wait for the index's own."""


def index_lines(document: IndexedDocument, index: str, **meta: Any) -> list[dict[str, Any]]:
    """The bulk lines that put ``document`` into ``index`` at its version."""
    meta.update(_index=index, _id=document_id(document.domain, document.url),
                version=document.version, version_type="external")
    return [{"index": meta}, source(document.version, document.domain, document.url,
                                    document.title, document.group, document.popularity)]


def bulk_operations(changes: list[Change], targets: list[str]) -> list[dict[str, Any]]:
    """Bulk body lines for the claimed changes, once per target index."""
    latest: dict[tuple[str, str], Change] = {}
    for change in changes:  # several changes of one URL in a batch: only the last matters
        latest[(change.domain, change.url)] = change
    operations: list[dict[str, Any]] = []
    for change in latest.values():
        for index in targets:
            # Never let a write to a missing alias auto-create a plain index.
            meta: dict[str, Any] = {"require_alias": True} if index == targets[0] else {}
            if change.document is None:
                meta.update(_index=index, _id=document_id(change.domain, change.url),
                            version=change.version, version_type="external")
                operations.append({"delete": meta})
            else:
                operations.extend(index_lines(change.document, index, **meta))
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
        self._refreshed_at = float("-inf")
        self.sent = 0

    # -- one pass ---------------------------------------------------------------------

    async def process_batch(self) -> int:
        """Send one batch; return how many outbox rows it took off the queue."""
        async with self.store.claim_changes(self.options.batch) as claimed:
            if not claimed.changes:
                return 0
            targets = [self.engine.alias, *claimed.building]
            failed = await self.engine.bulk(bulk_operations(claimed.changes, targets),
                                            refresh=self._refresh_now(len(claimed.changes)))
            if any(_missing_index(item) for item in failed):
                await self.engine.ensure_index()
                raise EngineUnavailable("the index was missing; made it, retrying")
            if any(_transient(item) for item in failed):
                raise EngineUnavailable(f"engine rejected {len(failed)} operations; retrying")
            for item in failed:
                # A document the engine will never take (e.g. a mapping error):
                # retrying would block the queue, so log it and move on.
                log.error("search engine refused a document: %s", item)
            claimed.done = True
        self.sent += len(claimed.changes)
        return len(claimed.changes)

    def _refresh_now(self, changes: int) -> bool:
        """Whether this batch's bulk request makes its changes searchable at once."""
        now = time.monotonic()
        if (changes > self.options.fresh_batch
                or now - self._refreshed_at < self.options.refresh_gap):
            return False
        self._refreshed_at = now
        return True

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
                    async with asyncio.timeout(self.options.poll_seconds):
                        await self._wake.wait()
        finally:
            await self._close_listener()

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self.run(), name="autocompeter-sync")
        return self._task

    async def stop(self) -> None:
        """Cancel the loop and wait until it has ended, cancelling again while it runs:
        on Python 3.11, `asyncio.wait_for` (here, and inside asyncpg) can swallow a
        cancellation that lands as its own wait ends, and the loop would go on."""
        if self._task is not None:
            while not self._task.done():
                self._task.cancel()
                await asyncio.wait([self._task], timeout=1)
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
