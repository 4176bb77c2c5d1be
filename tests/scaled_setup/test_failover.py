"""Failover: the search client moves on from a host that is down, and the service
rides out the death of a cluster node.

The first tests put a port nobody listens on (and one that never accepts: a
listening socket whose backlog is full, a stand-in for an unreachable machine;
they say so) beside the real node in one SEARCH_URL. The last one starts a real
three-node OpenSearch 2.19.6 cluster of its own (services/opensearch/start.sh
with OPENSEARCH_NODES=3), serves a site with one primary and two replicas from
it, and kills -9 the node that is cluster manager and holds the primary while
visitors search and an owner writes.

Select them with `pytest -m failover`.
"""

import asyncio
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import pytest
from live import Site, free_port, new_site, start_scaled_server, stop_server

from core.engine import EngineUnavailable
from scaled.cluster import open_cluster
from scaled_setup.support import (
    SERVICES,
    ScaledParts,
    drop_database,
    http_url,
    migrate,
    new_parts,
    require_services,
)

pytestmark = [pytest.mark.scaled, pytest.mark.failover]

SEARCHES = 40
WAYS = ["post", "call"]
"""How a search reaches the engine: the service's own searches (`ClusterClient.post`,
straight to the transport's connection pool), or through opensearch-py's client
(`ClusterClient.call`, as the service's other requests)."""


def with_hosts(search_url: str, *hosts: str) -> str:
    """``search_url`` naming ``hosts`` before its own host."""
    scheme, _, address = search_url.partition("://")
    return f"{scheme}://{','.join(hosts)},{address}"


def make_index(engine_url: str) -> str:
    index = f"failover-{uuid.uuid4().hex[:8]}"
    httpx.put(f"{engine_url}/{index}/_doc/1", params={"refresh": "true"},
              json={"title": "found"}).raise_for_status()
    return index


async def search_many(search_url: str, index: str, way: str, **options: object
                      ) -> list[object]:
    """``SEARCHES`` searches through the service's own search client, the ``way`` named
    (`WAYS`): the hit counts, or the error that reached the service."""
    cluster = open_cluster(search_url, **options)
    body = {"query": {"match_all": {}}}
    answers: list[object] = []
    try:
        for _ in range(SEARCHES):
            try:
                if way == "post":
                    found = await cluster.searcher.post(f"/{index}/_search", orjson.dumps(body))
                else:
                    found = await cluster.searcher.call("search", index=index, body=body)
                answers.append(found["hits"]["total"]["value"])
            except EngineUnavailable as error:
                answers.append(error)
        return answers
    finally:
        await cluster.close()


@pytest.mark.parametrize("way", WAYS)
def test_a_search_refused_by_a_dead_host_is_answered_by_the_next(way: str) -> None:
    search_url = require_services()[1]
    index = make_index(http_url(search_url))
    dead = f"127.0.0.1:{free_port()}"  # nothing listens there: connection refused
    try:
        answers = asyncio.run(search_many(with_hosts(search_url, dead), index, way))
    finally:
        httpx.delete(f"{http_url(search_url)}/{index}")
    assert answers == [1] * SEARCHES


