"""embedded/indexed_titles.py: the bytes an index reports are the bytes it holds
(the memory budget counts them).
"""

import tracemalloc
from typing import Any

from memory_engines import documents_of, with_engines
from relevance.corpora import CORPORA

from embedded.caches import QueryCaches
from embedded.domain_index import DomainIndex
from embedded.engine import Fts5Engine
from embedded.loading import load
from embedded.rank_keys import MAX_TIE_ROWS, SEQUENCE_BITS
from embedded.store import SqliteStore


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
