"""bench/tiers.py: each tier's queries sent once each by wrk, and the tiers of a stream
read from the real embedded engine on a real SQLite file."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from test_bench_workload import Recorder, recorder  # noqa: F401 (a fixture)
from tiers import StreamTiers, StreamToClassify, classify_streams, run_once
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
