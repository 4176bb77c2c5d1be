"""The FTS5 path's typo vocabulary (`embedded.fts5_vocabulary.Vocabulary`) stays within its
bytes however many first letters strangers type: each CJK letter is a key of its own."""

import asyncio
import tracemalloc

from core.store import Document
from embedded.database import SqliteDatabase
from embedded.fts5_vocabulary import Vocabulary
from embedded.store import SqliteStore

LETTERS = [chr(0x4E00 + number) for number in range(400)]


def test_the_vocabulary_cache_stays_within_its_bytes(tmp_path):
    async def run() -> tuple[int, int, list[str]]:
        db = SqliteDatabase(tmp_path / "cjk.db")
        store = SqliteStore(db)
        await store.migrate()
        # Words of four letters each, every one starting with another letter.
        await store.upsert("cjk.example", [
            Document(f"/{n}", " ".join(letter * 4 + str(k) for k in range(40)))
            for n, letter in enumerate(LETTERS)])
        vocabulary = Vocabulary(limit_bytes=64 * 1024)
        tracemalloc.start()
        try:
            def look(conn):
                found = []
                for letter in LETTERS:
                    # A typo (one letter swapped in), so forms are made for it.
                    fixes = vocabulary.corrections(conn, (letter * 3 + "x0",), 1, ("",))
                    found += fixes.get(letter * 3 + "x0", [])
                return found

            found = db.read_inline(look)
            _now, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            await store.close()
        return vocabulary.cache.size, peak, found

    size, peak, found = asyncio.run(run())
    assert size <= 64 * 1024
    assert peak < 4 * 1024 * 1024
    # Still right, bound or not: each typo corrected from its own letter's words.
    assert found[:2] == [LETTERS[0] * 4 + "0", LETTERS[1] * 4 + "0"]
