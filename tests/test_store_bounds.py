"""What the stores write, on real databases: query analytics stay bounded per domain
and day, and a change that changes nothing writes nothing (issue 12 items 4, 13)."""

import asyncio
import tracemalloc
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.counters import QUERY_RETENTION_DAYS, ClickCounter, FetchCounter, window_start
from core.sql import MAX_CLICK_ROWS_PER_DAY, MAX_QUERIES_PER_DAY, OTHER_QUERIES
from core.store import Click, Document, Store
from embedded.database import SqliteDatabase
from embedded.store import SqliteStore

Run = Callable[[Callable[[Store], Coroutine[Any, Any, None]]], None]


@pytest.fixture(params=["embedded", pytest.param("scaled", marks=pytest.mark.scaled)])
def with_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Run]:
    """Runs a coroutine against a migrated store of the setup, on a fresh database."""
    if request.param == "embedded":
        def make() -> Store:
            return SqliteStore(SqliteDatabase(tmp_path / "bounds.db"))
        cleanup: Callable[[], None] = lambda: None  # noqa: E731
    else:
        from scaled_setup.support import create_database, drop_database, require_services

        from scaled.store import PostgresStore

        base, _search = require_services()
        url = create_database(base)

        def make() -> Store:
            return PostgresStore(url)
        cleanup = lambda: drop_database(url, base)  # noqa: E731

    def run(work: Callable[[Store], Coroutine[Any, Any, None]]) -> None:
        async def go() -> None:
            store = make()
            try:
                await store.migrate()
                await work(store)
            finally:
                await store.close()

        asyncio.run(go())

    yield run
    cleanup()


async def stored_queries(store: Store, domain: str) -> list[tuple[str, int]]:
    rows = await store._fetch(  # type: ignore[attr-defined]
        "SELECT q.query, q.searches FROM query_counts q JOIN domains d ON d.id = q.domain_id"
        " WHERE d.name = ? ORDER BY q.query", domain)
    return [(query, searches) for query, searches in rows]


