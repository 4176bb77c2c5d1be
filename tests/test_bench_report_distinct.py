"""bench/report_distinct.py: the never-seen queries section, with the tiers and issue 24's
targets that bench/report_misses.py writes into it."""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from latency import LatencySummary
from processes import WrkResult
from report_distinct import distinct_section
from results import BARE_SANIC, CROSS_TITLE, GO, MIXED, OURS, DistinctResults
from suggestions_run import SuggestionsCost
from tiers import MISSES, StreamTiers


def test_the_report_prints_shares_cpu_per_tier_and_the_issue_24_targets():
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


def test_the_report_prints_what_asking_for_suggestions_costs_and_the_issue_28_target():
    args = argparse.Namespace(distinct_connections=50, workers=2, distinct_duration=6,
                              latency_queries=3000, tier_queries=10_000, tier_sample=3000)
    distinct = DistinctResults(args, datetime.now(UTC), queries=100, one_word_queries=60)
    distinct.suggestions = SuggestionsCost(
        intents=3000,
        without=[WrkResult(2000, 20, 40, 12_000, 0, cpu_us_per_request=500),
                 WrkResult(1800, 22, 44, 10_800, 0, cpu_us_per_request=520)],
        asking=[WrkResult(1900, 21, 42, 11_400, 0, cpu_us_per_request=540),
                WrkResult(1700, 23, 46, 10_200, 0, cpu_us_per_request=560)],
        sampled=1000, suggested=870)

    text = "\n".join(distinct_section(distinct))

    # CPU summed over requests: 509 us without, 549 with, 1.078x.
    assert "| suggestions add ≤ 10% CPU (issue 28" in text
    assert "| +7.8% (1.078x) | met |" in text
    assert "| 1, without | 2,000 | 20.0 | 40.0 | 500 | 0 |" in text
    assert "| 2, s=3 | 1,700 | 23.0 | 46.0 | 560 | 0 |" in text
    assert "509 us without, 549 us with `&s=3`: 1.078x (+7.8%)" in text
    assert "Mean req/s: 1,900 without, 1,800 with." in text
    assert "870 of 1,000 queries of the stream (87%)" in text

    distinct.suggestions.asking[0].cpu_us_per_request = 700
    assert "| +24.4% (1.244x) | **missed** |" in "\n".join(distinct_section(distinct))
