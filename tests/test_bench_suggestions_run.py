"""bench/suggestions_run.py: the distinct stream's requests asking for suggestions, the
intents written before the service starts, and what a run's CPU comes to."""

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from processes import WrkResult
from suggestions_run import (
    SuggestionsCost,
    add_intents,
    asking_suggestions,
    popular_intents,
    write_asking_paths,
)
from workload import write_paths

from app.shared.backends import open_backends
from app.shared.settings import load_settings
from core.store import Document


def test_each_path_of_the_stream_asks_for_three_suggestions(tmp_path):
    paths = write_paths(["pyt", "python mo", "c++ é&x"], "bench0.example", tmp_path / "a.paths")

    asking = write_asking_paths(paths, tmp_path / "a-s3.paths")

    assert asking_suggestions("/v1?d=x&q=py") == "/v1?d=x&q=py&s=3"
    assert asking.read_text().splitlines() == [
        "/v1?d=bench0.example&q=pyt&s=3",
        "/v1?d=bench0.example&q=python%20mo&s=3",
        "/v1?d=bench0.example&q=c%2B%2B%20%C3%A9%26x&s=3",
    ]


def test_the_intents_are_the_commonest_words_and_pairs_counted_once_a_title():
    documents = [{"url": f"u{i}", "title": title, "popularity": 0, "group": ""}
                 for i, title in enumerate(["python-foo — Python tools",
                                            "python-bar — Python tools", "x y — tools q"])]

    intents = popular_intents(documents, limit=3)

    # "python" is twice in each of two titles: 2; ties in text order.
    assert intents == {"tools": 3, "python": 2, "python tools": 2}
    everything = popular_intents(documents, limit=100)
    assert "x y" not in everything and "q" not in everything  # a first word of one letter
    assert everything["foo"] == 2  # once found, counted as the default min_count


def test_the_intents_written_are_what_the_suggestions_are_built_from(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    intents = {f"intent {i}": 100 - i for i in range(12)}
    asyncio.run(load_one_title(url, "bench0.example"))  # the bench's domain is loaded

    add_intents(url, "bench0.example", intents)

    found = read_found_intents(url, "bench0.example")
    assert found == list(intents.items())


async def load_one_title(url: str, domain: str) -> None:
    backends = open_backends(load_settings(database_url=url))
    try:
        await backends.store.migrate()
        await backends.store.upsert(domain, [Document("https://x.example/1", "intent")])
    finally:
        await backends.close()


def read_found_intents(url: str, domain: str) -> list[tuple[str, int]]:
    async def read() -> list[tuple[str, int]]:
        backends = open_backends(load_settings(database_url=url))
        try:
            since = datetime.now(UTC).date() - timedelta(days=30)
            return await backends.store.found_intents(domain, since, 2, 100)
        finally:
            await backends.close()

    return asyncio.run(read())


def test_the_cpu_of_runs_is_their_cpu_over_their_requests():
    cost = SuggestionsCost(intents=3000,
                           without=[WrkResult(1, 1, 1, 1000, 0, cpu_us_per_request=400),
                                    WrkResult(1, 1, 1, 3000, 0, cpu_us_per_request=200)],
                           asking=[WrkResult(1, 1, 1, 2000, 0, cpu_us_per_request=275)])

    assert SuggestionsCost.cpu_us(cost.without) == 250
    assert cost.ratio == pytest.approx(1.1)
    assert SuggestionsCost(intents=1).ratio is None
