"""The search counter, kept in memory and written to the store in batches.

A search must not cost a database write, so each worker counts in memory and
flushes every `STATS_FLUSH_SECONDS` and when it stops. `GET /v1/stats` is
therefore exact for the worker that answers it and at most one flush interval
behind for the others.

Besides the searches per month, each search's folded query text is counted per
domain and day, with whether it found anything (`searches` in /v1/stats). The
site owner's top queries and misses count intents instead (intents.py): the
searches one visitor types in a burst count once, as the query it ended on.
Visitors can type anything, so both the worker's waiting counts and the stored
ones are bounded summaries that keep the often searched queries (Space-Saving,
`QueryTally` here and `core.sql.SqlStore.add_queries`): a
flood of random strings neither grows the memory or the database nor pushes out
a query people search. Past `MAX_PENDING_QUERIES` waiting queries in all, a
domain's new query replaces its least searched one; a domain with none waiting
then has its query dropped (and counted in a metric).
"""

import asyncio
import logging
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from app.http.intents import INTENT_PAUSE_SECONDS, SETTLE_MARGIN_SECONDS, IntentTracker, intents_of
from app.http.metrics import QUERIES_DROPPED, TALLY
from app.shared.analytics import QUERY_RETENTION_DAYS
from core.sql_statements import MAX_QUERIES_PER_DAY
from core.store import QueryCounts, Store

log = logging.getLogger("autocompeter")

MAX_PENDING_QUERIES = 10_000


class QueryTally:
    """One domain's searches of one day since the last flush, query by query: a
    Space-Saving summary (Metwally, Agrawal and El Abbadi, 2005) of at most
    ``capacity`` queries. A new query when there is no room takes the place of a least
    searched one and its count, so a query searched often is never pushed out by a
    flood of new ones, and the counts still add up to the searches.

    Until then a plain dict: the counts are bucketed (for the least one in O(1)) only
    once a query had to be replaced, which ordinary traffic never needs."""

    __slots__ = ("_by_count", "_least", "capacity", "counts")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.counts: dict[str, list[int]] = {}
        """query -> [searches, misses]"""
        self._by_count: dict[int, dict[str, None]] | None = None
        self._least = 0

    def add(self, query: str, found: bool, may_grow: bool = True) -> bool:
        """Count a search of ``query``; False if it could not be (no room, nothing to
        replace: this tally is empty and ``may_grow`` is False)."""
        counts = self.counts.get(query)
        if counts is None:
            if may_grow and len(self.counts) < self.capacity:
                counts = self.counts[query] = [0, 0]
                if self._by_count is not None:
                    self._by_count.setdefault(0, {})[query] = None
                    self._least = 0
            elif self.counts:
                counts = self._replace_least(query)
            else:
                return False
        if self._by_count is not None:
            self._count_up(query, counts[0])
        counts[0] += 1
        if not found:
            counts[1] += 1
        return True

    def _replace_least(self, query: str) -> list[int]:
        if self._by_count is None:
            self._by_count = {}
            for known, (searches, _misses) in self.counts.items():
                self._by_count.setdefault(searches, {})[known] = None
            self._least = min(self._by_count)
        bucket = self._by_count[self._least]
        evicted = next(iter(bucket))
        del bucket[evicted], self.counts[evicted]
        bucket[query] = None
        counts = self.counts[query] = [self._least, 0]
        return counts

    def _count_up(self, query: str, searches: int) -> None:
        """Move ``query`` from the bucket of ``searches`` to the next one."""
        assert self._by_count is not None
        bucket = self._by_count[searches]
        del bucket[query]
        if not bucket:
            del self._by_count[searches]
            if searches == self._least:
                self._least = searches + 1  # where ``query`` goes: never empty
        self._by_count.setdefault(searches + 1, {})[query] = None


