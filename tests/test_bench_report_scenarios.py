"""bench/report_scenarios.py: one setup's section of BENCHMARKS.md, its tables in order, with
issue 6's targets (bench/report_scenario_targets.py) at the top."""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from processes import Memory, WrkResult
from report_scenarios import setup_section
from results import LoadStep, Results, Scenario

ONE_LETTER, TWO_WORDS = Scenario("one letter", "p"), Scenario("two words", "python mod")


def scaled_results() -> Results:
    """A scaled setup at 1 and 50 connections, with a scale curve and engine timings."""
    args = argparse.Namespace(connections=[1, 50], duration=6.0, scale_connections=50,
                              engine_rounds=200)
    results = Results("scaled", args, "cmd", datetime.now(UTC))
    results.loads = [LoadStep(1, 64_000, 64_000, 2.0, 2.5, 0),
                     LoadStep(4, 256_000, 192_000, 8.0, 9.0, 0)]
    for scenario in (ONE_LETTER, TWO_WORDS):
        for conns in (1, 50):
            results.cold[scenario.slug, conns] = WrkResult(1000, 2.0, 8.0, 6000, 0, 250.0)
            results.warm[scenario.slug, conns] = WrkResult(3000, 0.5, 2.0, 18000, 0)
            results.nginx[scenario.slug, conns] = WrkResult(5000, 0.2, 1.0, 30000, 0)
            results.engine_direct[scenario.slug, conns] = WrkResult(1200, 1.6, 6.0, 7000, 0)
        results.hits[scenario.slug] = 10
        results.engine_requests[scenario.slug] = 2
    results.bare_proxy[ONE_LETTER.slug, 50] = WrkResult(1100, 1.8, 7.0, 6500, 0)
    slugs = (ONE_LETTER.slug, TWO_WORDS.slug)
    results.scale = {1: {slug: results.cold[slug, 50] for slug in slugs},
                     4: {slug: WrkResult(900, 3.0, 9.0, 5000, 0) for slug in slugs}}
    results.engine_ms = {4: {slug: (0.4, 1.2) for slug in slugs}}
    results.memory = [("after the cold load test", [Memory(7, 120.4, 160.6)])]
    return results


def test_the_section_holds_the_targets_then_one_table_per_measurement_in_order():
    lines = setup_section(scaled_results(), [ONE_LETTER, TWO_WORDS])
    text = "\n".join(lines)

    headings = [line for line in lines if line.startswith("#")]
    assert headings == [
        "## scaled setup",
        "### Bulk load (`POST /v1/bulk`, chunks of 10,000, one client)",
        "### Queries, cold (`RESPONSE_CACHE_BYTES=0`), 6 s of wrk each",
        "### Queries, warm (response cache at its default size), 6 s of wrk each",
        "### The service against the engine itself (cold, the service's engine requests "
        "POSTed straight to the engine)",
        "### Scale curve: cold, 50 connections, queries on domain 0, the same titles copied "
        "into more domains of the same file",
        "### Where the time goes: the engine alone, in-process, one search at a time",
        "### Memory of the worker processes (`/proc/PID/status`)",
    ]
    assert ("| warm cache ≥ 50% of nginx req/s, every scenario at 50 connections "
            "| worst 60.0%") in text
    assert ("| service p50 ≤ 1.3x the engine's own p50, same query, at 50 connections "
            "| worst 1.25x (one letter) | met |") in text
    # A bare proxy measured for one scenario only: the other's cells say so.
    assert ("| one letter | 50 | 1,000 | 2.00 | 2 | 1,200 | 1.60 | 1.25x "
            "| 1,100 | 1.80 | 1.12x |") in text
    assert "| two words | 50 | 1,000 | 2.00 | 2 | 1,200 | 1.60 | 1.25x | - | - | - |" in text
    assert "| one letter | 1,000 · 2.00 · 8.00 · 250 | 900 · 3.00 · 9.00 · - | 1.50x |" in text
    assert "| after the cold load test | 7 | 120 | 161 |" in text


def test_runs_with_too_many_errors_and_notes_come_before_the_tables():
    results = scaled_results()
    results.cold[ONE_LETTER.slug, 1] = WrkResult(1000, 2.0, 8.0, 6000, 61)
    results.notes.append("scale phase failed")

    lines = setup_section(results, [ONE_LETTER, TWO_WORDS])

    warning = next(i for i, line in enumerate(lines) if "1 wrk runs got more than 1%" in line)
    assert lines[warning + 2] == "- scale phase failed"
    assert warning < lines.index("### Bulk load (`POST /v1/bulk`, chunks of 10,000, one client)")
