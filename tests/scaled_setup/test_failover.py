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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from live import free_port, new_site, start_scaled_server, stop_server

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


def with_hosts(search_url: str, *hosts: str) -> str:
    """``search_url`` naming ``hosts`` before its own host."""
    scheme, _, address = search_url.partition("://")
    return f"{scheme}://{','.join(hosts)},{address}"


def make_index(engine_url: str) -> str:
    index = f"failover-{uuid.uuid4().hex[:8]}"
    httpx.put(f"{engine_url}/{index}/_doc/1", params={"refresh": "true"},
              json={"title": "found"}).raise_for_status()
    return index


async def search_many(search_url: str, index: str, **options: object) -> list[object]:
    """``SEARCHES`` searches through the service's own search client: the hit
    counts, or the error that reached the service."""
    cluster = open_cluster(search_url, **options)
    answers: list[object] = []
    try:
        for _ in range(SEARCHES):
            try:
                found = await cluster.searcher.call("search", index=index,
                                                    body={"query": {"match_all": {}}})
                answers.append(found["hits"]["total"]["value"])
            except EngineUnavailable as error:
                answers.append(error)
        return answers
    finally:
        await cluster.close()


def test_a_search_refused_by_a_dead_host_is_answered_by_the_next() -> None:
    search_url = require_services()[1]
    index = make_index(http_url(search_url))
    dead = f"127.0.0.1:{free_port()}"  # nothing listens there: connection refused
    try:
        answers = asyncio.run(search_many(with_hosts(search_url, dead), index))
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


def test_a_host_that_never_accepts_costs_a_share_of_the_search_timeout_not_the_search() -> None:
    search_url = require_services()[1]
    index = make_index(http_url(search_url))
    try:
        with host_that_never_accepts() as silent:
            started = time.monotonic()
            answers = asyncio.run(search_many(with_hosts(search_url, silent), index,
                                              search_timeout=2.0))
            elapsed = time.monotonic() - started
    finally:
        httpx.delete(f"{http_url(search_url)}/{index}")
    assert answers == [1] * SEARCHES
    # The silent host is tried once (half a second), then left aside for a while.
    assert elapsed < 0.5 + SEARCHES * 0.5, f"{SEARCHES} searches took {elapsed:.1f}s"
