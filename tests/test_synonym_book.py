"""app/http/synonym_book.py: a worker reads a domain's synonyms from the store once per
generation, and at most every MIN_READ_SECONDS however fast the generation moves (the
scaled engine's moves twice a second, and every search asks). The store is the real
SQLite one; a subclass only counts the reads."""

import asyncio

import pytest

from app.http import synonym_book
from app.http.synonym_book import MIN_READ_SECONDS, SynonymBook
from embedded.database import SqliteDatabase
from embedded.store import SqliteStore


class CountingStore(SqliteStore):
    reads = 0

    async def domain_rules(self, domain: str, name: str) -> str | None:
        self.reads += 1
        return await super().domain_rules(domain, name)


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(synonym_book.time, "monotonic", lambda: now[0])
    return now


def test_reads_once_per_generation_and_at_most_every_min_read_seconds(tmp_path, clock):
    async def run() -> list[int]:
        store = CountingStore(SqliteDatabase(tmp_path / "book.db"))
        await store.migrate()
        await store.create_key("site.example")
        await store.set_domain_rules("site.example", "synonyms",
                                     '{"synonyms": [["js", "javascript"]], "one_way": {}}')
        book = SynonymBook()
        reads = []
        try:
            rules = await book.get(store, "site.example", 1)
            assert rules.alternatives(("js",)) == {"js": ["javascript"]}
            await book.get(store, "site.example", 1)
            reads.append(store.reads)  # the same generation: 1 read
            clock[0] += MIN_READ_SECONDS / 2
            assert book.cached("site.example", 2) is rules
            reads.append(store.reads)  # a new generation, read half a gap ago: still 1
            clock[0] += MIN_READ_SECONDS
            assert book.cached("site.example", 3) is None
            await book.get(store, "site.example", 3)
            reads.append(store.reads)  # a gap later: read again
            book.forget("site.example")
            await book.get(store, "site.example", 3)
            reads.append(store.reads)  # this worker changed them: read at once
            return reads
        finally:
            await store.close()

    assert asyncio.run(run()) == [1, 1, 2, 3]
