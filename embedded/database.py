"""One SQLite file shared by the store and the embedded FTS5 engine.

sqlite3 calls block, so they run on threads: a single writer thread (SQLite
allows one writer at a time anyway) and a few reader threads, each with its own
connection. WAL mode lets readers run while a write is in progress, and the busy
timeout makes a writer wait for another process's write instead of failing.

A full disk is an outage (StoreUnavailable: 503), not a bug. Deleting needs disk
space too (WAL frames), so a file of RESERVE_BYTES is kept next to the database,
`<database>-reserve`: a write that frees space (delete, flush) and meets a full disk
removes it and tries again, so an operator can make room through the API. The
reserve is made again once the disk has room.

No descriptor of the database file or its -wal/-shm is ever closed while this
process may have SQLite connections on it: closing any descriptor of a file drops
every POSIX lock the process holds on it, SQLite's included
(https://www.sqlite.org/howtocorrupt.html, 2.2). See SharedWalIndex.
"""

import asyncio
import logging
import mmap
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from core.store import StoreUnavailable
from core.text import search_text

T = TypeVar("T")
BUSY_TIMEOUT_MS = 30_000
READER_THREADS = 2
RESERVE_BYTES = 8 * 1024 * 1024
RESERVE_CHECK_SECONDS = 60.0
WAL_INDEX_HEADER_BYTES = 48

log = logging.getLogger("autocompeter")


class SqliteDatabase:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-write")
        self._readers = ThreadPoolExecutor(READER_THREADS, thread_name_prefix="sqlite-read")
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._inline: sqlite3.Connection | None = None
        self._shared_wal_index: SharedWalIndex | None = None  # from the first connection
        self._wal_index: mmap.mmap | None = None  # the start of <database>-shm
        self.reserve_path = Path(f"{self.path}-reserve")
        self._reserve_checked_at: float | None = None

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        with self._lock:
            # Before SQLite takes its first lock, so the -shm's descriptor cannot be
            # closed by another SqliteDatabase of this process closing meanwhile.
            if self._shared_wal_index is None:
                self._shared_wal_index = WAL_INDEXES.acquire(self.path)
        conn = connect(self.path)
        with self._lock:
            self._connections.append(conn)
        return conn

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, lambda: fn(self._connection()))

    def read_inline(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a short read on the caller's thread (the event loop's).

        For a search, which takes a fraction of a millisecond, handing the work
        to a thread and back costs more than the read itself; in WAL mode a
        reader never waits for a writer, so this cannot stall the loop.
        """
        return fn(self._inline_connection())

    def _inline_connection(self) -> sqlite3.Connection:
        if self._inline is None:
            self._inline = self._connect()
        return self._inline

    def commit_mark(self) -> bytes | None:
        """Bytes that change whenever any connection, in any process, commits.

        They are the WAL-index header at the start of `<database>-shm`, which every
        process using the file shares (https://www.sqlite.org/walformat.html). A
        commit rewrites it (frame count, checksums) and a WAL that starts over gets
        new salts, so an equal mark means nothing was committed in between; a mark
        read while a commit writes it only differs. Read from memory, where `PRAGMA
        data_version` takes two lock calls and a statement (0.15 µs against 3.4 µs).
        None: no -shm to read.
        """
        if self._wal_index is None:
            # Opened in WAL mode first: the -shm exists, and SQLite never shortens it
            # while a connection (this one) is open.
            self._inline_connection()
            assert self._shared_wal_index is not None  # taken by the first connection
            self._wal_index = self._shared_wal_index.header()
            if self._wal_index is None:
                return None
        return self._wal_index[:WAL_INDEX_HEADER_BYTES]

    async def write(self, fn: Callable[[sqlite3.Connection], T], frees_space: bool = False) -> T:
        """Run ``fn`` in one immediate transaction: all of it is stored, or none.

        ``frees_space``: the write deletes, and may use the reserve on a full disk.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, self._write, fn, frees_space)

    def _write(self, fn: Callable[[sqlite3.Connection], T], frees_space: bool) -> T:
        try:
            result = self._transaction(fn)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_FULL:
                raise
            if not (frees_space and self._release_reserve()):
                raise StoreUnavailable(f"{self.path}: the disk is full") from None
            # With the reserve's room: move the WAL into the database and empty it,
            # delete, then do it again, so what was deleted is free for new writes.
            self._checkpoint()
            try:
                result = self._transaction(fn)
            except sqlite3.OperationalError as again:
                if again.sqlite_errorcode != sqlite3.SQLITE_FULL:
                    raise
                raise StoreUnavailable(f"{self.path}: the disk is full") from None
            self._checkpoint()
        self._keep_reserve()
        return result

    def _checkpoint(self) -> None:
        """Copy the WAL into the database and truncate it; a reader may hold it back,
        and a full disk stop it, without harm: it is tried again next time."""
        try:
            self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError as error:
            log.warning("%s: checkpoint failed: %s", self.path, error)

    def _release_reserve(self) -> bool:
        try:
            self.reserve_path.unlink()
        except FileNotFoundError:
            return False
        log.warning("%s: disk full; used the reserve to free space", self.path)
        self._reserve_checked_at = time.monotonic()
        return True

    def _keep_reserve(self) -> None:
        """Make the reserve if it is missing and the disk has room (checked once a
        minute at most: a stat per write would be wasted)."""
        now = time.monotonic()
        if (self._reserve_checked_at is not None
                and now - self._reserve_checked_at < RESERVE_CHECK_SECONDS):
            return
        self._reserve_checked_at = now
        if self.reserve_path.exists():
            return
        disk = os.statvfs(self.path.parent)
        if disk.f_bavail * disk.f_frsize < 2 * RESERVE_BYTES:
            return
        try:
            # Another process may make it at the same moment: "x" lets one win.
            with self.reserve_path.open("xb") as file:
                os.posix_fallocate(file.fileno(), 0, RESERVE_BYTES)  # blocks, not a hole
        except FileExistsError:
            pass
        except OSError:
            self.reserve_path.unlink(missing_ok=True)  # no half a reserve

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
            conn.execute("COMMIT")  # may fail too, on a full disk: the WAL grows here
        except BaseException:
            if conn.in_transaction:  # SQLite rolls back by itself after some errors
                conn.execute("ROLLBACK")
            raise
        return result

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
            self._inline = None
            shared, self._shared_wal_index = self._shared_wal_index, None
            self._wal_index = None
        if shared is not None:  # after the connections: see SharedWalIndex
            WAL_INDEXES.release(shared)


