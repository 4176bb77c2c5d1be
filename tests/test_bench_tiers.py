"""bench/tiers.py: each tier's queries sent once each by wrk, and the tiers of a stream
read from the real embedded engine on a real SQLite file."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from test_bench_workload import Recorder, recorder  # noqa: F401 (a fixture)
from tiers import MISSES, StreamTiers, StreamToClassify, classify_streams, run_once
from workload import write_paths


def test_wrk_sends_each_query_once_and_stops_when_all_are_answered(recorder, tmp_path):  # noqa: F811
    queries = [f"q{i}" for i in range(1000)]
    paths = write_paths(queries, "bench0.example", tmp_path / "once.paths")
    url = f"http://127.0.0.1:{recorder.server_address[1]}/"

    started = time.monotonic()
    result = run_once(paths, url, 10, [os.getpid()], timeout=100)

    assert time.monotonic() - started < 60  # not the 100 s of -d
    assert set(recorder.queries) == set(queries)
    # Only the requests in flight when a thread's last answer came may repeat.
    assert len(recorder.queries) - len(queries) <= 10
    assert result.requests >= len(queries)
    assert result.cpu_us_per_request is not None


def test_a_stream_split_by_tier_and_its_dead_ends(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'tiers.db'}"
    fill(database_url, ["Python requests library", "GNOME shell extensions"])
    cross = frozenset({"python shel", "gnome reque"})
    stream = StreamToClassify(["pyt", "python shel", "gnome reque", "zzqx"], cross)

    found = classify_streams(database_url, "bench0.example", {"cross": stream})["cross"]

    assert list(found.tier_of) == ["pyt", "python shel", "gnome reque", "zzqx"]
    tiers = set(found.tier_of.values())
    assert tiers <= {"exact", "joined", "corrected", "fewer words", "none"}
    # Each word alone finds a title; no title has both: a dead end unless the
    # engine answers with what one word finds (issue 24).
    assert found.cross_two_word == 2 and found.words_alone_find == 2
    assert found.dead_ends == [q for q in ["python shel", "gnome reque"]
                               if not hits(database_url, q)]
    assert found.tier_of["pyt"] == "exact" and found.tier_of["zzqx"] == "none"
    assert found.tier_of["python shel"] == found.tier_of["gnome reque"] == "fewer words"
    assert found.sample("exact", 1) == ["pyt"]


def hits(database_url: str, query: str) -> list[object]:
    """The real engine's answer to ``query``, searched on its own."""
    import asyncio

    from app.shared.backends import open_backends
    from app.shared.settings import load_settings
    from core.engine import SearchQuery
    from core.text import query_words

    async def search() -> list[object]:
        backends = open_backends(load_settings(database_url=database_url))
        try:
            query_of = SearchQuery("bench0.example", query_words(query))
            return list((await backends.engine.search(query_of)).hits)
        finally:
            await backends.close()

    return asyncio.run(search())


def fill(database_url: str, titles: list[str]) -> None:
    """A domain with ``titles``, written through the real store, as a bulk load does."""
    import asyncio

    from app.shared.backends import open_backends
    from app.shared.settings import load_settings
    from core.store import Document

    async def write() -> None:
        backends = open_backends(load_settings(database_url=database_url))
        try:
            await backends.store.migrate()
            await backends.store.create_key("bench0.example")  # creates the domain
            await backends.store.upsert("bench0.example", [
                Document(f"https://x.example/{i}", title, popularity=i)
                for i, title in enumerate(titles)])
        finally:
            await backends.close()

    asyncio.run(write())


def test_stream_tiers_counts():
    tiers = StreamTiers(tier_of={"a": "exact", "b": "none", "c": "exact"})

    assert tiers.counts() == {"exact": 2, "none": 1}
    assert tiers.sample("exact", 1) == ["a"]



def test_the_report_prints_shares_cpu_per_tier_and_the_issue_24_targets():
    import argparse
    from datetime import UTC, datetime

    from latency import LatencySummary
    from processes import WrkResult
    from report import distinct_section
    from results import BARE_SANIC, CROSS_TITLE, GO, MIXED, OURS, DistinctResults

    args = argparse.Namespace(distinct_connections=50, workers=2, distinct_duration=6,
                              latency_queries=3000, tier_queries=10_000, tier_sample=3000)
    distinct = DistinctResults(args, datetime.now(UTC), queries=100, one_word_queries=60,
                               cross_queries={"cross-title two words": 60})
    run = WrkResult(rps=3000, p50_ms=5, p99_ms=20, requests=100, errors=0)
    distinct.runs = {(OURS, CROSS_TITLE): run,
                     (GO, CROSS_TITLE): WrkResult(1000, 5, 10, 100, 0),
                     (OURS, MIXED): run, (GO, MIXED): WrkResult(1000, 5, 30, 100, 0)}
    tiers = StreamTiers(tier_of={"a": "exact", "b": "fewer words", "c": "fewer words"},
                        cross_two_word=2, together=1, words_alone_find=2,
                        dead_ends=["gnome sx"], sampled={"exact": 1, "fewer words": 2})
    tiers.runs = {"exact": WrkResult(1, 1, 1, 3000, 0, cpu_us_per_request=100),
                  "fewer words": WrkResult(1, 1, 1, 3000, 0, cpu_us_per_request=300)}
    distinct.tiers = {CROSS_TITLE: tiers}
    distinct.latency = {BARE_SANIC: {"all": LatencySummary(10, 0.1, 0.2, 0.3)}}
    distinct.cross_latency = {OURS: {"exact": LatencySummary(1, 0.3, 0.5, 0.6),
                                     "fewer words": LatencySummary(2, 0.5, 3.0, 4.0),
                                     MISSES: LatencySummary(2, 0.5, 3.0, 4.0)}}

    text = "\n".join(distinct_section(distinct))

    assert "| cross-title, 50 connections: ≥ 1.5x the Go service's req/s | 3.00x" in text
    assert "| cross-title: p99 ≤ the Go service's | 20.0 ms vs 10.0 ms | **missed** |" in text
    assert "| 1 of 2 (50.0%) | **missed** |" in text and "`gnome sx`" in text
    assert "| cross-title | fewer words | 66.7% | 2 | 2 | 300 |" in text
    assert "50% match a title with both words" in text
    assert "worst 3.00x (fewer words) | **missed** |" in text
    # Server time: the one-client time less the bare app's median (0.1 ms).
    assert "the 2 misses of the cross-title stream" in text
    assert "median 0.40 ms, p99 2.90 ms | **missed** |" in text
