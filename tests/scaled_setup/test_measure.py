"""Measured numbers for docs/scaling.md: bulk load until searchable, and search
latency through the service vs the same query sent straight to OpenSearch.
Written to test-output/scaled-measurements.json; the bounds are loose on purpose."""

import json
import statistics
import time

import httpx
import pytest
from live import OUTPUT, ScaledServer, new_site

from app.pages.demo import documents
from core.engine import SearchQuery
from core.text import words
from scaled.query import exact_request

pytestmark = pytest.mark.scaled
QUERIES = ["a", "js", "json du", "asyncio ev", "os pa", "coll", "http cl", "re su", "typ", "str"]
ROUNDS = 30


def test_measure_bulk_load_and_search_latency(scaled_server: ScaledServer) -> None:
    corpus = [{"url": d.url, "title": d.title, "popularity": d.popularity} for d in documents()]
    parts = scaled_server.parts
    assert parts is not None
    with httpx.Client(base_url=scaled_server.base_url, timeout=60) as client:
        site = new_site(scaled_server, client)
        started = time.perf_counter()
        for i in range(0, len(corpus), 500):  # as a site would send them: 500 a request
            assert site.bulk(corpus[i : i + 500]).status_code == 201
        acknowledged = time.perf_counter() - started
        parts.settle()
        searchable = time.perf_counter() - started
        assert parts.engine_count(site.domain) == len(corpus)

        service, direct = [], []
        with httpx.Client(timeout=10) as engine:
            for _ in range(ROUNDS):
                for q in QUERIES:
                    t = time.perf_counter()
                    assert client.get("/v1", params={"d": site.domain, "q": q}).status_code == 200
                    service.append(time.perf_counter() - t)
                    path, body = exact_request(SearchQuery(site.domain, tuple(words(q))))
                    t = time.perf_counter()
                    response = engine.post(f"{parts.engine_url}/{parts.alias}/{path}",
                                           content=body,
                                           headers={"content-type": "application/json"})
                    assert response.status_code == 200
                    direct.append(time.perf_counter() - t)
    numbers = {
        "documents": len(corpus),
        "acknowledged_seconds": round(acknowledged, 3),
        "searchable_seconds": round(searchable, 3),
        "documents_per_second_until_searchable": round(len(corpus) / searchable),
        "search_requests": len(service),
        "median_ms_through_service": round(statistics.median(service) * 1000, 2),
        "median_ms_straight_to_engine": round(statistics.median(direct) * 1000, 2),
        "p95_ms_through_service": round(statistics.quantiles(service, n=20)[-1] * 1000, 2),
    }
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "scaled-measurements.json").write_text(json.dumps(numbers, indent=2))
    print(numbers)
    assert searchable < 60
    assert numbers["median_ms_through_service"] < 500
