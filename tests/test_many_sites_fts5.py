"""Many sites in one file (issue 24): a domain that FTS5 answers (outside the in-memory
index) costs the same whether the file holds it alone or beside many other domains.

What a search costs is measured as the bytes SQLite reads from the file: the search runs
on a new connection (an empty page cache) and without mmap (embedded/database.py), so every
page it touches is one pread, which /proc/self/io counts in `rchar`. That is the work
itself, not a time, so the test holds on a loaded machine. Before per-domain words, the
first typo search of a letter listed the whole file's words of that letter (fts5vocab),
and a query word longer than FTS5's prefix index merged every domain's matching words.
"""

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from core.engine import SearchQuery, SearchResult
from core.store import Document
from embedded.database import SqliteDatabase
from embedded.engine import Fts5Engine
from embedded.store import SqliteStore

pytestmark = pytest.mark.skipif(not Path("/proc/self/io").exists(),
                                reason="counts the bytes read in /proc/self/io (Linux)")

SITE = "site.example"
OTHER_DOMAINS = 24
OTHER_TITLES = 400
QUERIES = [
    ("libary",),              # a typo: corrections from the domain's words of "l"
    ("library", "zzq"),       # a word beyond the prefix index, and one that matches nothing
    ("developm",),            # a prefix beyond the prefix index, found
    ("developer", "ntoes"),   # two words, one mistyped: the typo path
]


def site_titles() -> list[Document]:
    fixed = ["Python library for testing", "Library of parsers", "Development tools",
             "Developer notes", "Lambda calculus", "Linear algebra library"]
    return ([Document(f"/{n}", title, popularity=n) for n, title in enumerate(fixed)]
            + [Document(f"/item{n}", f"Item {n} notes about lists") for n in range(200)])


def other_titles(domain: int) -> list[Document]:
    """Words that share the site's beginnings, many of them each site's own."""
    return [Document(f"/{n}", f"library{domain}v{n} librarian{n} development{domain}x{n}"
                              f" developer{n} l{domain}w{n}q lists{domain}k{n}")
            for n in range(OTHER_TITLES)]


async def make_file(path: Path, others: int) -> None:
    db = SqliteDatabase(path)
    store = SqliteStore(db)
    await store.migrate()
    await store.upsert(SITE, site_titles())
    for domain in range(others):
        await store.upsert(f"other{domain}.example", other_titles(domain))
    await store.close()


def bytes_read() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


async def on_new_engine(path: Path, search: Callable[[Fts5Engine], Awaitable[SearchResult]]
                        ) -> tuple[SearchResult, int]:
    """One search by FTS5 alone on a new connection, and the bytes it read."""
    db = SqliteDatabase(path)
    engine = Fts5Engine(db, memory_budget_bytes=0)
    try:
        engine.generation(SITE)  # opens the connection, reads the schema
        before = bytes_read()
        result = await search(engine)
        return result, bytes_read() - before
    finally:
        db.close()


def costs(path: Path) -> dict[tuple[str, ...], tuple[SearchResult, int]]:
    async def run() -> dict[tuple[str, ...], tuple[SearchResult, int]]:
        found = {}
        for words in QUERIES:
            found[words] = await on_new_engine(
                path, lambda engine, words=words: engine.search(SearchQuery(SITE, words)))
        return found

    return asyncio.run(run())


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    alone, crowded = (tmp_path_factory.mktemp("alone") / "alone.db",
                      tmp_path_factory.mktemp("crowded") / "crowded.db")
    asyncio.run(make_file(alone, 0))
    asyncio.run(make_file(crowded, OTHER_DOMAINS))
    asyncio.run(on_new_engine(alone, lambda engine: engine.search(
        SearchQuery(SITE, ("warm", "libary")))))  # imports and first-use work, unmeasured
    return alone, crowded


def test_a_domain_costs_the_same_beside_many_others(files: tuple[Path, Path]) -> None:
    alone, crowded = costs(files[0]), costs(files[1])
    for words in QUERIES:
        (expected, alone_bytes), (found, crowded_bytes) = alone[words], crowded[words]
        assert [hit.url for hit in found.hits] == [hit.url for hit in expected.hits], words
        assert found.terms == expected.terms, words
        # The other domains make the file's b-trees a level deeper, not more.
        assert crowded_bytes <= 2 * alone_bytes + 64 * 1024, (words, alone_bytes,
                                                              crowded_bytes)


def test_the_answers_are_the_sites_own(files: tuple[Path, Path]) -> None:
    found = {words: result for words, (result, _bytes) in costs(files[1]).items()}
    assert found[("libary",)].terms == ["libary", "library"]
    assert [hit.url for hit in found[("libary",)].hits] == ["/5", "/1", "/0"]
    assert [hit.url for hit in found[("library", "zzq")].hits] == ["/5", "/1", "/0"]
    assert [hit.url for hit in found[("developm",)].hits] == ["/2"]
    assert found[("developer", "ntoes")].terms == ["developer", "ntoes", "notes"]
    assert [hit.url for hit in found[("developer", "ntoes")].hits] == ["/3"]


def test_the_file_holds_each_domains_words(files: tuple[Path, Path]) -> None:
    conn = sqlite3.connect(files[1])
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 8
    finally:
        conn.close()
