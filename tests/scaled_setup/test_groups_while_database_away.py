"""Private groups while PostgreSQL is away (a real private server; OpenSearch answers).

Which asked-for groups are private is read from the database (app/http/access.py).
A worker that never read it cannot tell a private group from a public one, so
it searches none of the asked groups: it fails closed, and never searches every
group asked. A worker that read it before keeps the last known groups.
"""

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from answering_workers import until_each_worker_answered
from live import ScaledServer, Site, free_port, new_site, start_scaled_server, stop_server

from scaled.cluster import CACHE_SECONDS
from scaled_setup.support import PostgresServer, ScaledParts, migrate, require_services

pytestmark = pytest.mark.scaled

PUBLIC = ["/public", "Zanzibar for everyone"]
ENGLISH = ["/en", "Zanzibar in English"]
TITLES = [
    {"url": PUBLIC[0], "title": PUBLIC[1], "popularity": 3},
    {"url": ENGLISH[0], "title": ENGLISH[1], "group": "en", "popularity": 2},
    {"url": "/staff", "title": "Zanzibar staff salaries", "group": "staff", "popularity": 1},
]


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[tuple[PostgresServer, str]]:
    require_services()
    # Directly under /tmp: the postgres user must be able to reach its data.
    workdir = Path(tempfile.mkdtemp(prefix="autocompeter-pg-groups-"))
    server = PostgresServer(workdir, free_port())
    dsn = server.start()
    yield server, dsn
    server.stop("--purge")
    shutil.rmtree(workdir, ignore_errors=True)


def generation() -> int:
    """The scaled engine's generation now (`SearchCluster.generation`)."""
    return int(time.monotonic() / CACHE_SECONDS)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def found_on_each_worker(live: ScaledServer, site: Site, groups: str) -> list[list]:
    """The results of one search with ``groups``, once from each worker; each the same."""
    answers = until_each_worker_answered(lambda: httpx.get(
        f"{live.base_url}/v1", params={"d": site.domain, "q": "zanzibar", "g": groups},
        timeout=15))
    assert {answer.status_code for answer in answers} == {200}, [a.text for a in answers]
    results = [answer.json()["results"] for answer in answers]
    assert all(result == results[0] for result in results), results
    return results[0]


def test_with_the_database_away_only_groups_known_public_are_searched(private_postgres,
                                                                      tmp_path):
    postgres, dsn = private_postgres
    _, search_url = require_services()
    parts = ScaledParts(dsn, search_url, f"test-pg-groups-{free_port()}")
    migrate(parts)
    live = start_scaled_server(tmp_path, parts, DATABASE_TIMEOUT_SECONDS="1")
    try:
        with httpx.Client(base_url=live.base_url, timeout=15) as client:
            site = new_site(live, client)
            assert site.bulk(TITLES).status_code == 201
            assert client.put("/v1/groups", json={"private": ["staff"]},
                              headers=site.auth).status_code == 200
            live.settle()
            # Every worker knows the domain; none has read its groups (a search
            # without groups never asks).
            assert found_on_each_worker(live, site, "") == [PUBLIC]

            postgres.stop()
            try:
                # Neither "en" nor "staff" is known public: neither is searched.
                assert found_on_each_worker(live, site, "staff,en") == [PUBLIC]
            finally:
                postgres.start()

            # Once read, the groups are kept through the next outage: "en" is public.
            assert found_on_each_worker(live, site, "staff,en") == [PUBLIC, ENGLISH]
            read_at = generation()
            postgres.stop()
            try:
                # A worker trusts what it read for the rest of the engine's generation
                # (a second, on the monotonic clock the test shares): past it, it asks.
                wait_for(lambda: generation() > read_at, "the next generation")
                assert found_on_each_worker(live, site, "staff,en") == [PUBLIC, ENGLISH]
            finally:
                postgres.start()
    finally:
        stop_server(live)
        parts.drop_indexes()  # the private server's data goes with it (--purge)
