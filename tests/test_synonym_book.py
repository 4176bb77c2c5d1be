"""app/http/synonym_book.py: a worker reads a domain's synonyms from the store once per
generation (every search asks for them), again when the generation moves, and at once
after this worker changed them. The store is the real SQLite one; a subclass only
counts the reads."""

import asyncio

from app.http.synonym_book import SynonymBook
from embedded.database import SqliteDatabase
from embedded.store import SqliteStore


class CountingStore(SqliteStore):
    reads = 0

    async def domain_rules(self, domain: str, name: str) -> str | None:
        self.reads += 1
        return await super().domain_rules(domain, name)


def test_reads_once_per_generation_and_again_when_it_moves_or_is_forgotten(tmp_path):
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
            assert book.cached("site.example", 1) is rules
            await book.get(store, "site.example", 1)
            reads.append(store.reads)  # the same generation: 1 read
            assert book.cached("site.example", 2) is None
            await book.get(store, "site.example", 2)
            reads.append(store.reads)  # the generation moved: read again
            book.forget("site.example")
            await book.get(store, "site.example", 2)
            reads.append(store.reads)  # this worker changed them: read at once
            return reads
        finally:
            await store.close()

    assert asyncio.run(run()) == [1, 2, 3]
