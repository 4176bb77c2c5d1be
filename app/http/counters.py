"""Search counters, kept in memory and written to the store in batches.

A search must not cost a database write, so each worker counts in memory and
flushes every `STATS_FLUSH_SECONDS` and when it stops. `GET /v1/stats` is
therefore exact for the worker that answers it and at most one flush interval
behind for the others.

Besides the searches per month, each search's folded query text is counted per
domain and day, with whether it found anything (`searches` in /v1/stats). The
site owner's top queries and misses count intents instead (`IntentTracker`): the
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
import hashlib
import logging
import math
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.http.metrics import CLICKS_DROPPED, QUERIES_DROPPED, TALLY
from core.sql_statements import MAX_QUERIES_PER_DAY
from core.store import Click, ClickedTitle, IntentPart, QueryCounts, Store, TopQueries

log = logging.getLogger("autocompeter")

MAX_PENDING_QUERIES = 10_000
QUERY_RETENTION_DAYS = 30
"""Query counts older than this are deleted: /v1/stats shows the last 30 days."""
TOP_QUERIES_LIMIT = 10


def window_start() -> date:
    """The first UTC day of the last QUERY_RETENTION_DAYS, today included: the window of
    the top queries, the clicks shown and the clicks that rank."""
    return datetime.now(UTC).date() - timedelta(days=QUERY_RETENTION_DAYS - 1)


async def recent_top_queries(store: Store, domain: str) -> TopQueries:
    """The domain's top queries and misses of the window (`window_start`), as intents
    (`IntentTracker`): what `GET /v1/stats` and `autocompeter stats` show."""
    return await store.top_intents(domain, window_start(), TOP_QUERIES_LIMIT)


async def recent_top_searches(store: Store, domain: str) -> TopQueries:
    """As `recent_top_queries`, counting every search request (each prefix typed)."""
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


INTENT_PAUSE_SECONDS = 3.0
"""A visitor's searches with pauses shorter than this, each going on from the last
(`continues`), are one intent: the widget searches at most every 150 ms while
someone types, and a reader of the results who types again within 3 s is still
refining the same search."""
MAX_PENDING_BURSTS = 10_000
"""Visitors whose burst one worker follows at once (about 430 bytes each, measured
with tracemalloc: 4.3 MB in all); past it, the longest quiet one ends early (and may
count as two intents)."""
SETTLE_MARGIN_SECONDS = 2.0
"""How long past a pause and a flush interval a burst waits before it counts: time for
every worker's part to be written, with clocks of different hosts a little apart."""


def continues(last: str, query: str) -> bool:
    """Whether ``query`` goes on with the search ``last``: typed on, deleted back or
    changed further on. Starting with another letter starts another search."""
    return last[:1] == query[:1]


Who = tuple[str, str, str]
"""Who searches: the client's address, user agent and the domain searched."""


def visitor_of(day: date, address: str, user_agent: str, domain: str) -> str:
    """Who searches, told apart without cookies or stored addresses: a hash of the day,
    the address and the user agent, the same in every worker and process, kept only
    while the visitor's burst goes on (and as long as the click fingerprints)."""
    text = "\0".join((day.isoformat(), address, user_agent, domain))
    return hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=16).hexdigest()


class IntentTracker:
    """One worker's part of visitors' bursts of searches (README "Analytics").

    Each flush writes the parts that changed to the store (`Store.save_intent_parts`),
    ended or not, and forgets the ended ones. Once all parts of a visitor are older
    than a pause and a flush interval, one worker takes them (`take_intent_parts`)
    and joins each burst's parts, however the burst's requests were spread over the
    workers (`intents_of`)."""

    def __init__(self, max_bursts: int = MAX_PENDING_BURSTS) -> None:
        self.worker = uuid.uuid4().hex
        self.max_bursts = max_bursts
        self._bursts: dict[Who, IntentPart] = {}
        """Who searches -> their current part here, the longest quiet first."""
        self._changed: dict[tuple[Who | str, int], IntentPart] = {}
        """Parts changed since they were last written, ended ones too."""

    def record(self, who: Who, query: str, found: bool) -> bool:
        """Count a search in its visitor's burst; False if there was no room for it.
        The visitor's hash is made only when a part is written: every search asks."""
        now = int(time.time() * 1000)
        part = self._bursts.pop(who, None)
        if part is not None and now - part.last_at < INTENT_PAUSE_SECONDS * 1000 \
                and continues(part.query, query):
            part.last_at, part.query, part.found = now, query, found
        else:
            if len(self._changed) >= 2 * self.max_bursts:
                return False  # parts that could not be written fill the room
            if len(self._bursts) >= self.max_bursts:
                del self._bursts[next(iter(self._bursts))]  # still written if changed
            part = IntentPart("", now, now, who[2], query, query, found)
        self._bursts[who] = part
        self._changed[(who, part.first_at)] = part
        return True

    def take_changed(self) -> list[IntentPart]:
        """The parts to write, each with its visitor's hash; the bursts that ended are
        forgotten here."""
        ended_before = int((time.time() - INTENT_PAUSE_SECONDS) * 1000)
        while self._bursts:
            who, oldest = next(iter(self._bursts.items()))
            if oldest.last_at >= ended_before:
                break
            del self._bursts[who]
        for (who, first_at), part in self._changed.items():
            if not part.visitor and isinstance(who, tuple):
                day = datetime.fromtimestamp(first_at / 1000, UTC).date()
                part.visitor = visitor_of(day, *who)
        changed, self._changed = list(self._changed.values()), {}
        return changed

    def keep(self, parts: list[IntentPart]) -> None:
        """Parts whose write failed: written with the next flush."""
        for part in parts:
            self._changed.setdefault((part.visitor, part.first_at), part)


