"""A miss whose words are all common costs few FTS5 walks (issue 24, many sites).

On a domain answered by FTS5 (outside the in-memory index), a two-word query whose words
each match many titles but no title has both ("alpha beta" below) made FTS5 walk both
words' doclists to the end three times: the phrase, the words in any order (tiers 1
and 2), then `leading_match`'s look for both words. Now the exact step's finding
nothing is noted for the domain's generation, so `leading_match` does not look again;
and a common word met in such a miss again has its titles read once as a set
(`embedded.fts5_shortcuts.TitleBits`), so later misses with it walk nothing. The statements are
counted with `set_trace_callback` on the engine's own connection (a real SQLite file);
the answers are compared with the FTS5 path's with those shortcuts turned off.
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from memory_engines import write_domains

import embedded.fts5_shortcuts as shortcuts_module
from core.engine import SearchQuery, SearchResult
from core.store import Document
from core.text import search_text
from embedded.database import SqliteDatabase
from embedded.domain_words import _TOKENS, token_sequence
from embedded.engine import Fts5Engine
from embedded.store import SqliteStore

SITE = "site.example"


def titles() -> list[Document]:
    # Both words more common than RARE_TITLES, never in one public title.
    alpha = [Document(f"/alpha{n}", f"Alpha tool number {n}", popularity=n % 5)
             for n in range(300)]
    beta = [Document(f"/beta{n}", f"Beta widget number {n}", popularity=n % 3)
            for n in range(300)]
    delta = [Document(f"/delta{n}", f"Delta gizmo {n}") for n in range(30)]
    others = [*delta, Document("/staff", "Alpha beta staff notes", group="staff"),
              Document("/gamma", "Gamma alpha", popularity=7),
              Document("/node", "Node.js alpha streams")]
    return alpha + beta + others


@pytest.fixture
def database(tmp_path: Path) -> Path:
    # Other domains with the same words: the searched one must be told apart.
    return write_domains(tmp_path / "common.db", {
        SITE: titles(), **{f"other{other}.example": titles() for other in range(2)}})


@contextmanager
def engine_on(path: Path) -> Iterator[tuple[Fts5Engine, list[str]]]:
    """An engine answering by FTS5 alone, and the top-level statements it runs."""
    db = SqliteDatabase(path)
    engine = Fts5Engine(db, memory_budget_bytes=0)
    statements: list[str] = []
    try:
        engine.generation(SITE)
        db.read_inline(lambda conn: conn).set_trace_callback(statements.append)
        yield engine, statements
    finally:
        db.close()


def search(engine: Fts5Engine, words: tuple[str, ...], groups: tuple[str, ...] = ()
           ) -> SearchResult:
    return asyncio.run(engine.search(SearchQuery(SITE, words, 10, groups)))


def walks_of_both(statements: list[str], first: str = "alpha", second: str = "beta"
                  ) -> list[str]:
    """The FTS5 statements that read both words' doclists (FTS5's own statements on its
    shadow tables start with "--")."""
    return [sql for sql in statements if not sql.startswith("--") and "MATCH" in sql
            and f'"{first}"' in sql and f'"{second}"' in sql]


def test_a_miss_of_two_common_words_walks_them_once(database: Path) -> None:
    with engine_on(database) as (engine, statements):
        result = search(engine, ("alpha", "beta"))
    assert result.tier == "fewer words" and result.terms == ["alpha"]
    # Was 3: the phrase, the words in any order, and leading_match's look. Now the
    # titles with both (few are expected: 300 each of 600) are read in one walk.
    assert len(walks_of_both(statements)) == 1, walks_of_both(statements)


def test_common_words_expected_together_are_left_to_fts5(
        database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Many titles expected with both: tiers 1 and 2 walk them (a hit stops early), and
    # leading_match reads what they learnt.
    monkeypatch.setattr(shortcuts_module, "FEW_EXPECTED", 1)
    with engine_on(database) as (engine, statements):
        result = search(engine, ("alpha", "beta"))
    assert result.tier == "fewer words"
    assert len(walks_of_both(statements)) == 2, walks_of_both(statements)


def test_a_miss_of_common_words_met_again_walks_none(database: Path) -> None:
    with engine_on(database) as (engine, statements):
        first = search(engine, ("tool", "widget"))
        search(engine, ("tool", "widget"))  # met again: their titles are read
        statements.clear()
        again = search(engine, ("widget", "tool"))
    assert first.tier == "fewer words" and first.terms == ["tool"]
    assert again.tier == "fewer words" and again.terms == ["widget"]
    # Was 3 statements walking both words, each time.
    assert walks_of_both(statements, "tool", "widget") == [], statements


def test_a_private_title_with_both_words_leaves_it_to_fts5(database: Path) -> None:
    # "Alpha beta staff notes" is in a group not searched: the title sets, which hold
    # every group's titles, cannot tell, and FTS5 answers (the same walk as the first
    # miss, with no look of leading_match).
    with engine_on(database) as (engine, statements):
        for _round in range(2):
            search(engine, ("alpha", "beta"))
        statements.clear()
        again = search(engine, ("alpha", "beta"))
    assert again.tier == "fewer words"
    assert len(walks_of_both(statements)) == 1


def test_a_rare_word_beside_a_few_times_commoner_one_is_not_read_whole(database: Path
                                                                      ) -> None:
    # "delta" (30 titles) beside "widget" (300): one walk of both doclists reads only
    # the titles with both, where reading delta's titles with their text cost more.
    with engine_on(database) as (engine, statements):
        result = search(engine, ("delta", "widget"))
    assert result.tier == "fewer words" and result.terms == ["delta"]
    read_alone = [sql for sql in statements if "MATCH '\"delta\"*' AND" in sql]
    # Was no walk: delta's titles read whole with their text ("delta"* alone), widget
    # tested in Python. Now one walk, and "delta"* alone only for the first word's step.
    assert len(walks_of_both(statements, "delta", "widget")) == 1, statements
    assert len(read_alone) == 1, read_alone


QUERIES = [("alpha", "beta"), ("delta", "widget"), ("widget", "delta"), ("beta", "alpha"),
           ("alpha", "be"), ("alp", "beta", "number"),
           ("alpha", "number"), ("widget", "tool"), ("gamma", "beta"), ("beta", "widget"),
           ("alpha", "staff"), ("node", "beta"), ("nodejs", "alpha"), ("alpha",)]


def answers(path: Path, groups: tuple[str, ...], rounds: int = 3
            ) -> list[tuple[list[str], list[str], str]]:
    """Every query asked ``rounds`` times of one engine: the later rounds answer from
    what the first ones read."""
    with engine_on(path) as (engine, _statements):
        return [([hit.url for hit in result.hits], result.terms, result.tier)
                for _round in range(rounds) for words in QUERIES
                for result in [search(engine, words, groups)]]


@pytest.mark.parametrize("groups", [(), ("staff",)])
def test_the_answers_are_those_of_fts5(database: Path, groups: tuple[str, ...],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    found = answers(database, groups)
    # The private title has both words: with it searched, "alpha beta" finds it.
    assert groups != ("staff",) or found[0][0] == ["/staff"]
    monkeypatch.setattr(shortcuts_module, "RARE_TITLES", 0)
    monkeypatch.setattr(shortcuts_module, "STEP_BITS_TITLES", -2)
    monkeypatch.setattr(shortcuts_module, "COMMON_BITS_TITLES", -2)
    monkeypatch.setattr(shortcuts_module, "FEW_EXPECTED", 0)
    assert found == answers(database, groups, rounds=1) * 3


def test_what_a_miss_learnt_follows_a_write(database: Path) -> None:
    async def write() -> None:
        store = SqliteStore(SqliteDatabase(database))
        try:
            await store.upsert(SITE, [Document("/both", "Alpha beta together", popularity=50)])
        finally:
            await store.close()

    with engine_on(database) as (engine, _statements):
        for _round in range(3):
            assert search(engine, ("alpha", "beta")).tier == "fewer words"
        assert search(engine, ("alpha",)).hits[0].url == "/gamma"
        asyncio.run(write())
        found = search(engine, ("alpha", "beta"))
        assert (found.tier, [hit.url for hit in found.hits]) == ("exact", ["/both"])
        assert search(engine, ("alpha",)).hits[0].url == "/both"


def test_the_title_sets_stay_within_their_bytes(database: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shortcuts_module, "WORDS_CACHE_BYTES", 16384)
    with engine_on(database) as (engine, _statements):
        for words in [("alpha", "beta"), ("beta", "alpha"), ("widget", "tool"),
                      ("tool", "widget")] * 2:
            search(engine, words)
        assert 0 < engine._words_cache.size <= 16384


def test_a_titles_tokens_are_those_of_fts5() -> None:
    texts = [search_text(title) for title in (
        "Node.js streams", "Café au lait", "The Amazing Spider-Man", "snake_case x",
        "Ünïcödé 42", "", "plain words only", "re.compile and e-mail")]
    for text in texts:
        words = text.split()
        tokens = _TOKENS.of(set(words))  # FTS5's own tokenizer, word by word
        assert token_sequence(text) == [token for word in words for token in tokens[word]]
