"""What the README promises for the scaled setup: a write answered 201 is in
PostgreSQL for good, even if PostgreSQL is killed with SIGKILL right after.

The shared test server runs with fsync and synchronous_commit off for speed; this
test starts a private one as production runs (PG_DURABLE=1: fsync,
synchronous_commit and full_page_writes on) and checks it really is.
"""

import asyncio
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from live import free_port, new_site, start_scaled_server, stop_server

from scaled_setup.support import PostgresServer, ScaledParts, migrate, require_services

pytestmark = pytest.mark.scaled


@pytest.fixture
def durable_postgres() -> Iterator[tuple[PostgresServer, str]]:
    require_services()
    workdir = Path(tempfile.mkdtemp(prefix="autocompeter-pg-durable-"))
    server = PostgresServer(workdir, free_port(), durable=True)
    dsn = server.start()
    yield server, dsn
    server.stop("--purge")
    shutil.rmtree(workdir, ignore_errors=True)


async def setting(dsn: str, name: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(f"SHOW {name}")
    finally:
        await conn.close()


async def stored_urls(dsn: str, domain: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT d.url FROM documents d JOIN domains m"
                                " ON m.id = d.domain_id WHERE m.name = $1", domain)
        return {row["url"] for row in rows}
    finally:
        await conn.close()


def test_acknowledged_writes_survive_kill_9_of_postgresql(durable_postgres, tmp_path):
    postgres, dsn = durable_postgres
    for name in ("fsync", "synchronous_commit", "full_page_writes"):
        assert asyncio.run(setting(dsn, name)) == "on", name
    _, search_url = require_services()
    parts = ScaledParts(dsn, search_url, f"test-durable-{free_port()}")
    migrate(parts)
    live = start_scaled_server(tmp_path, parts, workers=1, DATABASE_TIMEOUT_SECONDS="1")
    acknowledged: list[str] = []
    stop = threading.Event()
    try:
        with httpx.Client(base_url=live.base_url, timeout=15) as client:
            site = new_site(live, client)

            def write_until_stopped() -> None:
                with httpx.Client(base_url=live.base_url, timeout=15) as http:
                    n = 0
                    while not stop.is_set():
                        url = f"/d{n}"
                        try:
                            response = http.post("/v1", headers=site.auth,
                                                 json={"url": url, "title": f"Durable {n}"})
                        except httpx.HTTPError:
                            continue
                        if response.status_code == 201:
                            acknowledged.append(url)
                        n += 1

            writer = threading.Thread(target=write_until_stopped)
            writer.start()
            deadline = time.monotonic() + 60
            while len(acknowledged) < 200:
                assert time.monotonic() < deadline, "writes were not acknowledged"
                time.sleep(0.01)
            os.kill(postgres.postmaster_pid, signal.SIGKILL)  # mid-stream, no warning
            # A write in flight gets its 201 only if it committed before the kill.
            stop.set()
            writer.join(timeout=60)
        dsn = postgres.start()  # crash recovery replays the WAL
        stored = asyncio.run(stored_urls(dsn, site.domain))
        lost = [url for url in acknowledged if url not in stored]
        assert not lost, f"{len(lost)} acknowledged writes lost, e.g. {lost[:5]}"
        assert len(acknowledged) >= 200
    finally:
        stop.set()
        stop_server(live)
        parts.drop_indexes()