def intents_of(parts: list[IntentPart]) -> dict[tuple[str, date, str], tuple[int, int]]:
    """Intents (searches and misses per domain, UTC day and query) of the ended bursts
    whose parts, from any workers, are ``parts``: parts of a visitor one after the
    other (or side by side) with pauses shorter than INTENT_PAUSE_SECONDS, each going
    on from the last, are one burst, which counts as the query that came last."""
    pause = INTENT_PAUSE_SECONDS * 1000
    counts: dict[tuple[str, date, str], tuple[int, int]] = {}

    def count(burst: IntentPart) -> None:
        day = datetime.fromtimestamp(burst.last_at / 1000, UTC).date()
        searches, misses = counts.get((burst.domain, day, burst.query), (0, 0))
        counts[(burst.domain, day, burst.query)] = (searches + 1,
                                                    misses + (not burst.found))

    burst: IntentPart | None = None
    for part in sorted(parts, key=lambda p: (p.visitor, p.first_at)):
        if burst is not None and part.visitor == burst.visitor \
                and part.domain == burst.domain and part.first_at - burst.last_at < pause \
                and continues(burst.query, part.first_query):
            if part.last_at > burst.last_at:
                burst.last_at, burst.query, burst.found = part.last_at, part.query, part.found
            continue
        if burst is not None:
            count(burst)
        burst = IntentPart(part.visitor, part.first_at, part.last_at, part.domain,
                           part.first_query, part.query, part.found)
    if burst is not None:
        count(burst)
    return counts


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


MAX_PENDING_CLICK_BYTES = 1024 * 1024
CLICK_ENTRY_BYTES = 400
"""What a waiting click costs besides its text: the Click object, its fingerprint and
date, the dict entry (measured with tracemalloc, rounded up)."""


class ClickCounter:
    """Clicks on results, kept in memory and written to the store in batches, as the
    search counters are, and the click ranking kept up to date.

    Bounded in bytes: past ``max_pending_bytes`` of waiting clicks, further ones
    are dropped (and counted in a metric) until the next flush. A click is
    identified by a fingerprint of the client's address, domain, URL and UTC day:
    one address adds at most one click to a title a day, whatever query it names
    (one that changes ``q`` with every click once moved any title), in this worker
    (here) and across workers (the store's clicks_seen table)."""

    def __init__(self, store: Store, flush_seconds: float, refresh_seconds: float,
                 max_pending_bytes: int = MAX_PENDING_CLICK_BYTES) -> None:
        self.store = store
        self.flush_seconds = flush_seconds
        self.refresh_seconds = refresh_seconds
        # A click waits up to a flush interval before another worker's copy of it
        # meets its fingerprint: keep fingerprints that long past their day.
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
        """A click on ``url``, a result of ``query`` (folded words), by ``client``."""
        now = time.time()
        day = datetime.fromtimestamp(now, UTC).date()
        fingerprint = hashlib.blake2b(
            "\0".join((day.isoformat(), client, domain, url)).encode("utf-8", "replace"),
            digest_size=16).hexdigest()
        if fingerprint in self._pending:
            return
        size = CLICK_ENTRY_BYTES + sys.getsizeof(query) + sys.getsizeof(url)
        if self.pending_bytes + size > self.max_pending_bytes:
            self.dropped += 1
            CLICKS_DROPPED.inc()
            return
        self._pending[fingerprint] = Click(fingerprint, int(now // 60), domain, day, url, query)
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
            await self.store.prune_clicks(self._prune_before(), self._fingerprints_from())

    def _fingerprints_from(self) -> int:
        """The first minute whose fingerprints are kept: today's, and yesterday's last
        ones while another worker may still be writing yesterday's clicks."""
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return int(today.timestamp() // 60) - self._fingerprint_minutes

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
