"""PostgreSQL stopped and started under a stream of writes (a real private server).

While the database is away, writes answer a clear 503 quickly and searches keep
working from the engine; afterwards the service recovers by itself, and every
write is either wholly there (stored and indexed) or wholly absent.
"""

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live import free_port, new_site, start_scaled_server, stop_server

from scaled_setup.support import PostgresServer, ScaledParts, migrate, require_services

pytestmark = pytest.mark.scaled


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[tuple[PostgresServer, str]]:
    require_services()
    # Directly under /tmp: the postgres user must be able to reach its data.
    workdir = Path(tempfile.mkdtemp(prefix="autocompeter-pg-"))
    server = PostgresServer(workdir, free_port())
    dsn = server.start()
    yield server, dsn
    server.stop("--purge")
    shutil.rmtree(workdir, ignore_errors=True)


def test_writes_fail_cleanly_while_the_database_is_down_and_recover(private_postgres, tmp_path):
    postgres, dsn = private_postgres
    _, search_url = require_services()
    parts = ScaledParts(dsn, search_url, f"test-pg-{free_port()}")
    migrate(parts)
    live = start_scaled_server(tmp_path, parts, DATABASE_TIMEOUT_SECONDS="1")
    outcomes: dict[str, int] = {}
    slowest = 0.0
    stop = threading.Event()
    try:
        with httpx.Client(base_url=live.base_url, timeout=15) as client:
            site = new_site(live, client)

            def write_forever() -> None:
                nonlocal slowest
                with httpx.Client(base_url=live.base_url, timeout=15) as http:
                    n = 0
                    while not stop.is_set():
                        url = f"/w{n}"
                        started = time.monotonic()
                        response = http.post("/v1", headers=site.auth,
                                             json={"url": url, "title": f"Write w{n}"})
                        slowest = max(slowest, time.monotonic() - started)
                        outcomes[url] = response.status_code
                        if response.status_code == 503:
                            assert "database unavailable" in response.json()["error"]
                        n += 1
                        time.sleep(0.02)

            site.add("/before", "Before the outage")
            live.settle()
            writer = threading.Thread(target=write_forever)
            writer.start()
            time.sleep(1.0)
            postgres.stop()
            time.sleep(2.0)
            # The engine still answers searches for a domain the workers know.
            during = client.get("/v1", params={"d": site.domain, "q": "before"})
            postgres.start()
            deadline = time.monotonic() + 30
            recovered = False
            while time.monotonic() < deadline and not recovered:
                time.sleep(0.5)
                recent = list(outcomes.values())[-5:]
                recovered = len(recent) == 5 and all(s == 201 for s in recent)
            stop.set()
            writer.join(timeout=30)

            assert during.status_code == 200
            assert during.json()["results"] == [["/before", "Before the outage"]]
            assert recovered, f"no recovery: last statuses {list(outcomes.values())[-10:]}"
            statuses = set(outcomes.values())
            assert statuses <= {201, 503}, statuses
            assert 503 in statuses, "the outage was not noticed"
            assert slowest < 5, f"a write took {slowest:.1f}s"

            live.settle()
            acknowledged = {url for url, status in outcomes.items() if status == 201}
            stats = client.get("/v1/stats", headers=site.auth).json()
            assert stats["documents"] == len(acknowledged) + 1
            assert parts.engine_count(site.domain) == len(acknowledged) + 1
            # Tokens one edit away follow (the typo tier); the token itself comes first.
            for url in sorted(acknowledged)[:: max(1, len(acknowledged) // 10)]:
                assert site.urls(f"w{url[2:]}")[:1] == [url]
            for url in [u for u, s in outcomes.items() if s == 503][:10]:
                assert url not in site.urls(f"w{url[2:]}")
    finally:
        stop.set()
        stop_server(live)
        parts.drop_indexes()  # the private server's data goes with it (--purge)
