"""One SQLite file shared by the store and the embedded FTS5 engine.

sqlite3 calls block, so they run on threads: a single writer thread (SQLite
allows one writer at a time anyway) and a few reader threads, each with its own
connection. WAL mode lets readers run while a write is in progress, and the busy
timeout makes a writer wait for another process's write instead of failing.
"""

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
BUSY_TIMEOUT_MS = 30_000
READER_THREADS = 2


class SqliteDatabase:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-write")
        self._readers = ThreadPoolExecutor(READER_THREADS, thread_name_prefix="sqlite-read")
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._inline: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, lambda: fn(self._connection()))

    def read_inline(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read of a row or two on the caller's thread.

        For lookups by primary key a thread hop costs more than the read; in
        WAL mode a reader never waits for a writer, so this cannot stall the loop.
        """
        if self._inline is None:
            self._inline = connect(self.path)
            with self._lock:
                self._connections.append(self._inline)
        return fn(self._inline)

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one immediate transaction: all of it is stored, or none."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, self._transaction, fn)

    async def script(self, sql: str) -> None:
        """Run several statements (e.g. a schema) atomically."""
        loop = asyncio.get_running_loop()
        script = f"BEGIN IMMEDIATE;\n{sql}\nCOMMIT;"
        await loop.run_in_executor(self._writer, lambda: self._connection().executescript(script))

    def _transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._connection()
        # IMMEDIATE takes the write lock up front (waiting up to the busy
        # timeout), so a transaction never fails half-way on a lock upgrade.
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()


def connect(path: str | Path) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: an acknowledged write survives a power cut, not only a crash.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn
