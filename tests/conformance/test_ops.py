"""Health, metrics, query analytics and export, on every setup."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from live import LiveServer, Site
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]


def cli(server: LiveServer, *args: str) -> subprocess.CompletedProcess:
    """`autocompeter ARGS` against the server's own store, as an operator runs it."""
    parts = getattr(server, "parts", None)
    env = parts.env() if parts is not None else {"DATABASE_URL": f"sqlite:///{server.db_path}"}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=60)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Prometheus text -> {(sample name, sorted labels): value}."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def metric(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


# -- health ---------------------------------------------------------------------------


def test_healthz_says_ok(any_server: LiveServer) -> None:
    response = httpx.get(f"{any_server.base_url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "access-control-allow-origin" not in response.headers


def test_readyz_checks_store_and_engine(any_server: LiveServer) -> None:
    response = httpx.get(f"{any_server.base_url}/readyz", timeout=5)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    for part in ("store", "engine"):
        assert body[part]["ok"] is True
        assert isinstance(body[part]["ms"], float | int) and body[part]["ms"] >= 0
        assert "error" not in body[part]


# -- metrics --------------------------------------------------------------------------


FLUSH_SECONDS = 0.2
"""tests/live.py's STATS_FLUSH_SECONDS: how often a worker writes its tally."""


def settled_metrics(base: str) -> str:
    """/metrics once every worker has written what earlier tests' requests counted: the
    same counts (the scrapes of /metrics aside) over more than a flush interval.

    Why: a worker other than the one that answers writes its tally every flush; a
    snapshot taken before it did counted an earlier test's searches in this test's."""
    def counts(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return {key: value for key, value in samples(text).items()
                if key[0].endswith(("_total", "_count"))
                and not dict(key[1]).get("endpoint", "").startswith("ops.")}

    text = httpx.get(f"{base}/metrics").text
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(FLUSH_SECONDS * 1.5)
        again = httpx.get(f"{base}/metrics").text
        if counts(again) == counts(text):
            return again
        text = again
    return text


def test_metrics_count_requests_by_route_and_status(any_site: Site) -> None:
    base = any_site.server.base_url
    before = settled_metrics(base)
    any_site.add("/m", "Metered title")
    for _ in range(3):
        assert any_site.search("metered").status_code == 200
    assert any_site.client.get("/v1", params={"d": any_site.domain}).status_code == 400
    search_ok = {"endpoint": "v1.search", "status": "200"}

    def grew(name: str, **labels: str) -> float:
        return metric(after, name, **labels) - metric(before, name, **labels)

    # Both workers' counts are in the answer, whichever worker gave it, once the
    # other worker has written its tally (every FLUSH_SECONDS).
    deadline = time.monotonic() + 10
    while True:
        response = httpx.get(f"{base}/metrics")
        after = response.text
        counted = grew("autocompeter_http_requests_total", method="GET", **search_ok)
        if counted >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "access-control-allow-origin" not in response.headers
    assert grew("autocompeter_http_requests_total", method="GET", **search_ok) == 3
    assert grew("autocompeter_http_requests_total", endpoint="v1.search", method="GET",
                status="400") == 1
    assert grew("autocompeter_http_requests_total", endpoint="v1.add", method="POST",
                status="201") == 1
    assert grew("autocompeter_http_request_duration_seconds_count", **search_ok) == 3
    # Every search asks the cache; at least the first went to the engine.
    assert (grew("autocompeter_response_cache_hits_total")
            + grew("autocompeter_response_cache_misses_total")) == 3
    assert grew("autocompeter_engine_search_duration_seconds_count") >= 1
    assert metric(after, "autocompeter_documents") >= 1
    if getattr(any_site.server, "parts", None) is not None:  # only the scaled setup has one
        assert ("autocompeter_outbox_depth", ()) in samples(after)
        # A missing sample would read 0: check that it is there before its value.
        assert ("autocompeter_outbox_oldest_age_seconds", ()) in samples(after)
        assert metric(after, "autocompeter_outbox_oldest_age_seconds") >= 0


# -- query analytics ------------------------------------------------------------------


def stats_when(site: Site, ready: Callable[[dict], bool], timeout: float = 5.0) -> dict:
    """/v1/stats once ``ready(body)``: other workers flush their counts every 0.2 s."""
    deadline = time.monotonic() + timeout
    while True:
        body = site.client.get("/v1/stats", headers=site.auth).json()
        if ready(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_stats_list_top_queries_and_misses(any_site: Site,
                                           other_site_on_same_server: Site) -> None:
    any_site.bulk([{"url": "/1", "title": "Python testing"},
                   {"url": "/2", "title": "Python typing"}])
    searches = ["pyth"] * 3 + ["Pyth Test"] * 2 + ["zzzq"] * 2 + ["Café"]
    for q in searches:
        assert any_site.search(q).status_code == 200
    other_site_on_same_server.add("/s", "Secret")
    other_site_on_same_server.search("secret")

    # One visitor's bursts: "pyth" on to "pyth test", then "zzzq", then "cafe" (each
    # starts with another letter), each an intent once every worker wrote its part.
    expected_top = [{"q": q, "count": 1, "clicks": 0, "click_through": 0.0}
                    for q in ["cafe", "pyth test", "zzzq"]]
    body = stats_when(any_site, lambda b: b["top_queries"] == expected_top, timeout=20)
    # Queries are counted as folded words; another domain's never show.
    assert body["top_queries"] == expected_top
    assert body["top_misses"] == [{"q": "cafe", "count": 1}, {"q": "zzzq", "count": 1}]
    # Every request, as top_queries counted them before intents.
    assert body["searches"] == {
        "top_queries": [{"q": q, "count": n} for q, n in
                        [("pyth", 3), ("pyth test", 2), ("zzzq", 2), ("cafe", 1)]],
        "top_misses": [{"q": "zzzq", "count": 2}, {"q": "cafe", "count": 1}]}
    assert body["documents"] == 2
    assert sum(n for months in body["fetches"].values() for n in months.values()) == 8


def test_stats_of_a_domain_without_searches_has_empty_lists(any_site: Site) -> None:
    body = any_site.client.get("/v1/stats", headers=any_site.auth).json()
    assert body == {"fetches": {}, "documents": 0, "top_queries": [], "top_misses": [],
                    "searches": {"top_queries": [], "top_misses": []}, "top_clicks": []}


# -- export ---------------------------------------------------------------------------


def test_export_then_load_round_trips_a_domain(any_site: Site, tmp_path: Path) -> None:
    documents = [
        {"url": "https://example.com/a?x=1&y=2", "title": "Café Ørsted", "group": "",
         "popularity": 3},
        {"url": "https://example.com/b", "title": "Staff \"only\" page", "group": "staff",
         "popularity": 2.5},
        {"url": "https://example.com/c", "title": "Negative", "group": "", "popularity": -1},
    ]
    assert any_site.bulk(documents).status_code == 201

    exported = cli(any_site.server, "export", any_site.domain)
    assert exported.returncode == 0, exported.stderr
    assert exported.stderr.strip() == "exported 3"
    key = lambda d: d["url"]  # noqa: E731
    assert sorted(json.loads(exported.stdout)["documents"], key=key) == sorted(documents, key=key)

    copy = f"copy-{any_site.domain}"
    path = tmp_path / "titles.json"
    path.write_text(exported.stdout)
    loaded = cli(any_site.server, "load", str(path), "--domain", copy)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "loaded 3, rejected 0"
    again = cli(any_site.server, "export", copy)
    assert sorted(json.loads(again.stdout)["documents"], key=key) == sorted(documents, key=key)
    # And the copy is searchable like the original.
    any_site.server.settle()
    found = any_site.client.get("/v1", params={"d": copy, "q": "cafe", "g": "staff"})
    assert found.json()["results"] == [["https://example.com/a?x=1&y=2", "Café Ørsted"]]


def test_export_of_an_unknown_domain_is_one_clear_line(any_server: LiveServer) -> None:
    result = cli(any_server, "export", "no-such-domain.example")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == "autocompeter: no domain named 'no-such-domain.example'"
