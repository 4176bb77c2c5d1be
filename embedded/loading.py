"""Building a domain's in-memory index from one consistent read of its rows.

Where: `embedded.memory.MemoryIndexes` runs `load` in a reader thread of
`embedded.database.SqliteDatabase`, and `release_freed_memory` after it; a
domain too big for the budget comes back as `TooBig` and is left to FTS5.
"""

import ctypes
import ctypes.util
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from embedded.caches import QueryCaches
from embedded.domain_index import DomainIndex
from embedded.indexed_titles import TooManyForKeys

# `ranking`: the popularity plus the click bonus (core.ranking.ranking_value).
ROWS_SQL = """
SELECT rank_key, url, title, grp, ranking, search_text FROM documents
WHERE domain_id = ? ORDER BY rank_key
"""


@dataclass(frozen=True)
class TooBig:
    """A domain left to FTS5 at this generation: more rows than the budget holds."""

    generation: int
    rows: int


def load(conn: sqlite3.Connection, domain: str, tie_shift: int, max_tie_rows: int,
         caches: QueryCaches, max_rows: int) -> DomainIndex | TooBig | None:
    """Build ``domain``'s index from one consistent read of its rows (None: no such domain).

    A domain of more than ``max_rows`` rows is only counted, not read.
    """
    conn.execute("BEGIN")
    try:
        row = conn.execute("SELECT id, generation FROM domains WHERE name = ?",
                           (domain,)).fetchone()
        if row is None:
            return None
        domain_id, generation = row
        (count,) = conn.execute("SELECT count(*) FROM documents WHERE domain_id = ?",
                                (domain_id,)).fetchone()
        if count > max_rows:
            return TooBig(generation, count)
        rows = conn.execute(ROWS_SQL, (domain_id,))
        try:
            return DomainIndex(domain_id, generation, rows, tie_shift, max_tie_rows, caches)
        except TooManyForKeys:
            return TooBig(generation, count)
    finally:
        conn.execute("COMMIT")


def _malloc_trim() -> Callable[[int], int] | None:
    libc = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None


_MALLOC_TRIM = _malloc_trim()


def release_freed_memory() -> None:
    """Give the memory a build freed back to the system.

    A build allocates and frees tens of megabytes of temporary lists; glibc keeps
    them for later, so a worker's RSS stayed about 24 MB above what it holds
    (105 MB after building the 63,678 Debian titles, 81 MB after a trim; the trim
    takes a few milliseconds). Elsewhere than glibc, nothing to do.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
