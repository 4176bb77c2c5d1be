"""Every process that has the SQLite file open keeps its POSIX locks on it.

Closing any descriptor of a file drops every POSIX lock the process holds on it
(https://www.sqlite.org/howtocorrupt.html, 2.2). A worker that had lost its
shared lock on the -shm's byte 128 left the next process to open the file (a
CLI command, a restarted worker) believing it was the first one: it rebuilt the
WAL index under the serving workers, which died of SIGBUS.
"""

import http.client
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live import LiveServer, new_site, start_server, stop_server
from test_workers import ready_pids

from embedded.database import SqliteDatabase

DEAD_MAN_SWITCH_BYTE = 128  # SQLite's WALINDEX_LOCK_OFFSET + SQLITE_SHM_NLOCK


def shm_path(db_path: Path) -> str:
    return f"{os.path.realpath(db_path)}-shm"


def shm_lock_holders(db_path: Path) -> set[int]:
    """Pids holding a shared POSIX lock on the -shm's byte 128, as SQLite's every
    connection does while it has the file open."""
    shm = os.stat(shm_path(db_path))
    holders = set()
    for line in Path("/proc/locks").read_text().splitlines():
        # "3: POSIX  ADVISORY  READ 9539 fe:00:9978354 128 128"; a waiter has "->" too.
        fields = line.replace("->", "").split()
        kind, _mode, access, pid, file, start, end = fields[1:8]
        major, minor, inode = file.split(":")
        if (kind == "POSIX" and access == "READ" and int(inode) == shm.st_ino
                and (int(major, 16), int(minor, 16)) == (os.major(shm.st_dev),
                                                         os.minor(shm.st_dev))
                and int(start) <= DEAD_MAN_SWITCH_BYTE <= int(end)):
            holders.add(int(pid))
    return holders


# -- in one process ----------------------------------------------------------------


def test_reading_the_commit_mark_keeps_the_process_lock(tmp_path):
    db = SqliteDatabase(tmp_path / "site.db")
    db.read_inline(lambda conn: conn.execute("CREATE TABLE notes (n)"))
    assert os.getpid() in shm_lock_holders(db.path)
    for _ in range(3):
        assert db.commit_mark() is not None
        assert os.getpid() in shm_lock_holders(db.path)
    db.close()


def test_closing_one_database_keeps_the_lock_of_another_on_the_same_file(tmp_path):
    first = SqliteDatabase(tmp_path / "site.db")
    first.read_inline(lambda conn: conn.execute("CREATE TABLE notes (n)"))
    first.commit_mark()
    second = SqliteDatabase(first.path)  # e.g. a test's store beside the engine's
    second.commit_mark()
    second.close()
    assert os.getpid() in shm_lock_holders(first.path)
    mark = first.commit_mark()
    first.read_inline(lambda conn: conn.execute("INSERT INTO notes VALUES (1)"))
    other = sqlite3.connect(first.path, isolation_level=None)
    other.execute("INSERT INTO notes VALUES (2)")  # another connection: the mark moves
    other.close()
    assert first.commit_mark() != mark
    first.close()


def test_a_database_closed_and_opened_again_reads_the_commit_mark_again(tmp_path):
    db = SqliteDatabase(tmp_path / "site.db")
    db.read_inline(lambda conn: conn.execute("CREATE TABLE notes (n)"))
    db.commit_mark()
    db.close()  # the last connection: SQLite checkpoints and deletes the -shm
    again = SqliteDatabase(db.path)
    before = again.commit_mark()
    assert before is not None
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("INSERT INTO notes VALUES (1)")
    other.close()
    assert again.commit_mark() != before
    assert os.getpid() in shm_lock_holders(db.path)
    again.close()


# -- a served file -------------------------------------------------------------------


def accepted_socket_inode(server_port: int, client_port: int) -> int | None:
    """The inode of the server's end of the connection from `client_port`."""
    local = f"0100007F:{server_port:04X}"
    remote = f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return int(fields[9])
    return None


def pid_holding_socket(inode: int, pids: list[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
            except FileNotFoundError:  # closed while we looked
                continue
    return None


def search_on_a_new_connection(server: LiveServer, domain: str, query: str) -> int:
    """Search once, on a connection of its own; the worker pid that answered."""
    port = int(server.base_url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", f"/v1?d={domain}&q={query}")
        response = connection.getresponse()
        assert response.status == 200, response.read()
        response.read()
        client_port = connection.sock.getsockname()[1]
        inode = accepted_socket_inode(port, client_port)
        assert inode is not None, "the server's end of the connection is not in /proc"
        pid = pid_holding_socket(inode, ready_pids(server))
        assert pid is not None, "no worker holds the accepted connection"
        return pid
    finally:
        connection.close()


def search_on_every_worker(server: LiveServer, domain: str, query: str) -> None:
    """Searches until each worker has answered one: the kernel chooses who accepts."""
    workers = set(ready_pids(server))
    answered: set[int] = set()
    for _ in range(200):
        answered.add(search_on_a_new_connection(server, domain, query))
        if answered == workers:
            return
    raise AssertionError(f"only workers {answered} of {workers} answered 200 searches")


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(tmp_path, workers=2)
    yield server
    stop_server(server)


def test_every_worker_holds_its_lock_after_searching(own_server):
    with httpx.Client(base_url=own_server.base_url, timeout=10) as client:
        site = new_site(own_server, client)
        assert site.add("/tea", "Green tea").status_code == 201
        search_on_every_worker(own_server, site.domain, "gre")
        search_on_every_worker(own_server, site.domain, "tea")  # again, after the first
    holders = shm_lock_holders(own_server.db_path)
    for pid in ready_pids(own_server):
        assert pid in holders, f"worker {pid} holds no lock on the -shm: {holders}"
