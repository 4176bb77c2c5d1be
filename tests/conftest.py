"""Shared fixtures: a real service process on a real SQLite file (and the scaled setup)."""

from collections.abc import Iterator

import httpx
import pytest
from live import (
    LiveServer,
    ScaledServer,
    Site,
    new_site,
    start_scaled_server,
    start_server,
    stop_server,
)
from scaled_setup.elasticsearch_setup import require_elasticsearch
from scaled_setup.opensearch3_setup import scaled_os3_server  # noqa: F401 (a fixture)
from scaled_setup.support import drop_database, new_parts, require_services


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("server"))
    yield live
    stop_server(live)


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield http


def _scaled_server(tmp_path_factory: pytest.TempPathFactory,
                   search_url: str | None = None) -> Iterator[ScaledServer]:
    """A `serve` on a database of its own and an alias of its own on the engine at
    ``search_url`` (default: TEST_SEARCH_URL's OpenSearch)."""
    database_base, opensearch_url = require_services()
    parts = new_parts(database_base, search_url or opensearch_url)
    try:
        # A loaded two-core machine (OpenSearch, PostgreSQL, two workers and the
        # tests) can take over a second to answer; the outage tests keep 1 s.
        live = start_scaled_server(tmp_path_factory.mktemp("scaled"), parts,
                                   SEARCH_TIMEOUT_SECONDS="10")
        yield live
        stop_server(live)
    finally:
        parts.drop_indexes()
        drop_database(parts.database_url, database_base)


@pytest.fixture(scope="session")
def scaled_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledServer]:
    yield from _scaled_server(tmp_path_factory)


@pytest.fixture(scope="session")
def scaled_es_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledServer]:
    """The scaled setup on Elasticsearch 9 (services/elasticsearch) through elasticsearch-py."""
    yield from _scaled_server(tmp_path_factory, require_elasticsearch())


# The setups every behaviour test in tests/conformance/ runs against: embedded,
# scaled on OpenSearch, scaled on Elasticsearch. The scaled copies carry the `scaled`
# mark, so `-m "not scaled"` leaves them out.
# "scaled-os3" is the scaled setup on OpenSearch 3.9 (tests/scaled_setup/opensearch3_setup.py).
SETUPS = ["embedded", pytest.param("scaled", marks=pytest.mark.scaled),
          pytest.param("scaled-es", marks=pytest.mark.scaled),
          pytest.param("scaled-os3", marks=pytest.mark.scaled)]
SETUP_FIXTURES = {"embedded": "server", "scaled": "scaled_server",
                  "scaled-es": "scaled_es_server", "scaled-os3": "scaled_os3_server"}


@pytest.fixture(params=SETUPS)
def any_server(request: pytest.FixtureRequest) -> LiveServer:
    return request.getfixturevalue(SETUP_FIXTURES[request.param])


@pytest.fixture
def any_site(any_server: LiveServer, client: httpx.Client) -> Iterator[Site]:
    with httpx.Client(base_url=any_server.base_url, timeout=10) as http:
        yield new_site(any_server, http)


@pytest.fixture
def other_site_on_same_server(any_server: LiveServer, client: httpx.Client) -> Iterator[Site]:
    with httpx.Client(base_url=any_server.base_url, timeout=10) as http:
        yield new_site(any_server, http)


@pytest.fixture
def site(server: LiveServer, client: httpx.Client) -> Site:
    return new_site(server, client)


@pytest.fixture
def other_site(server: LiveServer, client: httpx.Client) -> Site:
    return new_site(server, client)
