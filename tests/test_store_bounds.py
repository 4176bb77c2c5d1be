"""What the stores write, on real databases: query analytics stay bounded per domain
and day, and a change that changes nothing writes nothing (issue 12 items 4, 13)."""

import asyncio
import tracemalloc
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.http.click_counter import ClickCounter
from app.http.search_counter import FetchCounter
from app.shared.analytics import QUERY_RETENTION_DAYS, window_start
from core.sql_statements import MAX_CLICK_ROWS_PER_DAY, MAX_QUERIES_PER_DAY, OTHER_QUERIES
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
        # A query first searched after the flood, and one counted before it.
        await store.add_queries({("flood.example", today, "kept"): (2, 0),
                                 ("flood.example", today, "late"): (3, 1),
                                 ("quiet.example", today, "fine"): (1, 0)})
        rows = await stored_queries(store, "flood.example")
        assert len(rows) == MAX_QUERIES_PER_DAY
        counted = dict(rows)
        assert counted["kept"] == 7  # never the least searched: never replaced
        # Space-Saving: the late query took a least searched row (1 or 2 searches) and
        # its count, so it shows at least its own; nothing is lost from the day's total.
        assert 3 + 1 <= counted["late"] <= 3 + 2
        assert sum(counted.values()) == 7 + 3 + flood
        assert OTHER_QUERIES not in counted
        top = await store.top_queries("flood.example", today, 3)
        assert top.queries[0] == ("kept", 7)
        assert top.queries[1][0] == "late"
        # Misses are the query's own since it has its row: a lower bound.
        assert ("late", 1) in top.misses
        assert await stored_queries(store, "quiet.example") == [("fine", 1)]

    with_store(work)


def test_a_workers_flood_of_new_queries_keeps_the_often_searched_one(with_store):
    """Past its cap of waiting queries a worker drops nothing of a domain it counts:
    a new query replaces the least searched one (issue 25, item 9)."""
    async def work(store: Store) -> None:
        await store.create_key("flood.example")
        counter = FetchCounter(store, max_pending_queries=100)
        for i in range(1100):
            counter.record("flood.example", f"junk {i}", found=False)
            if i % 37 == 0:
                counter.record("flood.example", "real query")
            if i % 500 == 499:
                await counter.flush()
        await counter.flush()
        assert counter.dropped == 0
        counted = dict(await stored_queries(store, "flood.example"))
        assert len(counted) <= MAX_QUERIES_PER_DAY
        assert sum(counted.values()) == 1100 + 30
        assert counted["real query"] >= 30
        since = datetime.now(UTC).date() - timedelta(days=1)  # whichever day it is
        top = await store.top_queries("flood.example", since, 1)
        assert top.queries[0][0] == "real query"

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


def test_a_querys_clicks_stay_shown_past_a_flood_and_titles_keep_all_theirs(with_store):
    """A full day of strangers' (title, query) pairs, one click each: a query clicked
    more often still gets its row, and every title keeps its every click (issue 25, 9)."""
    today = datetime.now(UTC).date()
    titles = 20

    async def work(store: Store) -> None:
        await store.upsert("clicks.example", [Document(f"/t{i}", f"Title {i}")
                                              for i in range(titles)])
        junk = [click(i, today, f"/t{i % titles}", f"junk {i}")
                for i in range(MAX_CLICK_ROWS_PER_DAY)]
        real = [click(10_000 + n, today, "/t0", "real") for n in range(3)]
        more_junk = [click(20_000 + i, today, f"/t{i % titles}", f"more junk {i}")
                     for i in range(500)]
        for batch in (junk, real[:1], real[1:], more_junk):
            await store.add_clicks(batch)
        rows = await stored_clicks(store)
        assert len(rows) <= MAX_CLICK_ROWS_PER_DAY + titles
        assert ("/t0", "real", 3) in rows
        assert await store.query_clicks("clicks.example", today, ["real"]) == {"real": 3}
        per_title = {f"/t{i}": 0 for i in range(titles)}
        for url, _query, n in rows:
            per_title[url] += n
        sent = [c.url for c in junk + real + more_junk]
        assert per_title == {url: sent.count(url) for url in per_title}

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
