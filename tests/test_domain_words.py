"""`domain_words` (embedded/domain_words.py) holds, after any writes, exactly the words
the FTS5 index holds of each domain and group, with the number of titles that have each."""

import asyncio
import random
import sqlite3
from pathlib import Path

from core.engine import SearchQuery
from core.store import Document
from embedded.database import SqliteDatabase
from embedded.domain_words import FILL_FROM_INDEX
from embedded.engine import Fts5Engine
from embedded.store import SqliteStore

WORDS = ["Python", "library", "Librarian", "Node.js", "Spider-Man", "Café", "naïve",
         "Straße", "ǅemal", "東京", "ﬁle", "x²", "e-mail", "docs", "DOCUMENTATION", "हिन्दी",
         "العربية", "Ελληνικά", "ᾅδης", "Ǿre"]
GROUPS = ["", "", "staff", "beta"]


def table(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("SELECT domain_id, grp, word, titles FROM domain_words"
                        " ORDER BY 1, 2, 3").fetchall()


def from_the_index(path: Path) -> list[tuple]:
    """What the migration makes of the FTS5 index, in a copy of the file."""
    copy = sqlite3.connect(":memory:")
    sqlite3.connect(path).backup(copy)
    copy.execute("DELETE FROM domain_words")
    copy.executescript(FILL_FROM_INDEX)
    return table(copy)


def test_the_words_follow_every_kind_of_write(tmp_path: Path) -> None:
    rng = random.Random(24)
    path = tmp_path / "words.db"

    def title() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 5)))

    async def run() -> None:
        db = SqliteDatabase(path)
        store = SqliteStore(db)
        await store.migrate()
        try:
            for step in range(40):
                domain = rng.choice(["a.example", "b.example"])
                kind = rng.random()
                if kind < 0.6:  # new titles, and titles sent again in another group
                    await store.upsert(domain, [
                        Document(f"/{rng.randrange(30)}", title(), rng.choice(GROUPS))
                        for _ in range(rng.randint(1, 12))])
                elif kind < 0.9:
                    await store.delete(domain, f"/{rng.randrange(30)}")
                elif step % 3 == 0:
                    await store.flush(domain)
        finally:
            await store.close()

    asyncio.run(run())
    conn = sqlite3.connect(path)
    kept = table(conn)
    conn.close()
    assert kept == from_the_index(path)
    assert all(titles > 0 for *_key, titles in kept)
    assert {word for _d, _g, word, _t in kept} >= {"python", "nodejs", "cafe"}


def test_a_version_7_file_gains_its_words_and_corrects_from_them(tmp_path: Path) -> None:
    """Version 7 had no domain_words: the migration makes it from the FTS5 index."""
    path = tmp_path / "v7.db"

    async def write() -> None:
        store = SqliteStore(SqliteDatabase(path))
        await store.migrate()
        await store.upsert("old.example", [Document("/p", "Python library"),
                                           Document("/s", "Staff notes", "staff")])
        await store.upsert("other.example", [Document("/l", "Librarian's lounge")])
        await store.close()

    asyncio.run(write())
    conn = sqlite3.connect(path)
    expected = table(conn)
    conn.executescript("DROP TABLE domain_words; PRAGMA user_version = 7;")
    conn.close()

    async def search() -> list[list[str]]:
        db = SqliteDatabase(path)
        store, engine = SqliteStore(db), Fts5Engine(db, memory_budget_bytes=0)
        try:
            await store.migrate()
            found = [await engine.search(SearchQuery("old.example", words))
                     for words in [("libary",), ("stfaf",), ("librria",)]]
            return [result.terms for result in found]
        finally:
            await store.close()

    terms = asyncio.run(search())
    conn = sqlite3.connect(path)
    assert table(conn) == expected
    assert conn.execute("PRAGMA user_version").fetchone() == (8,)
    conn.close()
    # Corrected from the domain's own words of the searched groups only.
    assert terms == [["libary", "library"], ["stfaf"], ["librria"]]
