"""/readyz names the part that is down. The engine outage is simulated by a
closed port: SEARCH_URL points where nothing listens, so every connection is
refused at once, as when the engine's process is gone."""

import time
from pathlib import Path

import httpx
import pytest
from live import free_port, start_scaled_server, stop_server

from scaled_setup.support import drop_database, new_parts, require_services

pytestmark = pytest.mark.scaled


def test_readyz_is_503_naming_the_engine_when_it_is_down(tmp_path: Path) -> None:
    database_base, _ = require_services()
    parts = new_parts(database_base, f"opensearch+http://127.0.0.1:{free_port()}")
    try:
        # serve starts anyway: writes queue in the outbox until the engine is back.
        server = start_scaled_server(tmp_path, parts)
        try:
            started = time.monotonic()
            response = httpx.get(f"{server.base_url}/readyz", timeout=10)
            elapsed = time.monotonic() - started
            assert response.status_code == 503, response.text
            body = response.json()
            assert body["status"] == "unavailable"
            assert body["store"]["ok"] is True and "error" not in body["store"]
            assert body["engine"]["ok"] is False and body["engine"]["error"]
            assert elapsed < 2, f"readyz took {elapsed:.2f}s; each check has a 1 s bound"
            # Liveness is about the process only: no restart for a dependency's outage.
            assert httpx.get(f"{server.base_url}/healthz").status_code == 200
        finally:
            stop_server(server)
    finally:
        drop_database(parts.database_url, database_base)
