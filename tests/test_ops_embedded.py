"""Metrics across worker processes, the query counters' memory bound, and
`autocompeter stats`, on the embedded setup."""

import asyncio
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from live import ROOT, Site, start_server, stop_server
from prometheus_client import CollectorRegistry, generate_latest, multiprocess

from app.http.search_counter import FetchCounter
from embedded.database import SqliteDatabase
from embedded.store import SqliteStore

SEARCHES = 'autocompeter_http_requests_total{endpoint="v1.search",method="GET",status="200"}'
TIMED_SEARCHES = ('autocompeter_http_request_duration_seconds_count'
                  '{endpoint="v1.search",status="200"}')


def search_count(metrics_text: str, sample: str = SEARCHES) -> float:
    for line in metrics_text.splitlines():
        if line.startswith(sample):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def per_process_search_counts(metrics_dir: Path, scratch: Path) -> list[float]:
    """Each process's own count, read from its file alone."""
    counts = []
    for path in sorted(metrics_dir.glob("counter_*.db")):
        alone = scratch / path.stem
        alone.mkdir(parents=True)
        shutil.copy(path, alone / path.name)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(alone))
        counts.append(search_count(generate_latest(registry).decode()))
    return counts


def test_metrics_add_up_every_worker_and_go_away_with_the_server(tmp_path: Path) -> None:
    # TMPDIR puts serve's fresh metrics directory where the test can look at it.
    server = start_server(tmp_path, workers=2, TMPDIR=str(tmp_path))
    try:
        [metrics_dir] = tmp_path.glob("autocompeter-metrics-*")
        domain = "metrics.example"
        server.create_key(domain)
        # A new connection per request, so the kernel hands them to both workers.
        searches = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for _ in range(20):
                response = httpx.get(f"{server.base_url}/v1", params={"d": domain, "q": "x"})
                assert response.status_code == 200
                searches += 1
            scratch = tmp_path / f"scratch-{searches}"
            if sum(n > 0 for n in per_process_search_counts(metrics_dir, scratch)) >= 2:
                break
        # Each worker writes its tally every STATS_FLUSH_SECONDS (0.2 s here).
        deadline = time.monotonic() + 10
        while True:
            counts = per_process_search_counts(metrics_dir, tmp_path / f"final-{time.time()}")
            if sum(counts) >= searches or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert sum(n > 0 for n in counts) >= 2, f"one worker took every request: {counts}"
        metrics = httpx.get(f"{server.base_url}/metrics").text
        assert search_count(metrics) == sum(counts) == searches
        assert search_count(metrics, TIMED_SEARCHES) == searches  # and each one timed
    finally:
        stop_server(server)
    assert not metrics_dir.exists(), "serve must remove its metrics directory at exit"


def test_pending_distinct_queries_are_capped(tmp_path: Path) -> None:
    async def run() -> tuple[int, list[tuple[str, int]]]:
        store = SqliteStore(SqliteDatabase(tmp_path / "cap.db"))
        try:
            await store.migrate()
            await store.create_key("cap.example")
            await store.create_key("other.example")
            counter = FetchCounter(store, max_pending_queries=3)
            # Past the cap a new query takes the least searched one's place and count
            # (Space-Saving): "d" takes "a"'s, "e" "b"'s, "a" "c"'s; "e" again is its.
            for q in ["a", "b", "c", "d", "e", "a", "e"]:
                counter.record("cap.example", q, found=q != "b")
            counter.record("other.example", "x")  # no room, none of its own to replace
            await counter.flush()
            counter.record("cap.example", "d")  # a new flush interval has room again
            await counter.flush()
            top = await store.top_queries("cap.example", since=datetime.now(UTC).date(), limit=10)
            return counter.dropped, top.queries
        finally:
            await store.close()

    dropped, queries = asyncio.run(run())
    assert dropped == 1
    assert queries == [("d", 3), ("e", 3), ("a", 2)]  # 8 searches, none lost


def test_stats_command_draws_searches_top_queries_and_clicks(site: Site) -> None:
    site.bulk([{"url": "/1", "title": "Python testing"}])
    for q in ["pyth"] * 4 + ["pyth test"] * 2 + ["nothing here"]:
        site.search(q)
    click = {"d": site.domain, "q": "Pyth Test", "url": "/1"}
    assert site.client.post("/v1/click", json=click).status_code == 204
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{site.server.db_path}"}

    def stats() -> str:
        result = subprocess.run([sys.executable, "-m", "app.cli", "stats", site.domain],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    # The workers write their counts every 0.2 s in the tests; a burst of searches
    # counts as an intent a pause (3 s) and a margin (2 s) after its last search.
    deadline = time.monotonic() + 20
    while "pyth test (" not in (out := stats()) and time.monotonic() < deadline:
        time.sleep(0.2)
    lines = out.splitlines()
    assert lines[0] == f"{site.domain}: 1 document"
    month = time.strftime("%Y-%m", time.gmtime())
    assert any(line.split()[:1] == [month] and line.endswith(" 7") for line in lines)
    top = lines[lines.index("top queries, last 30 days") + 1:]
    # Intents: one visitor's "pyth" typed on to "pyth test", then "nothing here"; with
    # the share of each query's searches that ended in a click on a result.
    assert top[:2] == ["  nothing here (0% clicked)  " + "█" * 40 + " 1",
                       "  pyth test (100% clicked)   " + "█" * 40 + " 1"]
    misses = lines[lines.index("top queries without results, last 30 days") + 1:]
    assert misses[:2] == ["  nothing here  " + "█" * 40 + " 1", ""]
    clicked = lines[lines.index("most clicked results, last 30 days") + 1:]
    assert clicked == ["  Python testing /1  " + "█" * 40 + " 1"]