def test_query_counts_are_bounded_per_domain_and_day(with_store):
    today = datetime.now(UTC).date()
    flood = MAX_QUERIES_PER_DAY + 200

    async def work(store: Store) -> None:
        await store.create_key("flood.example")
        await store.create_key("quiet.example")
        await store.add_queries({("flood.example", today, "kept"): (5, 0)})
        # Two flushes, as from two workers: the bound holds across them.
        for part in range(2):
            await store.add_queries({("flood.example", today, f"random {part} {i}"): (1, 1)
                                     for i in range(flood // 2)})
        await store.add_queries({("flood.example", today, "kept"): (2, 0),
                                 ("quiet.example", today, "fine"): (1, 0)})
        rows = await stored_queries(store, "flood.example")
        assert len(rows) == MAX_QUERIES_PER_DAY
        counted = dict(rows)
        assert counted["kept"] == 7  # a query stored before the bound keeps counting
        # Nothing is lost from the day's total: the rest is one "other" row.
        assert sum(counted.values()) == 7 + flood
        assert counted[OTHER_QUERIES] == flood - (MAX_QUERIES_PER_DAY - 2)
        top = await store.top_queries("flood.example", today, 3)
        assert top.queries[0] == ("kept", 7)
        assert OTHER_QUERIES not in [query for query, _n in top.queries + top.misses]
        assert await stored_queries(store, "quiet.example") == [("fine", 1)]

    with_store(work)


def test_once_a_day_is_full_a_workers_new_queries_are_counted_as_other_not_dropped(with_store):
    async def work(store: Store) -> None:
        await store.create_key("flood.example")
        counter = FetchCounter(store, max_pending_queries=100)
        for i in range(MAX_QUERIES_PER_DAY):
            counter.record("flood.example", f"query {i}")
            if i % 100 == 99:  # flushes keep the pending queries under their cap
                await counter.flush()
        await counter.flush()
        # Full now, and known to be: a flood of new queries waits as one "other" count.
        for i in range(5 * counter.max_pending_queries):
            counter.record("flood.example", f"new {i}")
        counter.record("flood.example", "query 7")
        assert counter.dropped == 0
        await counter.flush()
        counted = dict(await stored_queries(store, "flood.example"))
        assert len(counted) == MAX_QUERIES_PER_DAY
        assert counted["query 7"] == 2
        assert sum(counted.values()) == MAX_QUERIES_PER_DAY + 5 * 100 + 1
        assert not any(query.startswith("new ") for query in counted)

    with_store(work)


async def documents_of(store: Store, domain: str) -> AsyncIterator[Document]:
    async for document in store.documents(domain):
        yield document


def test_deleting_nothing_writes_nothing(with_store, tmp_path):
    async def work(store: Store) -> None:
        await store.create_key("empty.example")
        await store.upsert("kept.example", [Document("/a", "Kept")])
        before = await changes(store)
        assert not await store.delete("kept.example", "/no-such-url")
        assert await store.flush("empty.example") == 0
        assert not await store.delete("no-such-domain.example", "/a")
        assert await store.flush("no-such-domain.example") == 0
        assert await changes(store) == before
        assert [d.url async for d in documents_of(store, "kept.example")] == ["/a"]

    with_store(work)


async def changes(store: Store) -> tuple[Any, ...]:
    """What a write leaves behind: the embedded store's generations (which invalidate
    cached answers), the scaled store's outbox (which the indexer sends on)."""
    if isinstance(store, SqliteStore):
        rows = await store._fetch("SELECT name, generation FROM domains ORDER BY name")
        return tuple(map(tuple, rows))
    depth, _oldest_age = await store.outbox_stats()  # type: ignore[attr-defined]
    return (depth,)


# -- clicks (issue 15, item 2) ----------------------------------------------------------


def click(n: int, day: date, url: str, query: str, minute: int = 1) -> Click:
    return Click(f"fingerprint {n} {day} {url} {query}", minute, "clicks.example", day, url,
                 query)


async def stored_clicks(store: Store) -> list[tuple[str, str, int]]:
    rows = await store._fetch(  # type: ignore[attr-defined]
        "SELECT url, query, clicks FROM click_counts ORDER BY url, query")
    return [(url, query, clicks) for url, query, clicks in rows]


def test_click_counts_are_bounded_per_domain_and_day(with_store):
    today = datetime.now(UTC).date()
    titles = 50
    flood = MAX_CLICK_ROWS_PER_DAY + 500

    async def work(store: Store) -> None:
        await store.upsert("clicks.example", [Document(f"/t{i}", f"Title {i}")
                                              for i in range(titles)])
        # Two batches, as from two workers: the bound holds across them.
        for part in range(2):
            await store.add_clicks([click(i, today, f"/t{i % titles}", f"q {part} {i}")
                                    for i in range(flood // 2)])
        rows = await stored_clicks(store)
        assert len(rows) <= MAX_CLICK_ROWS_PER_DAY + titles
        assert sum(n for _url, _query, n in rows) == flood  # none lost: past the bound
        assert {query for _u, query, _n in rows} >= {OTHER_QUERIES}  # under no query
        # Clicks on unknown URLs and clicks already counted (same fingerprint) add nothing.
        await store.add_clicks([click(1, today, "/unknown", "q"),
                                click(0, today, "/t0", "q 0 0")])
        assert sum(n for _url, _query, n in await stored_clicks(store)) == flood

    with_store(work)


def test_click_counts_and_fingerprints_past_their_time_are_pruned(with_store):
    today = datetime.now(UTC).date()
    old_day = today - timedelta(days=QUERY_RETENTION_DAYS + 5)

    async def work(store: Store) -> None:
        await store.upsert("clicks.example", [Document("/a", "A title")])
        await store.add_clicks([click(1, old_day, "/a", "old", minute=5),
                                click(2, today, "/a", "new", minute=10)])
        assert await store.prune_clicks(window_start(), before_minute=10) == 1
        assert await stored_clicks(store) == [("/a", "new", 1)]
        seen = await store._fetch("SELECT minute FROM clicks_seen")  # type: ignore[attr-defined]
        assert [minute for (minute,) in seen] == [10]
        # The ranking refresh sees the one click left in the window, and then nothing new.
        assert await store.refresh_click_ranking(window_start()) == 1
        assert await store.refresh_click_ranking(window_start()) == 0

    with_store(work)


def test_a_worker_holds_at_most_its_byte_budget_of_waiting_clicks():
    """A flood of distinct clicks between two flushes: the estimate each waiting click is
    charged is at least what it really takes (tracemalloc), and the total stays under
    the budget; the rest is dropped and counted."""
    budget = 256 * 1024
    counter = ClickCounter(store=None, flush_seconds=5, refresh_seconds=60,  # type: ignore[arg-type]
                           max_pending_bytes=budget)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(10_000):
            counter.record("203.0.113.9", "clicks.example", f"query number {i}",
                           f"https://clicks.example/page/{i}")
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert counter.pending_bytes <= budget
    assert held <= counter.pending_bytes
    assert counter.dropped > 0
    assert counter.dropped + len(counter._pending) == 10_000


def test_a_title_whose_clicks_leave_the_window_falls_back_to_its_popularity(with_store):
    today = datetime.now(UTC).date()

    async def ranking(store: Store) -> tuple[float, float, int]:
        rows = await store._fetch(  # type: ignore[attr-defined]
            "SELECT popularity, ranking, clicks FROM documents WHERE url = '/a'")
        return tuple(rows[0])

    async def work(store: Store) -> None:
        await store.upsert("clicks.example", [Document("/a", "A title", popularity=4)])
        await store.add_clicks([click(n, today, "/a", f"q {n}") for n in range(10)])
        assert await store.refresh_click_ranking(today) == 1
        assert await ranking(store) == (4.0, 4.0 + 0.25 * 4 * 10 / 20, 10)  # ranking_value
        # The window moves past today: the title's clicks are gone from it.
        assert await store.refresh_click_ranking(today + timedelta(days=1)) == 1
        assert await ranking(store) == (4.0, 4.0, 0)
        assert await store.refresh_click_ranking(today + timedelta(days=1)) == 0

    with_store(work)
