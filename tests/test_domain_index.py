"""embedded/domain_index.py: an in-memory index answers every tier exactly as FTS5
does, and what its searches leave in the query caches stays within their bound.

Every test runs both paths over one real SQLite file (`memory_engines`): an engine
whose budget is 0 answers from FTS5 only; one with a budget answers from memory
once its domains are built, and the tests check that it did.
"""

import random
import sys
from collections.abc import Callable

import pytest
from memory_engines import build, compare, documents_of, queries, with_engines
from relevance.corpora import CORPORA

from core.store import Document
from embedded.caches import ByteBoundedCache, QueryCaches
from embedded.domain_index import DomainIndex
from embedded.engine import Fts5Engine
from embedded.rank_keys import MAX_TIE_ROWS
from embedded.store import SqliteStore


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


def held_bytes(cache: ByteBoundedCache, index: DomainIndex) -> int:
    """What the cache's values take, measured apart from the sizes it was told: merged
    prefixes are arrays, a word's corrections lists of strings, of which those that are
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
    # A few dozen merged prefixes and a few dozen words' corrections, not all of them
    # (the corrections get an eighth, `embedded.caches.FIXES_SHARE`).
    limit = 36 * 1024

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
