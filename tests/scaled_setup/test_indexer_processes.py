"""The indexer as operators run it, on the real PostgreSQL and OpenSearch:
`autocompeter indexer` as a process of its own (INDEXER_IN_SERVE=false), and
`autocompeter reindex` while writes and searches keep coming."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import asyncpg
import httpx
import pytest
from live import ScaledServer, Site, new_site, start_scaled_server, stop_server

from scaled_setup.support import (
    ROOT,
    ScaledParts,
)

pytestmark = pytest.mark.scaled


def command(parts: ScaledParts, *args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def environment(parts: ScaledParts) -> dict[str, str]:
    return {**os.environ, **parts.env(), "INDEXER_POLL_SECONDS": "0.2"}


async def store_titles(database_url: str, domain: str) -> dict[str, str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT d.url, d.title FROM documents d JOIN domains m"
                                " ON m.id = d.domain_id WHERE m.name = $1", domain)
        return {row["url"]: row["title"] for row in rows}
    finally:
        await conn.close()


def engine_titles(parts: ScaledParts, domain: str) -> dict[str, str]:
    response = httpx.post(f"{parts.engine_url}/{parts.alias}/_search", timeout=30, json={
        "query": {"term": {"domain": domain}}, "size": 10_000, "_source": ["url", "title"]})
    response.raise_for_status()
    return {hit["_source"]["url"]: hit["_source"]["title"]
            for hit in response.json()["hits"]["hits"]}


def test_a_standalone_indexer_feeds_the_engine_when_serve_does_not(parts, tmp_path: Path):
    live = start_scaled_server(tmp_path, parts, INDEXER_IN_SERVE="false")
    indexer = None
    try:
        with httpx.Client(base_url=live.base_url, timeout=15) as client:
            site = new_site(live, client)
            assert site.bulk([{"url": f"/{i}", "title": f"Queued {i}"}
                              for i in range(20)]).status_code == 201
            # serve only queues: nothing has reached the engine.
            assert parts.outbox_size() == 20
            assert parts.engine_count(site.domain) == 0
            log = (tmp_path / "indexer.log").open("wb")
            indexer = subprocess.Popen(command(parts, "indexer"), cwd=ROOT,
                                       env=environment(parts), stdout=log,
                                       stderr=subprocess.STDOUT)
            parts.settle()
            assert parts.engine_count(site.domain) == 20
            assert site.add("/late", "Written while the indexer runs").status_code == 201
            parts.settle()
            assert site.urls("written while") == ["/late"]
            indexer.send_signal(signal.SIGINT)  # Ctrl-C, as the command says
            assert indexer.wait(timeout=30) == 0
    finally:
        if indexer is not None and indexer.poll() is None:
            indexer.kill()
        stop_server(live)


def write_and_search_until_stopped(site: Site, server: ScaledServer, stop: threading.Event,
                                   written: dict[str, str], searches: list[int]) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        n = 0
        while not stop.is_set():
            # New URLs and rewrites of old ones, so the copy meets changed documents.
            url, title = f"/r{n % 150}", f"Rewritten {n % 150} version {n}"
            response = http.post("/v1", headers=site.auth, json={"url": url, "title": title})
            assert response.status_code == 201, response.text
            written[url] = title
            searches.append(http.get("/v1", params={"d": site.domain,
                                                    "q": "rewritten"}).status_code)
            n += 1


def test_reindex_under_live_writes_loses_and_stales_nothing(parts, tmp_path: Path):
    live = start_scaled_server(tmp_path, parts)
    stop = threading.Event()
    written: dict[str, str] = {}
    searches: list[int] = []
    try:
        with httpx.Client(base_url=live.base_url, timeout=15) as client:
            site = new_site(live, client)
            assert site.bulk([{"url": f"/base/{i}", "title": f"Base {i}"}
                              for i in range(3000)]).status_code == 201
            live.settle()
            writer = threading.Thread(target=write_and_search_until_stopped,
                                      args=(site, live, stop, written, searches))
            writer.start()
            deadline = time.monotonic() + 60
            while len(written) < 20:
                assert time.monotonic() < deadline and writer.is_alive()
                time.sleep(0.01)
            reindex = subprocess.run(command(parts, "reindex"), cwd=ROOT,
                                     env=environment(parts), capture_output=True, text=True,
                                     timeout=300)
            during = len(searches)
            deadline = time.monotonic() + 60
            while len(searches) < during + 20:  # writes go on after the swap too
                assert time.monotonic() < deadline and writer.is_alive()
                time.sleep(0.01)
            stop.set()
            writer.join(timeout=60)
            assert reindex.returncode == 0, reindex.stderr
            assert "reindexed" in reindex.stdout
            live.settle()
            assert set(searches) == {200}, "searches failed during the reindex"
            stored = asyncio.run(store_titles(parts.database_url, site.domain))
            assert {url: stored[url] for url in written} == written
            assert engine_titles(parts, site.domain) == stored
    finally:
        stop.set()
        stop_server(live)
