"""bench/scaled_engine.py records the engine requests the service sends for a scenario,
for the bare proxy and the engine-direct runs to send the same: on the real OpenSearch
node, in an index of the test's own."""

import asyncio
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from engine_requests import cluster_of, delete_index, load_titles
from scaled_engine import service_engine_requests
from scaled_setup.support import require_services

import scaled.vocabulary
from core.engine import SearchQuery

pytestmark = pytest.mark.scaled


def test_a_typo_is_recorded_with_its_corrected_step_when_the_first_word_list_is_late(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """On a three-node cluster just loaded, a letter's first word list took over a second,
    past the 0.25 s a search waits for it: the typo was recorded as its exact step alone,
    and the bare proxy replayed a search that finds nothing (typo 2.91x). A wait of 0
    stands in for that late list here."""
    monkeypatch.setattr(scaled.vocabulary, "FIRST_FETCH_SECONDS", 0)
    env = {"SEARCH_URL": require_services()[1], "SEARCH_INDEX": f"test-{uuid.uuid4().hex[:10]}"}
    config = cluster_of(env)
    domain = "recording.example"
    titles = [{"url": "https://recording.example/1", "title": "Python tutorial",
               "popularity": 1, "group": ""}]
    index = asyncio.run(load_titles(config, domain, titles))
    try:
        recorded = asyncio.run(service_engine_requests(config, SearchQuery(domain, ("pyhton",))))
    finally:
        asyncio.run(delete_index(config, index))
    assert len(recorded) == 2, recorded
    assert b"python" in recorded[1][1]
