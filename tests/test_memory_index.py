"""The embedded engine's in-memory indexes answer exactly as FTS5 does, stay fresh and
stay within their memory budget (embedded/memory.py).

Every test runs both paths over one real SQLite file: an engine whose budget is
0 answers from FTS5 only; one with a budget answers from memory once its
domains are built, and the tests check that it did.
"""

import asyncio
import random
import string
import sys
import tracemalloc
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from relevance.corpora import CORPORA

from core.engine import SearchQuery, SearchResult
from core.search import joined_forms, joined_readings
from core.store import Document
from core.text import query_words, words
from embedded import memory as memory_module
from embedded.database import SqliteDatabase
from embedded.engine import MAX_TIE_ROWS, SEQUENCE_BITS, Fts5Engine
from embedded.memory import (
    MIN_ROW_BYTES,
    QUERY_CACHE_SHARE,
    TOKENIZER,
    ByteBoundedCache,
    DomainIndex,
    QueryCaches,
    TooBig,
    load,
)
from embedded.store import SCHEMA, SqliteStore

T = TypeVar("T")
MiB = 1024 * 1024


def documents_of(items: Iterable[dict[str, Any]]) -> list[Document]:
    return [Document(item["url"], item["title"], item.get("group", ""),
                     float(item.get("popularity", 0))) for item in items]


def tie_heavy() -> list[Document]:
    """More equally popular titles than MAX_TIE_ROWS, in two groups, around a few popular ones."""
    rng = random.Random(7)
    nouns = ["widget", "gadget", "gizmo", "sprocket", "doohickey", "thingamajig"]
    documents = [
        Document(f"/same/{number}", f"{rng.choice(nouns).title()} {rng.choice(nouns)} "
                 f"number {number}{'!' * rng.randrange(3)}",
                 group="staff" if number % 5 == 0 else "")
        for number in range(3 * MAX_TIE_ROWS)
    ]
    documents += [Document(f"/popular/{number}", f"Popular widget {number}",
                           popularity=float(number % 4)) for number in range(40)]
    return documents


CORPUS_DOCUMENTS: dict[str, Callable[[], list[Document]]] = {
    name: (lambda corpus=corpus: documents_of(corpus.documents()))
    for name, corpus in CORPORA.items()
}
CORPUS_DOCUMENTS["ties"] = tie_heavy


def with_engines(path: Path, domains: dict[str, list[Document]],
                 test: Callable[[SqliteStore, Fts5Engine, Fts5Engine], Awaitable[T]],
                 budget: int = 64 * MiB) -> T:
    """Run ``test(store, fts5_only, in_memory)`` over one SQLite file holding ``domains``."""

    async def run() -> T:
        db = SqliteDatabase(path)
        store = SqliteStore(db)
        await store.migrate()
        for domain, documents in domains.items():
            await store.upsert(domain, documents)
        fts5_only, in_memory = Fts5Engine(db, memory_budget_bytes=0), Fts5Engine(db, budget)
        try:
            return await test(store, fts5_only, in_memory)
        finally:
            await in_memory.close()
            await store.close()

    return asyncio.run(run())


async def build(engine: Fts5Engine, domain: str) -> bool:
    """Have the engine build the domain's index; whether it now answers from memory."""
    await engine.search(SearchQuery(domain, ("warm",)))
    await engine.memory.built(domain)
    return engine.memory.fresh(domain, engine.generation(domain), ("warm",)) is not None


def typo(word: str, rng: random.Random) -> str:
    """One edit after the first letter (which the typo rules trust)."""
    at = rng.randrange(1, len(word))
    letter = rng.choice(string.ascii_lowercase)
    edit = rng.randrange(4)
    if edit == 0:
        return word[:at] + word[at + 1:]
    if edit == 1:
        return word[:at] + letter + word[at + 1:]
    if edit == 2 and at + 1 < len(word):
        return word[:at] + word[at + 1] + word[at] + word[at + 2:]
    return word[:at] + letter + word[at:]


