"""What happens when the search engine goes away: the real OpenSearch process is
stopped (SIGTERM via services/opensearch/stop.sh) or frozen (SIGSTOP) in the
middle of a bulk load through the API. No fakes: these are real failures."""

import os
import signal
import threading
import time

import httpx
import pytest
from live import ScaledServer, Site, new_site

from scaled_setup.support import OpenSearchNode

pytestmark = pytest.mark.scaled

BATCH = 100
BATCHES = 30
STOP_AFTER = 8
START_AFTER = 22


def doc(n: int, title: str | None = None) -> dict:
    # A fixed-width token per document: searching it finds that one first (then,
    # as the typo tier fills the rest, tokens one edit away).
    return {"url": f"https://example.com/{n}", "title": title or f"Doc t{n:06d} item",
            "popularity": n % 7}


def assert_503_quickly(site: Site) -> None:
    started = time.monotonic()
    response = site.client.get("/v1", params={"d": site.domain, "q": "item"})
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert response.json() == {"error": "search engine unavailable, try again shortly"}
    assert elapsed < 1.5, f"503 took {elapsed:.2f}s"


def test_acknowledged_writes_survive_an_engine_outage(
    private_server: ScaledServer, private_node: OpenSearchNode
) -> None:
    with httpx.Client(base_url=private_server.base_url, timeout=30) as client:
        site = new_site(private_server, client)
        stopper: threading.Thread | None = None
        starter: threading.Thread | None = None
        for batch in range(BATCHES):
            if batch == STOP_AFTER:
                # Stop the engine while bulk loads keep coming in.
                stopper = threading.Thread(target=private_node.stop)
                stopper.start()
            if batch == STOP_AFTER + 4:
                assert stopper is not None
                stopper.join()
                assert_503_quickly(site)
                # Changes made while the engine is away: new titles and deletions.
                assert site.add("https://example.com/3", "Renamed while down").status_code == 201
                for n in (5, 6, 7):
                    gone = client.delete("/v1", params={"url": f"https://example.com/{n}"},
                                         headers=site.auth)
                    assert gone.status_code == 200, gone.text
            if batch == START_AFTER:
                starter = threading.Thread(target=private_node.start)
                starter.start()
            documents = [doc(n) for n in range(batch * BATCH, (batch + 1) * BATCH)]
            response = site.bulk(documents)
            assert response.status_code == 201, response.text  # stored and queued
        assert starter is not None
        starter.join()

        private_server.settle()
        expected = BATCH * BATCHES - 3
        stats = client.get("/v1/stats", headers=site.auth).json()
        assert stats["documents"] == expected
        assert private_server.parts is not None
        # Every acknowledged document is in the engine, none twice.
        assert private_server.parts.engine_count(site.domain) == expected
        for n in (0, 42, STOP_AFTER * BATCH + 1, 1999, BATCH * BATCHES - 1):
            assert site.urls(f"t{n:06d}")[:1] == [f"https://example.com/{n}"]
        assert site.urls("renamed while") == ["https://example.com/3"]
        for n in (3, 5, 6, 7):
            assert f"https://example.com/{n}" not in site.urls(f"t{n:06d}")


def test_a_frozen_engine_answers_503_within_the_timeout(
    private_server: ScaledServer, private_node: OpenSearchNode
) -> None:
    """SIGSTOP: the engine accepts connections but never answers (a hung node)."""
    with httpx.Client(base_url=private_server.base_url, timeout=30) as client:
        site = new_site(private_server, client)
        assert site.add("/x", "Frozen engine").status_code == 201
        private_server.settle()
        pid = private_node.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            assert_503_quickly(site)
            assert site.add("/y", "Written while frozen").status_code == 201
        finally:
            os.kill(pid, signal.SIGCONT)
        assert site.urls("written") == ["/y"]
