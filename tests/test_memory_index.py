"""embedded/memory.py: the in-memory indexes a worker keeps stay fresh (a write is
seen by the next search), stay within their memory budget (least recently used
out first, a domain too big left to FTS5) and are warmed before the first search.

Every test runs both paths over one real SQLite file (`memory_engines`): an engine
whose budget is 0 answers from FTS5 only; one with a budget answers from memory
once its domains are built, and the tests check that it did.
"""

import random
import string
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from memory_engines import (
    CHANGED_BY_FTS5,
    build,
    compare,
    documents_of,
    queries,
    widgets,
    with_engines,
)
from relevance.corpora import CORPORA

from core.engine import SearchQuery
from core.store import Document
from core.text import query_words
from embedded import memory as memory_module
from embedded.domain_index import DomainIndex
from embedded.engine import Fts5Engine
from embedded.loading import TooBig, load
from embedded.memory import MIN_ROW_BYTES, QUERY_CACHE_SHARE
from embedded.store import SqliteStore


def test_a_write_is_seen_by_the_next_search_and_the_index_then_rebuilt(tmp_path):
    async def test(store: SqliteStore, fts5_only: Fts5Engine, in_memory: Fts5Engine) -> None:
        in_memory.memory.build_pause = 0  # rebuild at once; the default spaces builds out
        assert await build(in_memory, "site")
        query = SearchQuery("site", ("widget",), 3)
        built = in_memory.memory.fresh("site", in_memory.generation("site"), query.words)
        await store.upsert("site", [Document("/new", "Widget brand new", popularity=100)])
        # The very next search sees the write: the index is stale, FTS5 answers.
        assert (await in_memory.search(query)).hits[0].url == "/new"
        await in_memory.memory.built("site")
        rebuilt = in_memory.memory.fresh("site", in_memory.generation("site"), query.words)
        assert rebuilt is not None and rebuilt is not built
        assert (await in_memory.search(query)).hits[0].url == "/new"
        await store.delete("site", "/new")
        assert "/new" not in [hit.url for hit in (await in_memory.search(query)).hits]
        await in_memory.memory.built("site")
        assert in_memory.memory.fresh("site", in_memory.generation("site"), query.words)
        assert await in_memory.search(query) == await fts5_only.search(query)

    with_engines(tmp_path / "fresh.db", {"site": widgets(300)}, test)


def test_a_domain_over_the_budget_is_served_by_fts5_with_the_same_answers(tmp_path):
    documents = documents_of(CORPORA["demo"].documents())

    async def test(_store: SqliteStore, fts5_only: Fts5Engine, in_memory: Fts5Engine) -> None:
        assert not await build(in_memory, "demo")
        assert in_memory.memory.nbytes == 0
        # Not built again until the domain changes.
        await in_memory.search(SearchQuery("demo", ("json",)))
        assert not in_memory.memory.building("demo")
        titles = [document.title for document in documents]
        await compare(fts5_only, in_memory, "demo", queries(titles, 200, seed=3), [()], seed=4)

    with_engines(tmp_path / "budget.db", {"demo": documents}, test, budget=256 * 1024)


def three_domains_room_for_two(tmp_path: Path) -> tuple[dict[str, list[Document]], int]:
    """Three domains of 400 titles, and a budget with room for two of their indexes
    (the budget's query-cache share apart)."""
    domains = {name: widgets(400, f"/{name}/") for name in ("a", "b", "c")}

    async def one_size(_store: SqliteStore, _fts5: Fts5Engine, in_memory: Fts5Engine) -> int:
        assert await build(in_memory, "a")
        return in_memory.memory.nbytes

    size = with_engines(tmp_path / "size.db", domains, one_size)
    return domains, int(2.5 * size * 8 / 7)


def test_the_least_recently_used_domain_is_evicted_to_stay_within_budget(tmp_path):
    domains, budget = three_domains_room_for_two(tmp_path)

    async def test(_store: SqliteStore, fts5_only: Fts5Engine, in_memory: Fts5Engine) -> None:
        assert await build(in_memory, "a")
        assert await build(in_memory, "b")
        await in_memory.search(SearchQuery("a", ("widget",)))  # a is used after b
        assert await build(in_memory, "c")
        kept = {name for name in domains
                if in_memory.memory.fresh(name, in_memory.generation(name), ("w",))}
        assert kept == {"a", "c"}
        assert in_memory.memory.nbytes <= in_memory.memory.budget
        query = SearchQuery("b", ("widget", "sprock"), 5)
        assert await in_memory.search(query) == await fts5_only.search(query)

    with_engines(tmp_path / "evict.db", domains, test, budget=budget)