def queries(titles: list[str], count: int, seed: int) -> list[str]:
    """Queries as visitors type them: prefixes of 1..8 letters, two or three words in
    order or not, typos, misses, raw title text (case, accents, punctuation), two
    words written as one or a word split in two (`core.search` tier 3a), and a real
    word beside one that matches nothing (tier 4)."""
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        raw = rng.choice(titles)
        title = words(raw)
        if not title:
            continue
        kind = rng.randrange(11)
        start = rng.randrange(len(title))
        span = title[start:start + 2 + (kind == 2)]
        if kind == 0 or len(span) < 2:
            found.append(title[start][:rng.randint(1, 8)])
        elif kind in (1, 2):
            found.append(" ".join([*span[:-1], span[-1][:rng.randint(1, 8)]]))
        elif kind == 3:
            found.append(f"{span[1]} {span[0][:rng.randint(1, 6)]}")
        elif kind in (4, 5):
            typed = [typo(word, rng) if len(word) >= 4 else word for word in span]
            found.append(" ".join(typed[: 1 + (kind == 5)]))
        elif kind == 6:
            found.append("".join(rng.choice("qxzjkvw") for _ in range(rng.randint(2, 7))))
        elif kind == 7:
            found.append(raw[:rng.randint(1, 24)])
        elif kind == 8:
            found.append("".join(span)[:rng.randint(2, 12)])
        elif kind == 9 and len(title[start]) > 2:
            at = rng.randrange(1, len(title[start]))
            found.append(f"{title[start][:at]} {title[start][at:]}")
        else:
            found.append(f"{' '.join(span[:rng.randint(1, 2)])} qxz{rng.randrange(99)}")
    return found


async def compare(fts5_only: Fts5Engine, in_memory: Fts5Engine, domain: str,
                  typed: list[str], groups: list[tuple[str, ...]], seed: int) -> int:
    """Search each query on both paths; every difference is reported at once."""
    rng = random.Random(seed)
    differences = []
    compared = 0
    for text in typed:
        searched = query_words(text)
        if not searched:
            continue
        query = SearchQuery(domain, searched, rng.choice([1, 3, 10, 25, 100]),
                            rng.choice(groups))
        expected: SearchResult = await fts5_only.search(query)
        answered: SearchResult = await in_memory.search(query)
        if answered != expected:
            differences.append((query, expected, answered))
        # The typo tier on its own too: the search flow runs it only when the
        # exact tiers find nothing, which leaves its exclusion of their titles idle.
        fixes = await fts5_only.corrections(query)
        if fixes != await in_memory.corrections(query):
            differences.append((query, fixes, await in_memory.corrections(query)))
        elif fixes:
            expected_hits = await fts5_only.corrected(query, fixes, query.size)
            hits = await in_memory.corrected(query, fixes, query.size)
            if hits != expected_hits:
                differences.append((query, fixes, expected_hits, hits))
        # Tier 3a and tier 4's question on their own too, for the same reason.
        readings = joined_readings(query.words)
        if readings and (await fts5_only.joined(query, readings, query.size)
                         != await in_memory.joined(query, readings, query.size)):
            differences.append((query, "joined"))
        forms = [*query.words, *joined_forms(readings)]
        if await fts5_only.present(query, forms) != await in_memory.present(query, forms):
            differences.append((query, "present", forms))
        compared += 1
    assert not differences, f"{len(differences)} of {compared} differ; first: {differences[0]}"
    return compared


@pytest.mark.parametrize("corpus", sorted(CORPUS_DOCUMENTS))
def test_memory_answers_as_fts5_does(tmp_path, corpus):
    documents = CORPUS_DOCUMENTS[corpus]()
    # Another domain in the same file shares FTS5's vocabulary, as on a real server.
    domains = {corpus: documents, "other.example": documents_of(CORPORA["mini"].documents())}
    present = sorted({document.group for document in documents} - {""})
    groups = [(), ("no-such-group",), *[(group,) for group in present], tuple(present)]

    async def test(_store: SqliteStore, fts5_only: Fts5Engine, in_memory: Fts5Engine) -> int:
        assert await build(in_memory, corpus)
        titles = [document.title for document in documents]
        compared = await compare(fts5_only, in_memory, corpus, queries(titles, 1500, seed=1),
                                 groups, seed=2)
        # Still answered from memory: no write happened.
        assert in_memory.memory.fresh(corpus, in_memory.generation(corpus), ("a",))
        return compared

    assert with_engines(tmp_path / "parity.db", domains, test) > 1400


def test_the_tokenizer_checked_is_the_one_the_documents_are_indexed_with():
    assert f"tokenize='{TOKENIZER}'" in SCHEMA


