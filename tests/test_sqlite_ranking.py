"""The embedded engine's rank keys: popularity order without sorting every match."""

import asyncio

import pytest

import embedded.store
from core.engine import SearchQuery
from core.store import Document
from embedded.database import SqliteDatabase
from embedded.engine import Fts5Engine
from embedded.rank_keys import popularity_key, rank_key
from embedded.store import SqliteStore


def test_popularity_key_sorts_the_most_popular_first():
    values = [1e30, 1e6, 1000.0, 3.5, 1.0, 0.0, -1.0, -1e9, -1e40]
    keys = [popularity_key(v) for v in values]
    assert keys == sorted(keys)


def test_rank_keys_group_a_domain_and_fit_in_sqlite_integers():
    assert rank_key(1, 1e40, 0) < rank_key(1, -1e40, 2**23 - 1) < rank_key(2, 1e40, 0)
    assert rank_key((1 << 20) - 1, -1e40, 2**23 - 1) < 2**63
    with pytest.raises(ValueError):
        rank_key(1 << 20, 0, 0)


def search(db_path, documents, q, n=10, writes=1):
    async def run():
        db = SqliteDatabase(db_path)
        st = SqliteStore(db)
        await st.migrate()
        for _ in range(writes):
            await st.upsert("a.example", documents)
        result = await Fts5Engine(db).search(SearchQuery("a.example", tuple(q.split()), n))
        await st.close()
        return [hit.title for hit in result.hits]

    return asyncio.run(run())


def test_close_popularities_are_ordered_exactly(tmp_path):
    # 1000.00 .. 1000.29 share rank-key buckets; the order must still be exact.
    documents = [Document(f"/{i}", f"Close {i}", popularity=1000 + i / 100) for i in range(30)]
    top_three = search(tmp_path / "a.db", documents, "close", n=3)
    assert top_three == ["Close 29", "Close 28", "Close 27"]


def test_equal_popularity_prefers_titles_starting_with_the_word_then_shorter(tmp_path):
    documents = [
        Document("/1", "A long title about apples"),
        Document("/2", "Apples and pears"),
        Document("/3", "Apples"),
    ]
    assert search(tmp_path / "a.db", documents, "appl") == [
        "Apples", "Apples and pears", "A long title about apples"]


def test_sequence_numbers_are_renumbered_when_used_up(tmp_path, monkeypatch):
    # A tiny sequence space (a limit, not a fake component) forces renumbering.
    monkeypatch.setattr(embedded.store, "MAX_SEQUENCE", 8)
    documents = [Document(f"/{i}", f"Renumbered {i}", popularity=i) for i in range(5)]
    titles = search(tmp_path / "a.db", documents, "renum", writes=4)
    assert titles == [f"Renumbered {i}" for i in reversed(range(5))]