@contextmanager
def host_that_never_accepts() -> Iterator[str]:
    """A simulated unreachable machine: a listening socket whose accept queue is full
    (backlog 0, filled by two connections nobody accepts), so the kernel drops
    further connection attempts and a client's connect just waits."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        fillers = []
        for _ in range(2):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(address)
            fillers.append(filler)
        try:
            yield f"127.0.0.1:{address[1]}"
        finally:
            for filler in fillers:
                filler.close()


@pytest.mark.parametrize("way", WAYS)
def test_a_host_that_never_accepts_costs_a_share_of_the_search_timeout_not_the_search(
        way: str) -> None:
    search_url = require_services()[1]
    index = make_index(http_url(search_url))
    try:
        with host_that_never_accepts() as silent:
            started = time.monotonic()
            answers = asyncio.run(search_many(with_hosts(search_url, silent), index, way,
                                              search_timeout=2.0))
            elapsed = time.monotonic() - started
    finally:
        httpx.delete(f"{http_url(search_url)}/{index}")
    assert answers == [1] * SEARCHES
    # The silent host is tried once (half a second), then left aside for a while.
    assert elapsed < 0.5 + SEARCHES * 0.5, f"{SEARCHES} searches took {elapsed:.1f}s"


# -- a three-node cluster of the test's own, and a node killed under load ---------------------

NODES = 3
TITLES = 200


def free_run(length: int) -> int:
    """The first of ``length`` consecutive free ports (start.sh numbers nodes from it)."""
    for _ in range(100):
        first = free_port()
        if first + length >= 65535:
            continue
        try:
            sockets = []
            for port in range(first, first + length):
                sockets.append(socket.socket())
                sockets[-1].bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no run of free ports")


@dataclass
class Cluster:
    """Three OpenSearch 2.19.6 nodes started by services/opensearch/start.sh."""

    workdir: Path
    http_port: int = field(default_factory=lambda: free_run(NODES))
    transport_port: int = field(default_factory=lambda: free_run(NODES))

    def start(self) -> str:
        """Start the nodes that are not running; wait for a green cluster of three."""
        env = {**os.environ, "OPENSEARCH_NODES": str(NODES),
               "OPENSEARCH_TRANSPORT_PORT": str(self.transport_port),
               # A busy two-core machine (other suites, three JVMs) starts them slowly.
               "OPENSEARCH_START_TIMEOUT": "280"}
        done = subprocess.run([str(SERVICES / "opensearch/start.sh"), str(self.workdir),
                               str(self.http_port)], check=True, capture_output=True, text=True,
                              timeout=300, env=env)
        return done.stdout.strip().splitlines()[-1]

    def stop(self) -> None:
        subprocess.run([str(SERVICES / "opensearch/stop.sh"), str(self.workdir)], check=True,
                       capture_output=True, timeout=60)

    @property
    def search_url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{self.http_port + i}" for i in range(NODES))
        return f"opensearch+http://{hosts}"

    def url(self, node: int) -> str:
        return f"http://127.0.0.1:{self.http_port + node - 1}"

    def pid(self, node: int) -> int:
        return int((self.workdir / f"opensearch-node{node}/opensearch.pid").read_text())

    def get(self, path: str, avoid: int = 0) -> dict | list:
        """``path`` from the first node (but ``avoid``) that answers."""
        for node in range(1, NODES + 1):
            if node == avoid:
                continue
            try:
                response = httpx.get(f"{self.url(node)}{path}", timeout=2)
            except httpx.HTTPError:
                continue
            if response.status_code == 200:
                return response.json()
        raise AssertionError(f"no node answered {path}")

    def manager(self) -> int:
        name = self.get("/_cat/cluster_manager?format=json")[0]["node"]
        return int(name.removeprefix("autocompeter-node"))

    def primary_holder(self, index: str) -> int:
        shards = self.get(f"/_cat/shards/{index}?format=json&h=prirep,node,state")
        primary = next(shard for shard in shards if shard["prirep"] == "p")
        return int(primary["node"].removeprefix("autocompeter-node"))

    def put_settings(self, index: str, settings: dict) -> None:
        httpx.put(f"{self.url(1)}/{index}/_settings", json={"index": settings},
                  timeout=30).raise_for_status()
        health = httpx.get(f"{self.url(1)}/_cluster/health/{index}", timeout=70, params={
            "wait_for_status": "green", "wait_for_no_relocating_shards": "true",
            "timeout": "60s"}).json()
        assert health["status"] == "green", health


class ClusterParts(ScaledParts):
    """The service's parts on the cluster: the tests' direct calls go to node 1."""

    engine_node = ""

    @property
    def engine_url(self) -> str:
        return self.engine_node


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    require_services()
    nodes = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        nodes.start()
        yield nodes
    finally:
        nodes.stop()


@dataclass
class Traffic:
    """Visitors searching and an owner adding titles, each in a thread, until stopped."""

    site: Site
    stop: threading.Event = field(default_factory=threading.Event)
    failed_searches: list[str] = field(default_factory=list)
    searches: int = 0
    slowest: float = 0.0
    acknowledged: list[str] = field(default_factory=list)
    refused_writes: int = 0

    def search(self, base_url: str, domain: str) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            n = 0
            while not self.stop.is_set():
                n += 1
                started = time.monotonic()
                # A different query each time, so no cache answers for the engine.
                try:
                    response = client.get("/v1", params={"d": domain, "q": f"item t{n % 997:03d}"})
                    ok = response.status_code == 200
                    outcome = f"{response.status_code} {response.text[:200]}"
                except httpx.HTTPError as error:
                    ok, outcome = False, repr(error)
                self.slowest = max(self.slowest, time.monotonic() - started)
                self.searches += 1
                if not ok:
                    self.failed_searches.append(outcome)

    def write(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            url = f"https://example.com/written/{n}"
            try:
                response = self.site.add(url, f"Written t{n:04d} item")
            except httpx.HTTPError:
                self.refused_writes += 1
                continue
            if response.status_code == 201:
                self.acknowledged.append(url)
            else:
                self.refused_writes += 1
            time.sleep(0.02)  # an owner's pace, not a bulk load

    @contextmanager
    def running(self, base_url: str, domain: str) -> Iterator["Traffic"]:
        threads = [threading.Thread(target=self.search, args=(base_url, domain)),
                   threading.Thread(target=self.search, args=(base_url, domain)),
                   threading.Thread(target=self.write)]
        for thread in threads:
            thread.start()
        try:
            yield self
        finally:
            self.stop.set()
            for thread in threads:
                thread.join(timeout=60)

    def wait_for(self, searches: int, writes: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        target_searches, target_writes = self.searches + searches, len(self.acknowledged) + writes
        while self.searches < target_searches or len(self.acknowledged) < target_writes:
            assert time.monotonic() < deadline, "traffic stalled"
            time.sleep(0.05)


def wait_for_health(cluster: Cluster, avoid: int, done: Callable[[dict], bool],
                    timeout: float = 120) -> float:
    """Seconds until the cluster's health (asked of nodes but ``avoid``) satisfies ``done``."""
    started = time.monotonic()
    while True:
        try:
            health = cluster.get("/_cluster/health?timeout=1s", avoid=avoid)
        except AssertionError:
            health = {}
        if health and done(health):
            return time.monotonic() - started
        assert time.monotonic() - started < timeout, f"health still {health}"
        time.sleep(0.05)


