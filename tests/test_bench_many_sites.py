"""The many-sites part of the bench report (bench/report_misses.py): its targets."""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from latency import LatencySummary
from many_sites import BUILDING, HITS, INSIDE, MISSES, OUTSIDE, ManySitesResults
from processes import Memory
from report_misses import many_sites_section


def test_the_section_counts_slow_searches_on_the_domain_outside_the_index():
    args = argparse.Namespace(workers=2, many_sites_queries=1000)
    many = ManySitesResults(args, datetime.now(UTC), domains=16, titles=1_019_152)
    many.latency = {
        (OUTSIDE, "bench15.example"): {HITS: LatencySummary(1000, 0.4, 3.0, 12.0, 1, 0),
                                       MISSES: LatencySummary(1000, 2.0, 40.0, 90.0, 30, 2)},
        (INSIDE, "bench0.example"): {HITS: LatencySummary(1000, 0.3, 1.0, 60.0, 1, 1)},
        (BUILDING, "bench15.example"): {HITS: LatencySummary(1000, 0.3, 1.0, 2.0)},
    }
    many.memory = [("after", [Memory(1, 140.0, 150.0), Memory(2, 160.0, 170.0)])]

    text = "\n".join(many_sites_section(many))

    assert "1,019,152 titles in one SQLite file" in text
    # Only the domain FTS5 answers counts for the target, the first of a kind included.
    assert (f"| bench15.example, {OUTSIDE}: no search over 10 ms | 31 of 2,000 "
            "| **missed** |") in text
    assert "none over 50 ms, even the first of its kind | 2 of 2,000 | **missed** |" in text
    assert f"{INSIDE}: no search" not in text and f"{BUILDING}: no search" in text
    assert "| RSS ≤ 150 MB per worker | largest 160 MB | **missed** |" in text