def test_words_fts5_would_index_differently_are_left_to_fts5(tmp_path):
    odd = [*widgets(50), Document("/tai", f"Widget x{CHANGED_BY_FTS5}y")]

    async def test(_store: SqliteStore, fts5_only: Fts5Engine, in_memory: Fts5Engine) -> None:
        assert not await build(in_memory, "odd")
        assert await build(in_memory, "plain")
        assert not in_memory.memory.fresh("plain", in_memory.generation("plain"),
                                          (f"x{CHANGED_BY_FTS5}y",))
        for domain in ("odd", "plain"):
            for text in ("widget", f"x{CHANGED_BY_FTS5}y", "y", "x"):
                query = SearchQuery(domain, query_words(text))
                assert await in_memory.search(query) == await fts5_only.search(query)

    with_engines(tmp_path / "odd.db", {"odd": odd, "plain": widgets(50)}, test)


def test_the_memory_budget_comes_from_the_settings(tmp_path: Path) -> None:
    from app.shared.backends import open_backends
    from app.shared.settings import load_settings

    for budget in (0, 8 * 1024 * 1024):
        settings = load_settings(database_url=f"sqlite:///{tmp_path / 'm.db'}",
                                 memory_index_bytes=budget)
        engine = open_backends(settings).engine
        assert isinstance(engine, Fts5Engine)
        assert engine.memory.budget + engine.memory.cache.limit == budget


def test_warming_builds_the_most_searched_domains_that_fit_before_any_search(tmp_path):
    domains, budget = three_domains_room_for_two(tmp_path)

    async def test(store: SqliteStore, _fts5: Fts5Engine, in_memory: Fts5Engine) -> None:
        now = datetime.now(UTC)
        await store.add_fetches({("c", now.year, now.month): 9, ("a", now.year, now.month): 5})
        await in_memory.warm()
        assert not in_memory.memory.building("b")
        kept = {name for name in domains
                if in_memory.memory.fresh(name, in_memory.generation(name), ("w",))}
        assert kept == {"c", "a"}

    with_engines(tmp_path / "warm.db", domains, test, budget=budget)


def few_large_titles(count: int) -> list[Document]:
    """Titles as long as the API takes, with URLs as long: a few rows, many bytes."""
    rng = random.Random(11)
    return [Document(f"/{number}/" + "u" * 2000,
                     " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(9))
                              for _ in range(50)))
            for number in range(count)]


def test_an_index_over_the_budget_is_never_kept_even_with_few_rows(tmp_path, monkeypatch):
    big, small = few_large_titles(40), widgets(50)
    loaded: list[str] = []

    def load_and_record(*args: Any, **kwargs: Any) -> DomainIndex | TooBig | None:
        index = load(*args, **kwargs)
        loaded.append(type(index).__name__)
        return index

    async def sizes(_store: SqliteStore, _fts5: Fts5Engine, in_memory: Fts5Engine
                    ) -> tuple[int, int]:
        assert await build(in_memory, "small") and await build(in_memory, "big")
        index = in_memory.memory._indexes
        return index["small"].nbytes, index["big"].nbytes

    small_bytes, big_bytes = with_engines(tmp_path / "sizes.db", {"big": big, "small": small},
                                          sizes)
    budget = 2 * small_bytes  # for the indexes; the query caches get their share on top
    assert big_bytes > budget and len(big) < budget / MIN_ROW_BYTES  # counted, then read

    async def test(store: SqliteStore, fts5_only: Fts5Engine, in_memory: Fts5Engine) -> None:
        memory = in_memory.memory
        memory.build_pause = 0  # a refused domain would be rebuilt at once if it could be
        monkeypatch.setattr(memory_module, "load", load_and_record)
        assert await build(in_memory, "small")
        assert not await build(in_memory, "big")
        assert loaded == ["DomainIndex", "DomainIndex"]  # big was read, then refused
        assert memory.fresh("small", in_memory.generation("small"), ("w",))  # not evicted
        assert memory.nbytes <= memory.budget
        # Not read again until the domain changes.
        query = SearchQuery("big", (big[0].title.split()[0],))
        assert await in_memory.search(query) == await fts5_only.search(query)
        assert not memory.building("big") and len(loaded) == 2
        for write in range(2):  # each change: counted, and refused by the count alone
            await store.upsert("big", [Document(f"/new/{write}", "Another long title")])
            assert not await build(in_memory, "big")
            assert loaded[-1] == "TooBig", loaded
        assert loaded == ["DomainIndex", "DomainIndex", "TooBig", "TooBig"]
        assert memory.fresh("small", in_memory.generation("small"), ("w",))
        assert memory.nbytes <= memory.budget
        assert await in_memory.search(query) == await fts5_only.search(query)

    with_engines(tmp_path / "big.db", {"big": big, "small": small}, test,
                 budget=budget * QUERY_CACHE_SHARE // (QUERY_CACHE_SHARE - 1))
