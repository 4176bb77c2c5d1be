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
import hashlib
import logging
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.metrics import CLICKS_DROPPED, QUERIES_DROPPED, TALLY
from core.sql import OTHER_QUERIES
from core.store import Click, ClickedTitle, Store, TopQueries

log = logging.getLogger("autocompeter")

MAX_PENDING_QUERIES = 10_000
MAX_FULL_DAYS = 64
"""Domains whose full day's queries a worker keeps (about 50 kB each); others
are counted by the database alone, correctly but at a statement per query."""
QUERY_RETENTION_DAYS = 30
"""Query counts older than this are deleted: /v1/stats shows the last 30 days."""
TOP_QUERIES_LIMIT = 10


def window_start() -> date:
    """The first UTC day of the last QUERY_RETENTION_DAYS, today included: the window of
    the top queries, the clicks shown and the clicks that rank."""
    return datetime.now(UTC).date() - timedelta(days=QUERY_RETENTION_DAYS - 1)


async def recent_top_queries(store: Store, domain: str) -> TopQueries:
    """The domain's top queries and misses of the window (`window_start`): what
    `GET /v1/stats` and `autocompeter stats` show."""
    return await store.top_queries(domain, window_start(), TOP_QUERIES_LIMIT)


@dataclass(frozen=True, slots=True)
class RecentClicks:
    top: list[ClickedTitle]
    by_query: dict[str, int]
    """Clicks on results of each of the top queries (absent: none)."""

    def click_through(self, query: str, searches: int) -> float:
        """Clicks per search of ``query``, rounded to 3 places."""
        return round(self.by_query.get(query, 0) / searches, 3) if searches else 0.0


async def recent_clicks(store: Store, domain: str, top: TopQueries) -> RecentClicks:
    """The most clicked titles of the window, and the clicks of the top ``top`` queries."""
    since = window_start()
    return RecentClicks(
        top=await store.top_clicks(domain, since, TOP_QUERIES_LIMIT),
        by_query=await store.query_clicks(domain, since, [q for q, _n in top.queries]),
    )


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


MAX_PENDING_CLICK_BYTES = 1024 * 1024
CLICK_ENTRY_BYTES = 400
"""What a waiting click costs besides its text: the Click object, its fingerprint and
date, the dict entry (measured with tracemalloc, rounded up)."""


def utc_minute() -> int:
    return int(time.time() // 60)


class ClickCounter:
    """Clicks on results, kept in memory and written to the store in batches, as the
    search counters are, and the click ranking kept up to date.

    Bounded in bytes: past ``max_pending_bytes`` of waiting clicks, further ones
    are dropped (and counted in a metric) until the next flush. A click is
    identified by a fingerprint of the client's address, domain, query, URL and
    UTC minute: the same click twice in a minute counts once, in this worker
    (here) and across workers (the store's clicks_seen table)."""

    def __init__(self, store: Store, flush_seconds: float, refresh_seconds: float,
                 max_pending_bytes: int = MAX_PENDING_CLICK_BYTES) -> None:
        self.store = store
        self.flush_seconds = flush_seconds
        self.refresh_seconds = refresh_seconds
        # A click waits up to a flush interval before another worker's copy of it
        # meets its fingerprint: keep fingerprints that long past their minute.
        self._fingerprint_minutes = 1 + math.ceil(flush_seconds / 60)
        self.max_pending_bytes = max_pending_bytes
        self._pending: dict[str, Click] = {}
        self.pending_bytes = 0
        self.dropped = 0
        self._written_since_refresh = False
        self._refreshed_on: date | None = None
        self._refreshed_at = 0.0
        self._pruned_on: date | None = None

    def record(self, client: str, domain: str, query: str, url: str) -> None:
        minute = utc_minute()
        fingerprint = hashlib.blake2b(
            "\0".join((str(minute), client, domain, query, url)).encode("utf-8", "replace"),
            digest_size=16).hexdigest()
        if fingerprint in self._pending:
            return
        size = CLICK_ENTRY_BYTES + sys.getsizeof(query) + sys.getsizeof(url)
        if self.pending_bytes + size > self.max_pending_bytes:
            self.dropped += 1
            CLICKS_DROPPED.inc()
            return
        day = datetime.now(UTC).date()
        self._pending[fingerprint] = Click(fingerprint, minute, domain, day, url, query)
        self.pending_bytes += size

    async def flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, {}
            pending_bytes, self.pending_bytes = self.pending_bytes, 0
            try:
                await self.store.add_clicks(list(pending.values()))
            except Exception:
                # Kept for the next flush; clicks that came meanwhile stay too.
                self._pending = {**pending, **self._pending}
                self.pending_bytes += pending_bytes
                raise
            self._written_since_refresh = True
            await self.store.prune_clicks(self._prune_before(),
                                          utc_minute() - self._fingerprint_minutes)

    def _prune_before(self) -> date:
        """The first day kept: click counts of days past the window go, once a day."""
        today = datetime.now(UTC).date()
        if self._pruned_on == today:
            return date.min
        self._pruned_on = today
        return window_start()

    async def refresh(self) -> None:
        """Move the titles whose clicks in the window changed: after this worker wrote
        clicks, and on a new day (clicks leave the window); every clicked title
        after start-up (the click settings may be new)."""
        today = datetime.now(UTC).date()
        if not (self._written_since_refresh or self._refreshed_on != today):
            return
        self._written_since_refresh = False
        try:
            await self.store.refresh_click_ranking(window_start(),
                                                   everything=self._refreshed_on is None)
        except Exception:
            self._written_since_refresh = True
            raise
        self._refreshed_on = today

    async def run(self) -> None:
        """Write the clicks every ``flush_seconds`` and refresh the ranking every
        ``refresh_seconds``, until cancelled."""
        while True:
            await asyncio.sleep(self.flush_seconds)
            try:
                await self.flush()
                if time.monotonic() - self._refreshed_at >= self.refresh_seconds:
                    self._refreshed_at = time.monotonic()
                    await self.refresh()
            except Exception:
                log.warning("could not write clicks; will retry", exc_info=True)
