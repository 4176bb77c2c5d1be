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
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
import orjson
import pytest
from live import LiveServer, Site, new_site, start_server, stop_server
from test_workers import alive, ready_pids, wait_for

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


def search_on_a_new_connection(server: LiveServer, domain: str,
                               query: str) -> tuple[int, list[str]]:
    """Search once, on a connection of its own: the worker pid that answered, and
    the URLs it found."""
    port = int(server.base_url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", f"/v1?{urlencode({'d': domain, 'q': query})}")
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200, body
        client_port = connection.sock.getsockname()[1]
        inode = accepted_socket_inode(port, client_port)
        assert inode is not None, "the server's end of the connection is not in /proc"
        pid = pid_holding_socket(inode, ready_pids(server))
        assert pid is not None, "no worker holds the accepted connection"
        return pid, [url for url, _title in orjson.loads(body)["results"]]
    finally:
        connection.close()


def search_on_every_worker(server: LiveServer, domain: str, query: str,
                           finds: str | None = None) -> None:
    """Searches until each worker has answered one (the kernel chooses who accepts),
    each answer holding the URL `finds`, if given."""
    workers = set(ready_pids(server))
    answered: set[int] = set()
    for _ in range(200):
        pid, urls = search_on_a_new_connection(server, domain, query)
        assert finds is None or finds in urls, f"worker {pid} found {urls} for {query!r}"
        answered.add(pid)
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


# -- CLI commands beside a serving service ----------------------------------------------

WORDS = ("green", "oolong", "pepper", "mint", "ginger", "lemon", "earl", "jasmine",
         "chai", "rooibos", "matcha", "sencha", "hibiscus", "camomile", "darjeeling")

WRITE_PAUSE_SECONDS = 0.05


def marker(kind: str, number: int) -> str:
    """A word of letters only, unique to a title, none the prefix of another."""
    letters = ""
    for _ in range(5):
        number, digit = divmod(number, 26)
        letters += chr(ord("a") + digit)
    return f"zq{kind[0]}{letters}"


def titles(first: int, count: int, kind: str) -> list[dict[str, str]]:
    return [{"url": f"/{kind}/{n}", "title": f"{WORDS[n % len(WORDS)]} "
                                             f"{WORDS[n * 7 % len(WORDS)]} {marker(kind, n)}"}
            for n in range(first, first + count)]


@dataclass
class Traffic:
    """Writes and searches sent from threads until `stop` is set; what they saw.

    Writes are paced: back to back, they would keep the write lock from the CLI
    commands (SQLite's busy wait polls; it does not queue).
    """

    site: Site
    stop: threading.Event = field(default_factory=threading.Event)
    acknowledged: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    searches: int = 0

    def bulk_writes(self, first: int) -> None:
        with httpx.Client(base_url=self.site.server.base_url, timeout=30) as client:
            while not self.stop.wait(WRITE_PAUSE_SECONDS):
                batch = titles(first, 100, "bulk")
                first += len(batch)
                response = client.post("/v1/bulk", json={"documents": batch},
                                       headers=self.site.auth)
                self.record(response, [document["url"] for document in batch])

    def single_writes(self, first: int) -> None:
        with httpx.Client(base_url=self.site.server.base_url, timeout=30) as client:
            while not self.stop.wait(WRITE_PAUSE_SECONDS):
                (document,) = titles(first, 1, "one")
                first += 1
                response = client.post("/v1", json=document, headers=self.site.auth)
                self.record(response, [document["url"]])

    def record(self, response: httpx.Response, urls: list[str]) -> None:
        if response.status_code == 201:
            self.acknowledged.extend(urls)
        else:
            self.failures.append(f"write: {response.status_code} {response.text[:200]}")

    def searches_on_new_connections(self) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            query = f"{WORDS[number % len(WORDS)][:3]} {WORDS[number * 3 % len(WORDS)][:2]}"
            try:  # a connection each: both workers search
                response = httpx.get(f"{self.site.server.base_url}/v1",
                                     params={"d": self.site.domain, "q": query}, timeout=30)
            except httpx.HTTPError as error:
                self.failures.append(f"search {query!r}: {error!r}")
                continue
            self.searches += 1
            if response.status_code != 200:
                self.failures.append(f"search {query!r}: {response.status_code}")


def run_cli_commands_at_once(server: LiveServer, site: Site, load_file: Path) -> None:
    """keys create, load and export, each a process opening the file, side by side."""
    commands = [("keys", "create", f"cli-{uuid.uuid4().hex[:8]}.example"),
                ("load", str(load_file), "--domain", site.domain),
                ("export", site.domain)]
    with ThreadPoolExecutor(len(commands)) as pool:
        key, loaded, export = pool.map(lambda command: server.cli(*command), commands)
    assert key.strip()
    assert "loaded 2000" in loaded
    assert orjson.loads(export)["documents"]


def test_cli_commands_beside_a_loaded_service_under_load_kill_nothing_and_lose_nothing(
        own_server, tmp_path):
    workers = ready_pids(own_server)
    with httpx.Client(base_url=own_server.base_url, timeout=30) as client:
        site = new_site(own_server, client)
        for first in range(0, 20_000, 5_000):  # a loaded service
            documents = titles(first, 5_000, "seed")
            assert site.bulk(documents).status_code == 201
        # Before the fix, a worker's first search dropped its lock on the -shm.
        search_on_every_worker(own_server, site.domain, "gre")
    load_file = tmp_path / "titles.json"
    load_file.write_bytes(orjson.dumps({"documents": titles(0, 2000, "loaded")}))

    traffic = Traffic(site)
    threads = [threading.Thread(target=traffic.bulk_writes, args=(0,)),
               threading.Thread(target=traffic.single_writes, args=(0,)),
               threading.Thread(target=traffic.searches_on_new_connections),
               threading.Thread(target=traffic.searches_on_new_connections)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: traffic.acknowledged and traffic.searches, "the traffic is flowing")
        run_cli_commands_at_once(own_server, site, load_file)
    finally:
        traffic.stop.set()
        for thread in threads:
            thread.join()

    deaths = [line for line in own_server.log().splitlines() if "died" in line]
    assert deaths == []  # e.g. "worker Sanic-Server-0-0 [4242] died (exit code -7)"
    assert ready_pids(own_server) == workers and all(alive(pid) for pid in workers)
    assert traffic.failures == []
    export = orjson.loads(own_server.cli("export", site.domain))
    stored = {document["url"] for document in export["documents"]}
    lost = set(traffic.acknowledged) - stored
    assert not lost, f"{len(lost)} acknowledged writes lost, e.g. {sorted(lost)[:5]}"
    assert {f"/loaded/{n}" for n in range(2000)} <= stored
    last = traffic.acknowledged[-1]  # each worker's index finds the last write
    _, kind, number = last.split("/")
    search_on_every_worker(own_server, site.domain, marker(kind, int(number)), finds=last)