class SharedWalIndex:
    """This process's descriptor and map of `<database>-shm`'s first bytes, shared
    by every SqliteDatabase of the process on that file.

    The descriptor stays open until the last of them has closed its connections:
    closing any descriptor of a file drops every POSIX lock the process holds on
    it, so closing it sooner would take SQLite's shared lock on the -shm from this
    process's connections. The next process to open the file would then take
    itself for the first, rebuild the WAL index under the others and cut the
    -shm short, and a process whose map of it is cut short dies of SIGBUS.
    """

    def __init__(self, database: str) -> None:
        self.database = database
        self.users = 0
        self._lock = threading.Lock()
        self._descriptor: int | None = None
        self._header: mmap.mmap | None = None

    def header(self) -> mmap.mmap | None:
        """A read-only map of the WAL-index header; None: no -shm (yet) to map."""
        with self._lock:
            if self._header is None:
                try:
                    if self._descriptor is None:  # opened once, closed in close()
                        self._descriptor = os.open(f"{self.database}-shm", os.O_RDONLY)
                    self._header = mmap.mmap(self._descriptor, WAL_INDEX_HEADER_BYTES,
                                             prot=mmap.PROT_READ)
                except (OSError, ValueError):  # ValueError: shorter than the header
                    return None
            return self._header

    def close(self) -> None:
        if self._header is not None:
            self._header.close()  # mmap closes a duplicate of the descriptor of its own
        if self._descriptor is not None:
            os.close(self._descriptor)


class WalIndexes:
    """The SharedWalIndex of each database file this process has connections on."""

    def __init__(self) -> None:
        self._by_database: dict[str, SharedWalIndex] = {}
        self._lock = threading.Lock()

    def acquire(self, path: str | Path) -> SharedWalIndex:
        """For a SqliteDatabase about to connect to `path`."""
        database = os.path.realpath(path)  # SQLite names the -shm after the file a link leads to
        with self._lock:
            shared = self._by_database.setdefault(database, SharedWalIndex(database))
            shared.users += 1
            return shared

    def release(self, shared: SharedWalIndex) -> None:
        """For a SqliteDatabase whose connections are all closed."""
        with self._lock:
            shared.users -= 1
            if shared.users == 0:
                # Under the lock: a SqliteDatabase that acquires the file next only
                # connects, and takes SQLite's locks, after this close.
                del self._by_database[shared.database]
                shared.close()


WAL_INDEXES = WalIndexes()


def connect(path: str | Path) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: an acknowledged write survives a power cut, not only a crash.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    # A write's rows pass through a temporary table (embedded/store.py): in memory.
    conn.execute("PRAGMA temp_store = MEMORY")
    # For migrations that recompute what the index sees (embedded/store.py).
    conn.create_function("autocompeter_search_text", 1, search_text, deterministic=True)
    return conn
