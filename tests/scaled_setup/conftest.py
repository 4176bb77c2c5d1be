"""Fixtures for tests that need a scaled-out setup of their own (e.g. to stop its engine)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from live import free_port, start_scaled_server, stop_server

from scaled_setup.support import (
    OpenSearchNode,
    ScaledParts,
    drop_database,
    migrate,
    new_parts,
    require_services,
)

pytestmark = pytest.mark.scaled


@pytest.fixture
def parts() -> Iterator[ScaledParts]:
    """A database and an index of this test's own on the shared services, migrated."""
    database_base, search_url = require_services()
    made = new_parts(database_base, search_url)
    migrate(made)
    yield made
    made.drop_indexes()
    drop_database(made.database_url, database_base)


@pytest.fixture(scope="module")
def private_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenSearchNode]:
    """An OpenSearch node only this module uses, so stopping it disturbs no other test."""
    require_services()
    node = OpenSearchNode(tmp_path_factory.mktemp("opensearch"), free_port())
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="module")
def private_parts(private_node: OpenSearchNode) -> Iterator[ScaledParts]:
    database_base, _ = require_services()
    parts = new_parts(database_base, private_node.url)
    migrate(parts)
    yield parts
    drop_database(parts.database_url, database_base)


@pytest.fixture(scope="module")
def private_server(private_parts: ScaledParts, tmp_path_factory: pytest.TempPathFactory):
    tmp: Path = tmp_path_factory.mktemp("private-server")
    live = start_scaled_server(tmp, private_parts)
    yield live
    stop_server(live)