def test_killing_the_cluster_manager_holding_the_primary_loses_no_search_and_no_write(
    cluster: Cluster, tmp_path: Path
) -> None:
    database_base, _ = require_services()
    parts = ClusterParts(**vars(new_parts(database_base, cluster.search_url)))
    parts.engine_node = cluster.url(1)
    migrate(parts)
    # The node that is cluster manager holds the primary: pin the index there, then let
    # its two replicas spread to the other nodes.
    manager = cluster.manager()
    cluster.put_settings(parts.alias, {"number_of_replicas": 0,
                                       "routing.allocation.require._name":
                                           f"autocompeter-node{manager}"})
    cluster.put_settings(parts.alias, {"number_of_replicas": NODES - 1,
                                       "routing.allocation.require._name": None})
    assert cluster.primary_holder(parts.alias) == manager == cluster.manager()
    # 10 s, as the conformance suite's service has: on a loaded two-core machine a search
    # can take seconds with no node down, and this test is about the node that is.
    server = start_scaled_server(tmp_path, parts, SEARCH_TIMEOUT_SECONDS="10")
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            site = new_site(server, client)
            documents = [{"url": f"https://example.com/{n}", "title": f"Doc t{n:03d} item"}
                         for n in range(TITLES)]
            assert site.bulk(documents).status_code in (200, 201)
            parts.settle()
            traffic = Traffic(site)
            with traffic.running(server.base_url, site.domain):
                traffic.wait_for(searches=50, writes=10)
                os.kill(cluster.pid(manager), signal.SIGKILL)
                to_yellow = wait_for_health(cluster, manager,
                                            lambda health: health["status"] == "yellow")
                traffic.wait_for(searches=100, writes=20)  # serving on two nodes
                restarted_at = time.monotonic()
                cluster.start()  # the killed node only; returns once green with three
                rejoined = time.monotonic() - restarted_at
                to_green = wait_for_health(cluster, 0, lambda health: health["status"] == "green")
                traffic.wait_for(searches=50, writes=10)  # and on three again
            parts.engine_node = cluster.url(1 if manager != 1 else 2)
            parts.settle()
            stored = {document["url"] for document in documents} | set(traffic.acknowledged)
            assert parts.engine_count(site.domain) == len(stored)
            print(f"\nfailover: {traffic.searches} searches, {len(traffic.acknowledged)} "
                  f"acknowledged writes ({traffic.refused_writes} refused); killed node "
                  f"{manager} (cluster manager, primary); yellow "
                  f"{to_yellow:.1f}s after the kill; restart to green "
                  f"{rejoined + to_green:.1f}s; slowest search {traffic.slowest * 1000:.0f} ms")
            assert traffic.failed_searches == [], traffic.failed_searches[:5]
    finally:
        stop_server(server)
        drop_database(parts.database_url, database_base)
