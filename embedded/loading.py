"""Building a domain's in-memory index from one consistent read of its rows, and
freeing one, in a reader thread, giving way to the event loop's searches.

Where: `embedded.memory.MemoryIndexes` runs `load` in a reader thread of
`embedded.database.SqliteDatabase`, and `release_freed_memory` after it; a
domain too big for the budget comes back as `TooBig` and is left to FTS5. An
evicted index is freed by `release`, in a reader thread too.
"""

import asyncio
import ctypes
import ctypes.util
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from embedded.caches import QueryCaches
from embedded.domain_index import DomainIndex
from embedded.indexed_titles import Pause, TooManyForKeys, no_pause

# A build works TURN seconds at a time; between two, while the event loop searches,
# it waits (outside the GIL) until the loop has not searched for QUIET seconds, at
# most LONGEST_WAIT: under searches without end, a build still gets a twelfth of a core.
TURN = 0.001
QUIET = 0.005
LONGEST_WAIT = 0.011
# Between two turns while the loop is quiet: time for it to take the GIL (a thread
# woken takes tens of microseconds to run).
LET_GO = 0.00005

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


class SearchGate:
    """Open while the event loop is not searching: `searching` (in the loop's thread, at
    every step of a search: `embedded.memory.MemoryIndexes.fresh`) shuts it, and it
    opens again once no search came for QUIET seconds. Builds wait for it (`BuildTurns`)."""

    def __init__(self) -> None:
        self.quiet = threading.Event()
        self.quiet.set()
        self._last = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def searching(self) -> None:
        loop = asyncio.get_running_loop()
        self._last = loop.time()
        if self._timer is None:
            self.quiet.clear()
            self._timer = loop.call_later(QUIET, self._open_when_quiet, loop)

    def _open_when_quiet(self, loop: asyncio.AbstractEventLoop) -> None:
        left = self._last + QUIET - loop.time()
        if left > 0:
            self._timer = loop.call_later(left, self._open_when_quiet, loop)
        else:
            self.open()

    def open(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.quiet.set()


class BuildTurns:
    """A build's `Pause`: it works in turns of TURN seconds, and between two waits
    for the `SearchGate` (at most LONGEST_WAIT).

    Why: the loop thread lets go of the GIL at every SQLite call of a search, and a
    builder that wanted it took it: the loop then waited up to
    `sys.getswitchinterval()` (5 ms) to get it back, each time (a search took up to
    255 ms while an index of the Debian titles built). A builder waiting on the gate
    does not ask for the GIL. A build without searches meanwhile takes as long.
    """

    def __init__(self, gate: SearchGate, turn: float = TURN,
                 longest_wait: float = LONGEST_WAIT) -> None:
        self.gate = gate
        self.turn, self.longest_wait = turn, longest_wait
        self._turn_ends = 0.0
        self.waited = 0.0
        """Seconds this build gave way, all told."""

    def __call__(self) -> None:
        turn_ended = time.perf_counter()
        if turn_ended < self._turn_ends:
            return
        if self.gate.quiet.is_set():
            # Let go of the GIL a moment all the same: a request the loop has just
            # taken up waits for it, and asks for no search before it has it.
            time.sleep(LET_GO)
        else:
            self.gate.quiet.wait(self.longest_wait)
        now = time.perf_counter()
        self.waited += now - turn_ended
        self._turn_ends = now + self.turn


def load(conn: sqlite3.Connection, domain: str, tie_shift: int, max_tie_rows: int,
         caches: QueryCaches, max_rows: int, pause: Pause = no_pause
         ) -> DomainIndex | TooBig | None:
    """Build ``domain``'s index from one consistent read of its rows (None: no such domain).

    A domain of more than ``max_rows`` rows is only counted, not read; ``pause`` is
    called often while the index is built (`BuildTurns`).
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
            return DomainIndex(domain_id, generation, rows, tie_shift, max_tie_rows, caches,
                               pause=pause)
        except TooManyForKeys:
            return TooBig(generation, count)
    finally:
        conn.execute("COMMIT")


def release(indexes: list[DomainIndex], pause: Pause = no_pause) -> None:
    """Free ``indexes`` (emptied), each a part at a time, pausing between parts.

    Why here, in a reader thread: freeing an index of the Debian titles took 19 ms,
    which the event loop spent when it dropped an evicted index itself.
    """
    while indexes:
        parts = vars(indexes.pop())  # the index goes; its parts, one by one
        while parts:
            pause()
            parts.popitem()
    release_freed_memory()


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