class FetchCounter:
    def __init__(self, store: Store, max_pending_queries: int = MAX_PENDING_QUERIES) -> None:
        self.store = store
        self.max_pending_queries = max_pending_queries
        self._pending: Counter[tuple[str, int, int]] = Counter()
        self._queries: dict[tuple[str, date], QueryTally] = {}
        self._held = 0
        """Queries in all of ``_queries``: at most ``max_pending_queries``."""
        self._unsent: dict[tuple[str, date, str], tuple[int, int]] = {}
        """Counts of a flush that failed, sent with the next one."""
        self.dropped = 0
        self._today_value = datetime.now(UTC).date()
        self._today_until = 0.0
        self._pruned_on: date | None = None
        self.intents = IntentTracker()
        self._unsent_intents: dict[tuple[str, date, str], tuple[int, int]] = {}
        """Intents taken from the store whose write failed, sent with the next flush."""
        self.flush_seconds = 5.0
        """The flush interval (`flush_every`): how long other workers' parts may wait."""

    def record(self, domain: str, query: str | None = None, found: bool = True,
               visitor: tuple[str, str] | None = None) -> None:
        """Count a search; of ``query`` (folded words) if given, and of an intent if
        ``visitor`` (its address and user agent) is given too."""
        today = self._today()
        self._pending[(domain, today.year, today.month)] += 1
        if query is None:
            return
        if visitor is not None and not self.intents.record((*visitor, domain), query, found):
            self._drop()
        tally = self._queries.get((domain, today))
        may_grow = self._held < self.max_pending_queries
        if tally is None:
            if not may_grow:
                self._drop()
                return
            tally = self._queries[(domain, today)] = QueryTally(MAX_QUERIES_PER_DAY)
        held = len(tally.counts)
        if not tally.add(query, found, may_grow):
            self._drop()
        self._held += len(tally.counts) - held

    def _drop(self) -> None:
        self.dropped += 1
        QUERIES_DROPPED.inc()

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
        if self._queries or self._unsent:
            queries = self._take_queries()
            try:
                await self.store.add_queries(queries)
            except Exception:
                self._keep_unsent(queries)
                raise
        await self._flush_intents()
        await self._prune()

    async def _flush_intents(self) -> None:
        """Write this worker's parts of bursts, then count the bursts that ended in all
        workers (`IntentTracker`)."""
        parts = self.intents.take_changed()
        if parts:
            try:
                await self.store.save_intent_parts(self.intents.worker, parts)
            except Exception:
                self.intents.keep(parts)
                raise
        settle = INTENT_PAUSE_SECONDS + self.flush_seconds + SETTLE_MARGIN_SECONDS
        taken = await self.store.take_intent_parts(int((time.time() - settle) * 1000))
        counts = intents_of(taken)
        for key, (searches, misses) in self._unsent_intents.items():
            before = counts.get(key, (0, 0))
            counts[key] = (before[0] + searches, before[1] + misses)
        self._unsent_intents = {}
        if counts:
            try:
                await self.store.add_intents(counts)
            except Exception:
                self._keep_unsent_intents(counts)
                raise

    def _keep_unsent_intents(self, counts: QueryCounts) -> None:
        for key, value in counts.items():
            if len(self._unsent_intents) >= self.max_pending_queries:
                self._drop()
            else:
                self._unsent_intents[key] = value

    def _take_queries(self) -> dict[tuple[str, date, str], tuple[int, int]]:
        queries, self._unsent = self._unsent, {}
        for (domain, day), tally in self._queries.items():
            for query, (searches, misses) in tally.counts.items():
                before = queries.get((domain, day, query), (0, 0))
                queries[(domain, day, query)] = (before[0] + searches, before[1] + misses)
        self._queries, self._held = {}, 0
        return queries

    def _keep_unsent(self, queries: dict[tuple[str, date, str], tuple[int, int]]) -> None:
        """Keep a failed flush's counts for the next one, as many as may wait."""
        for key, counts in queries.items():
            if len(self._unsent) >= self.max_pending_queries:
                self.dropped += 1
                QUERIES_DROPPED.inc()
                continue
            self._unsent[key] = counts

    async def _prune(self) -> None:
        """Delete query counts past the retention, at most once a day per worker."""
        today = datetime.now(UTC).date()
        if self._pruned_on != today:
            await self.store.prune_queries(today - timedelta(days=QUERY_RETENTION_DAYS))
            self._pruned_on = today

    async def flush_every(self, seconds: float) -> None:
        """Write the search counters, and the request metrics (`app.http.metrics.TALLY`)."""
        self.flush_seconds = seconds
        while True:
            await asyncio.sleep(seconds)
            TALLY.flush()
            try:
                await self.flush()
            except Exception:
                log.warning("could not write search counters; will retry", exc_info=True)
