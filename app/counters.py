"""Search counters, kept in memory and written to the store in batches.

A search must not cost a database write, so each worker counts in memory and
flushes every `STATS_FLUSH_SECONDS` and when it stops. `GET /v1/stats` is
therefore exact for the worker that answers it and at most one flush interval
behind for the others.

Besides the searches per month, each search's folded query text is counted per
domain and day, with whether it found anything, for the site owner's top
queries and top misses. Visitors can type anything, so the number of distinct
queries waiting for a flush is capped: past the cap, new queries are dropped
(and counted in a metric) rather than letting a flood of random strings grow
the worker's memory.

Once a domain's day holds all the queries it may (`core.sql.MAX_QUERIES_PER_DAY`),
the worker learns which they are and counts any other query as OTHER_QUERIES
itself: a flush then writes one row for the rest, not one statement for each
of thousands of never-seen queries (8% of a worker's time under a stream of
them, before).
"""

import asyncio
import logging
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from app.metrics import QUERIES_DROPPED, TALLY
from core.sql import OTHER_QUERIES
from core.store import Store, TopQueries

log = logging.getLogger("autocompeter")

MAX_PENDING_QUERIES = 10_000
MAX_FULL_DAYS = 64
"""Domains whose full day's queries a worker keeps (about 50 kB each); others
are counted by the database alone, correctly but at a statement per query."""
QUERY_RETENTION_DAYS = 30
"""Query counts older than this are deleted: /v1/stats shows the last 30 days."""
TOP_QUERIES_LIMIT = 10


async def recent_top_queries(store: Store, domain: str) -> TopQueries:
    """The domain's top queries and misses of the last QUERY_RETENTION_DAYS UTC days,
    today included: what `GET /v1/stats` and `autocompeter stats` show."""
    since = datetime.now(UTC).date() - timedelta(days=QUERY_RETENTION_DAYS - 1)
    return await store.top_queries(domain, since, TOP_QUERIES_LIMIT)


class FetchCounter:
    def __init__(self, store: Store, max_pending_queries: int = MAX_PENDING_QUERIES) -> None:
        self.store = store
        self.max_pending_queries = max_pending_queries
        self._pending: Counter[tuple[str, int, int]] = Counter()
        # (domain, day, query) -> [searches, misses]
        self._queries: dict[tuple[str, date, str], list[int]] = {}
        self.dropped = 0
        self._today_value = datetime.now(UTC).date()
        self._today_until = 0.0
        self._pruned_on: date | None = None
        # (domain, day) -> the queries the day holds, once it is full
        self._full_days: dict[tuple[str, date], frozenset[str]] = {}

    def record(self, domain: str, query: str | None = None, found: bool = True) -> None:
        today = self._today()
        self._pending[(domain, today.year, today.month)] += 1
        if query is None:
            return
        full = self._full_days.get((domain, today))
        if full is not None and query not in full:
            query = OTHER_QUERIES
        key = (domain, today, query)
        counts = self._queries.get(key)
        if counts is None:
            if len(self._queries) >= self.max_pending_queries:
                self.dropped += 1
                QUERIES_DROPPED.inc()
                return
            counts = self._queries[key] = [0, 0]
        counts[0] += 1
        if not found:
            counts[1] += 1

    def _today(self) -> date:
        """The UTC day, read from the clock at most once a second: every search asks."""
        now = time.monotonic()
        if now >= self._today_until:
            self._today_value = datetime.now(UTC).date()
            self._today_until = now + 1.0
        return self._today_value

    async def flush(self) -> None:
        # Each part is handed back if its write fails, so one failing part
        # neither loses nor double-counts the other.
        if self._pending:
            pending, self._pending = self._pending, Counter()
            try:
                await self.store.add_fetches(pending)
            except Exception:
                self._pending.update(pending)  # keep them for the next flush
                raise
        if self._queries:
            queries, self._queries = self._queries, {}
            try:
                await self.store.add_queries({k: (s, m) for k, (s, m) in queries.items()})
            except Exception:
                for key, (searches, misses) in queries.items():
                    counts = self._queries.setdefault(key, [0, 0])
                    counts[0] += searches
                    counts[1] += misses
                raise
            await self._learn_full_days({(domain, day) for domain, day, _query in queries})
        await self._prune()

    async def _learn_full_days(self, days: set[tuple[str, date]]) -> None:
        today = self._today()
        for key in [key for key in self._full_days if key[1] != today]:
            del self._full_days[key]
        for domain, day in days:
            if day != today or (domain, day) in self._full_days:
                continue
            if len(self._full_days) >= MAX_FULL_DAYS:
                return
            full = await self.store.full_day_queries(domain, day)
            if full is not None:
                self._full_days[(domain, day)] = full

    async def _prune(self) -> None:
        """Delete query counts past the retention, at most once a day per worker."""
        today = datetime.now(UTC).date()
        if self._pruned_on != today:
            await self.store.prune_queries(today - timedelta(days=QUERY_RETENTION_DAYS))
            self._pruned_on = today

    async def flush_every(self, seconds: float) -> None:
        """Write the search counters, and the request metrics (`app.metrics.TALLY`)."""
        while True:
            await asyncio.sleep(seconds)
            TALLY.flush()
            try:
                await self.flush()
            except Exception:
                log.warning("could not write search counters; will retry", exc_info=True)
