"""The domains a worker keeps in memory, answering every tier exactly as FTS5 does.

Why: a never-seen query costs FTS5 a few statements and a few hundred
microseconds of CPU; a worker must answer thousands a second. Each worker keeps
the domains it serves in memory (`MemoryIndexes`, bounded in bytes, least
recently used first out) and answers from them while they are fresh; a stale
or missing index is rebuilt in a reader thread while FTS5 answers.

Where: `embedded.engine.Fts5Engine` asks `MemoryIndexes.fresh` before FTS5. What an
index holds is `embedded.indexed_titles`, how it answers `embedded.domain_index`,
how it is read `embedded.loading`.
"""

import asyncio
import logging
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from embedded.caches import QueryCaches
from embedded.database import SqliteDatabase
from embedded.domain_index import DomainIndex
from embedded.loading import (
    BuildTurns,
    SearchGate,
    TooBig,
    load,
    release,
    release_freed_memory,
)
from embedded.tokenizer import Tokenizer

log = logging.getLogger(__name__)

DEFAULT_MEMORY_BUDGET = 64 * 1024 * 1024
# Of the budget, the share kept for what queries leave behind (merged postings
# of prefixes, each typed word's corrections); the indexes get the rest. A
# seventh, 9.1 MiB: 8 MiB of merged prefixes, as before, and 1.1 MiB of
# corrections. Typo candidate forms are no longer cached here (11 MB for the
# Debian corpus's words, rebuilt at most typos of a stream): each index holds its
# own, counted in its bytes (`core.typo_index`: 5 MB for that corpus).
QUERY_CACHE_SHARE = 7
# A domain is rebuilt at most this many times its last build's duration after
# it: a domain written to constantly costs a worker at most 1/(1+PAUSE) of a core.
BUILD_PAUSE = 4.0
# Fewer bytes than a row takes in memory (a short URL and title): a domain with
# more rows than the budget holds at this size is not even read.
MIN_ROW_BYTES = 200


