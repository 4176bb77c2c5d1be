"""The scaled setup on OpenSearch 3 (services/opensearch3, Java 25): the "scaled-os3" copies
of the conformance suite run on a node of their own, started once a session.

Without Java 21+ at OPENSEARCH3_JAVA_HOME (default temurin 25) they are skipped locally
and fail on CI (env CI set), as require_services does for PostgreSQL and OpenSearch.
"""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from live import ScaledServer, free_port, start_scaled_server, stop_server

from scaled_setup.support import SERVICES, drop_database, new_parts, require_services

JAVA_HOME = Path(os.environ.get("OPENSEARCH3_JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"))


def require_java() -> None:
    if not (JAVA_HOME / "bin/java").exists():
        message = f"OpenSearch 3 needs Java 21+: no {JAVA_HOME}/bin/java (OPENSEARCH3_JAVA_HOME)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def opensearch3_node(workdir: Path) -> Iterator[str]:
    """A single OpenSearch 3.9 node in ``workdir`` until closed; yields its SEARCH_URL."""
    require_java()
    port = free_port()
    # A busy two-core machine starts a JVM slowly: allow more than start.sh's 120 s.
    env = {**os.environ, "OPENSEARCH_START_TIMEOUT": "280"}
    subprocess.run([str(SERVICES / "opensearch3/start.sh"), str(workdir), str(port)],
                   check=True, capture_output=True, timeout=300, env=env)
    try:
        yield f"opensearch+http://127.0.0.1:{port}"
    finally:
        subprocess.run([str(SERVICES / "opensearch3/stop.sh"), str(workdir)], check=True,
                       capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def scaled_os3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledServer]:
    """`serve` on a database of its own and an OpenSearch 3 node of its own."""
    database_base, _ = require_services()
    with opensearch3_node(tmp_path_factory.mktemp("opensearch3")) as search_url:
        parts = new_parts(database_base, search_url)
        try:
            live = start_scaled_server(tmp_path_factory.mktemp("scaled-os3"), parts,
                                       SEARCH_TIMEOUT_SECONDS="10")
            yield live
            stop_server(live)
        finally:
            drop_database(parts.database_url, database_base)
