"""A miss on the FTS5 path costs few statements (issue 24, many sites).

A domain outside the in-memory index is answered by FTS5. A two-word query whose words
each match but no title has both ("gnome sx") used to cost 14 SQLite statements, five
of them FTS5 walks of both words' doclists (the phrase, the words in any order, two
looks for the leading words, then the first word alone). Now a word that few titles
have is read once and the other words are tested in Python (`embedded.fts5_shortcuts.RareRows`),
and the domain's words say that one word alone matches. The statements are counted with
`set_trace_callback` on the engine's own connection (a real SQLite file); the answers
are compared with the FTS5 path's, the rare-word path turned off (RARE_TITLES = 0).
"""

import asyncio
from pathlib import Path

import pytest
from memory_engines import write_domains

import embedded.fts5_shortcuts as shortcuts_module
from core.engine import SearchQuery, SearchResult
from core.store import Document
from embedded.database import SqliteDatabase
from embedded.engine import Fts5Engine
from embedded.store import SqliteStore

SITE = "site.example"


def titles() -> list[Document]:
    common = [Document(f"/gnome{n}", f"Gnome applet number {n} for the panel", popularity=n % 7)
              for n in range(300)]
    rare = [Document("/sx1", "Sxiv image viewer", popularity=3),
            Document("/sx2", "The sx toolkit for gnome panels", group="staff"),
            Document("/node", "Node.js streams for the panel"),
            Document("/cafe", "Café au lait: a gnome recipe", popularity=2),
            Document("/spider", "The Amazing Spider-Man"),
            Document("/python", "Python testing tools", popularity=9),
            Document("/testing", "Testing with Python", popularity=8)]
    return common + rare


@pytest.fixture
def database(tmp_path: Path) -> Path:
    # Other domains with the same words: the searched one must be told apart.
    return write_domains(tmp_path / "many.db", {
        SITE: titles(), **{f"other{other}.example": titles() for other in range(3)}})


def search_counting(path: Path, words: tuple[str, ...], groups: tuple[str, ...] = ()
                    ) -> tuple[SearchResult, list[str]]:
    """One search by FTS5 alone, and the top-level statements it ran."""
    async def run() -> tuple[SearchResult, list[str]]:
        db = SqliteDatabase(path)
        engine = Fts5Engine(db, memory_budget_bytes=0)
        try:
            engine.generation(SITE)
            statements: list[str] = []
            conn = db.read_inline(lambda conn: conn)
            conn.set_trace_callback(statements.append)
            result = await engine.search(SearchQuery(SITE, words, 10, groups))
            conn.set_trace_callback(None)
            # FTS5's own statements on its shadow tables start with "--".
            return result, [sql for sql in statements if not sql.startswith("--")]
        finally:
            db.close()

    return asyncio.run(run())


def matching(statements: list[str]) -> list[str]:
    return [sql for sql in statements if "MATCH" in sql]


def test_a_two_word_miss_costs_few_statements(database: Path) -> None:
    result, statements = search_counting(database, ("gnome", "sx"))
    assert result.tier == "fewer words"
    assert len(result.hits) == 10 and result.terms == ["gnome"]
    # Was 5 FTS5 statements and 14 in all.
    assert len(matching(statements)) <= 2, statements
    assert len(statements) <= 8, statements  # the domain's id the first time


def test_a_typo_beside_a_word_costs_few_statements(database: Path) -> None:
    result, statements = search_counting(database, ("gnome", "aplet"))
    assert result.tier == "corrected"
    assert "applet" in result.terms
    assert len(matching(statements)) <= 2, statements


QUERIES = [("gnome", "sx"), ("gnome", "applet"), ("applet", "gnome"), ("gnome", "aplet"),
           ("sx", "gnome"), ("sx", "toolkit"), ("cafe", "gnome"), ("caf", "au"),
           ("node", "js"), ("nodejs",), ("spider", "man"), ("python", "testing"),
           ("testing", "python"), ("panel", "zzz"), ("tetsing", "python"), ("sxiv", "gnom"),
           ("number", "12"), ("the", "panel"), ("lait", "recipe", "gnome"), ("gnome",)]


@pytest.mark.parametrize("groups", [(), ("staff",)])
def test_the_answers_are_those_of_fts5(database: Path, groups: tuple[str, ...],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    found = {words: search_counting(database, words, groups)[0] for words in QUERIES}
    # FTS5 alone: no rare word's titles, no title sets, no titles of words together.
    monkeypatch.setattr(shortcuts_module, "RARE_TITLES", 0)
    monkeypatch.setattr(shortcuts_module, "STEP_BITS_TITLES", -2)
    monkeypatch.setattr(shortcuts_module, "COMMON_BITS_TITLES", -2)
    monkeypatch.setattr(shortcuts_module, "FEW_EXPECTED", 0)
    for words in QUERIES:
        expected = search_counting(database, words, groups)[0]
        assert [hit.url for hit in found[words].hits] == [hit.url for hit in expected.hits], words
        assert (found[words].terms, found[words].tier) == (expected.terms, expected.tier), words


def test_a_cached_rare_word_follows_a_write(database: Path) -> None:
    async def run() -> tuple[list[str], list[str]]:
        db = SqliteDatabase(database)
        engine = Fts5Engine(db, memory_budget_bytes=0)
        store = SqliteStore(SqliteDatabase(database))
        try:
            query = SearchQuery(SITE, ("sx", "viewer"), 10, ())
            before = [hit.url for hit in (await engine.search(query)).hits]
            await store.upsert(SITE, [Document("/sx3", "Sx photo viewer", popularity=50)])
            after = [hit.url for hit in (await engine.search(query)).hits]
            return before, after
        finally:
            await store.close()
            db.close()

    before, after = asyncio.run(run())
    assert before == ["/sx1"]
    assert after == ["/sx3", "/sx1"]


def test_the_cache_stays_within_its_bytes(database: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    monkeypatch.setattr(shortcuts_module, "SITE_CACHE_BYTES", 64 * 1024)

    async def run() -> int:
        db = SqliteDatabase(database)
        engine = Fts5Engine(db, memory_budget_bytes=0)
        try:
            for n in range(300):
                await engine.search(SearchQuery(SITE, ("gnome", str(n), "sx"), 10, ()))
            return engine._site_cache.size
        finally:
            db.close()

    assert 0 < asyncio.run(run()) <= 64 * 1024