class MemoryIndexes:
    """The domains a worker keeps in memory, within ``budget_bytes`` in all.

    `fresh` answers at once (an index at the asked generation, or None); what
    is missing or stale is built in a reader thread, one build per domain at a
    time, and swapped in when done. A domain too big for the budget, or with
    words FTS5 would change, is left to FTS5.
    """

    def __init__(self, db: SqliteDatabase, budget_bytes: int, tie_shift: int,
                 max_tie_rows: int, on_kept: Callable[[int], None] = lambda _domain_id: None
                 ) -> None:
        """``on_kept``: called with a domain's id when its index is kept (it answers now)."""
        self.db = db
        self.on_kept = on_kept
        self.cache = QueryCaches.within(budget_bytes // QUERY_CACHE_SHARE)
        self.budget = budget_bytes - self.cache.limit
        self.tokenizer = Tokenizer()
        self._tie_shift, self._max_tie_rows = tie_shift, max_tie_rows
        self.build_pause = BUILD_PAUSE
        self._indexes: OrderedDict[str, DomainIndex] = OrderedDict()
        self._builds: dict[str, asyncio.Task[None]] = {}
        self._not_before: dict[str, float] = {}
        # Domains left to FTS5: the generation, and the bytes a row took then.
        self._unfit: dict[str, tuple[int, float]] = {}
        # Builds give way to searches (`embedded.loading.BuildTurns`).
        self.gate = SearchGate()
        self._evicted: list[DomainIndex] = []
        self._releases: set[asyncio.Task[None]] = set()

    @property
    def nbytes(self) -> int:
        return sum(index.nbytes for index in self._indexes.values())

    def fresh(self, domain: str, generation: int, words: tuple[str, ...]) -> DomainIndex | None:
        """The domain's index if it is at ``generation`` and can answer ``words``."""
        if self._builds or self._releases:  # they wait while the loop searches
            self.gate.searching()
        index = self._indexes.get(domain)
        if index is not None and index.generation == generation:
            self._indexes.move_to_end(domain)
            return index if index.answers(words, self.tokenizer) else None
        if self.budget > 0 and generation and self._unfit.get(domain, (None,))[0] != generation:
            self._start_build(domain)
        return None

    def _start_build(self, domain: str) -> None:
        if domain in self._builds or time.monotonic() < self._not_before.get(domain, 0):
            return
        task = asyncio.get_running_loop().create_task(self._build(domain))
        self._builds[domain] = task
        task.add_done_callback(lambda _task: self._builds.pop(domain, None))

    async def _build(self, domain: str) -> None:
        started = time.monotonic()
        # Counted first: a domain far over the budget is never read whole.
        max_rows = int(self.budget / self._unfit.get(domain, (0, MIN_ROW_BYTES))[1])
        turns = BuildTurns(self.gate)

        def build(conn: sqlite3.Connection) -> DomainIndex | TooBig | None:
            try:
                return load(conn, domain, self._tie_shift, self._max_tie_rows, self.cache,
                            max_rows, turns)
            finally:  # here, not in the event loop: a trim takes milliseconds
                release_freed_memory()

        try:
            index = await self.db.read(build)
        except Exception:  # the database closing, a busy file: FTS5 answers meanwhile
            log.exception("could not build the in-memory index of %s", domain)
            index = None
        finished = time.monotonic()
        self._not_before[domain] = finished + self.build_pause * (finished - started)
        if index is None:
            return
        try:
            self._keep(domain, index)
        finally:
            self._release_evicted()

    def _keep(self, domain: str, index: "DomainIndex | TooBig") -> None:
        self.discard(domain)
        if isinstance(index, TooBig):
            row_bytes = self._unfit.get(domain, (0, MIN_ROW_BYTES))[1]
            self._unfit[domain] = (index.generation, row_bytes)
            return
        if index.nbytes > self.budget or index.changed_words:
            self._unfit[domain] = (index.generation, index.nbytes / max(1, len(index.entries)))
            return
        self._unfit.pop(domain, None)
        while self._indexes and self.nbytes + index.nbytes > self.budget:
            self.discard(next(iter(self._indexes)))
        self._indexes[domain] = index
        self.on_kept(index.domain_id)

    async def warm(self, domains: Sequence[tuple[str, int]]) -> None:
        """Build the indexes of ``domains`` (name, titles), in the order given, each
        one that may still fit in what the budget has left (estimated from the bytes a
        title took in the indexes built so far): none evicts one built before it."""
        for domain, titles in domains:
            built = self._indexes.values()
            row_bytes = max(MIN_ROW_BYTES,
                            self.nbytes / max(1, sum(len(i.entries) for i in built)))
            if self.nbytes + titles * row_bytes <= self.budget:
                await self._build(domain)

    def discard(self, domain: str) -> None:
        """Drop the domain's index; it is freed later in a reader thread (`released`)."""
        index = self._indexes.pop(domain, None)
        if index is not None:
            self.cache.discard_where(lambda key: key[0] == id(index))  # type: ignore[index]
            self._evicted.append(index)

    def _release_evicted(self) -> None:
        if not self._evicted:
            return
        evicted, self._evicted = self._evicted, []
        turns = BuildTurns(self.gate)
        task = asyncio.get_running_loop().create_task(
            self.db.read(lambda _conn: release(evicted, turns)))
        self._releases.add(task)
        task.add_done_callback(self._releases.discard)

    async def released(self) -> None:
        """Wait until the evicted indexes are freed (tests)."""
        await asyncio.gather(*self._releases, return_exceptions=True)

    def building(self, domain: str) -> bool:
        return domain in self._builds

    async def built(self, domain: str) -> None:
        """Wait for the domain's build in progress, if any (tests, warm-up)."""
        task = self._builds.get(domain)
        if task is not None:
            await asyncio.shield(task)

    async def close(self) -> None:
        self.gate.open()  # a build in its thread goes on to its end: without waiting
        for task in list(self._builds.values()):
            task.cancel()
        await asyncio.gather(*self._builds.values(), *self._releases, return_exceptions=True)
