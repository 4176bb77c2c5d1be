"""bench/engine_requests.py on the real OpenSearch node: the engine requests of each search
of the never-seen streams, by tier, on a few hundred titles in an index of the test's own."""

import asyncio
import random
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from engine_requests import (
    TARGET,
    cluster_of,
    count_engine_requests,
    delete_index,
    engine_requests_table,
    load_titles,
    never_seen_streams,
)
from results import CROSS_TITLE, MIXED
from scaled_setup.support import require_services
from tiers import EXACT, MISSES

pytestmark = pytest.mark.scaled

WORDS = ["gnome", "shell", "python", "library", "perl", "module", "font", "family",
         "compression", "tool", "xml", "parser", "desktop", "theme", "audio", "player",
         "video", "codec", "network", "manager", "kernel", "driver", "game", "engine",
         "spreadsheet", "editor", "calendar", "client", "server", "daemon", "image", "viewer"]


def titles(count: int) -> list[dict[str, object]]:
    rng = random.Random(24)
    return [{"url": f"https://x.example/{number}",
             "title": f"{rng.choice(WORDS)}{number % 7 or ''} — {' '.join(rng.sample(WORDS, 4))}",
             "popularity": rng.randrange(4), "group": ""}
            for number in range(count)]


def test_engine_requests_are_counted_by_tier_and_a_miss_costs_two_at_most() -> None:
    search_url = require_services()[1]
    env = {"SEARCH_URL": search_url, "SEARCH_INDEX": f"test-{uuid.uuid4().hex[:10]}"}
    documents = titles(300)
    index = asyncio.run(load_titles(cluster_of(env), "bench0.example", documents))
    try:
        streams = never_seen_streams(documents, sample=150, count=300)  # type: ignore[arg-type]
        found = count_engine_requests(env, "bench0.example", streams)
    finally:
        asyncio.run(delete_index(cluster_of(env), index))

    assert set(found) == {MIXED, CROSS_TITLE}
    for name, tiers in found.items():
        assert sum(counted.queries for tier, counted in tiers.items()
                   if tier != MISSES) == len(streams[name])
        assert 1 <= tiers[EXACT].mean <= tiers[EXACT].most <= 2
    misses = found[CROSS_TITLE][MISSES]
    assert misses.queries > 20 and misses.mean <= TARGET
    table = engine_requests_table(found)
    assert table[0].startswith("| stream | tier | queries |")
    assert table[-1].startswith("Target: engine requests per miss <= 2 (issue 24)")
    assert ": met" in table[-1], "\n".join(table)