def widgets(count: int, prefix: str = "/") -> list[Document]:
    return [Document(f"{prefix}{number}", f"Widget {number} for sprockets",
                     popularity=float(number % 7)) for number in range(count)]


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


# New Tai Lue vowel signs: letters to Python, separators to FTS5's tokenizer.
CHANGED_BY_FTS5 = "\u19b0"


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


def test_the_size_an_index_reports_is_what_it_holds(tmp_path):
    async def test(store: SqliteStore, _fts5: Fts5Engine, _memory: Fts5Engine) -> None:
        def measure(conn: Any) -> tuple[DomainIndex, int]:
            tracemalloc.start()
            try:
                index = load(conn, "demo", SEQUENCE_BITS, MAX_TIE_ROWS, QueryCaches.within(0),
                             max_rows=1 << 20)
                return index, tracemalloc.get_traced_memory()[0]
            finally:
                tracemalloc.stop()

        index, held = await store.db.read(measure)
        assert isinstance(index, DomainIndex)
        assert 0.8 * held <= index.nbytes <= 1.2 * held

    documents = documents_of(CORPORA["demo"].documents())
    with_engines(tmp_path / "size.db", {"demo": documents}, test)


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


def test_a_byte_bounded_cache_evicts_the_least_recently_used_to_stay_within_its_bound():
    cache = ByteBoundedCache(100)
    cache.put("a", "A", 40)
    cache.put("b", "B", 40)
    assert cache.get("a") == "A"  # a is now used after b
    cache.put("c", "C", 40)  # 120 bytes: b goes, the least recently used
    assert (cache.get("a"), cache.get("b"), cache.get("c"), cache.size) == ("A", None, "C", 80)
    cache.put("d", "D", 90)  # room only once both others are gone
    assert (cache.get("a"), cache.get("c"), cache.get("d"), cache.size) == (None, None, "D", 90)
    cache.put("huge", "H", 101)  # more than the whole bound: not kept, and nothing evicted
    assert (cache.get("huge"), cache.get("d"), cache.size) == (None, "D", 90)
    cache.put("d", "D again", 30)  # a replaced entry counts its new size only
    assert (cache.get("d"), cache.size) == ("D again", 30)
    cache.discard("d")
    assert cache.size == 0


def test_the_query_caches_split_their_bound_between_the_two_kinds():
    caches = QueryCaches.within(101)
    assert (caches.prefixes.limit, caches.forms.limit, caches.limit) == (50, 51, 101)


def held_bytes(cache: ByteBoundedCache, index: DomainIndex) -> int:
    """What the cache's values take, measured apart from the sizes it was told: merged
    prefixes are arrays, typo candidate forms lists of strings, of which those that are
    the index's own word objects take nothing more."""
    own = {id(word) for word in index.words}
    total = 0
    for value, _size in cache._entries.values():
        total += sys.getsizeof(value)
        if isinstance(value, list):
            total += sum(sys.getsizeof(form) for form in value if id(form) not in own)
    return total


def test_the_query_caches_stay_within_their_byte_bound_under_real_searches(tmp_path):
    documents = documents_of(CORPORA["movies"].documents())
    limit = 64 * 1024  # a few dozen merged prefixes and typo forms, not all of them

    async def test(_store: SqliteStore, fts5_only: Fts5Engine, in_memory: Fts5Engine) -> None:
        caches = in_memory.memory.cache = QueryCaches.within(limit)
        assert await build(in_memory, "movies")
        typed = queries([document.title for document in documents], 600, seed=5)
        ever: dict[str, set] = {"prefixes": set(), "forms": set()}
        for start in range(0, len(typed), 20):
            await compare(fts5_only, in_memory, "movies", typed[start:start + 20], [()],
                          seed=start)
            for kind, cache in (("prefixes", caches.prefixes), ("forms", caches.forms)):
                assert cache.size <= cache.limit, kind
                index = in_memory.memory._indexes["movies"]
                assert cache.size == held_bytes(cache, index), kind
                ever[kind].update(cache._entries)
        assert in_memory.memory.fresh("movies", in_memory.generation("movies"), ("a",))
        for kind, cache in (("prefixes", caches.prefixes), ("forms", caches.forms)):
            # Entries came and went: the bound was reached, not merely respected.
            assert cache.size > cache.limit // 2, kind
            assert len(ever[kind]) > len(cache._entries), kind

    with_engines(tmp_path / "caches.db", {"movies": documents}, test)


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
