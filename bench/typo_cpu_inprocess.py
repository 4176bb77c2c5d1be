"""CPU per query of the typo tier against the exact tier, in this process (issue 24).

The embedded engine over a SQLite file of the bench corpus, its in-memory index
built; the cross-title stream (bench/cross_title.py) searched in order, each query
timed with `time.process_time`, and the times grouped by the tier that answered.
What `make bench` measures through the service as worker CPU per query of a tier,
without HTTP, so a change to the typo path can be judged in a minute.

    .venv/bin/python bench/typo_cpu_inprocess.py [--queries N] [--profile]

--profile searches the stream again, the query caches emptied, under cProfile.
"""

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from corpus import load_corpus
from cross_title import generate_cross
from processes import ROOT

from core.engine import SearchQuery
from core.store import Document
from core.text import query_words
from embedded.database import SqliteDatabase
from embedded.engine import Fts5Engine
from embedded.store import SqliteStore

DOMAIN = "bench.example"
MiB = 1024 * 1024


async def measure(count: int, profile: bool, path: Path) -> None:
    corpus = load_corpus(ROOT / ".work" / "bench" / "debian-packages.json")
    stream = generate_cross(corpus, 60_000)[:count]
    db = SqliteDatabase(path)
    store = SqliteStore(db)
    await store.migrate()
    await store.upsert(DOMAIN, [Document(d["url"], d["title"], d["group"], d["popularity"])
                                for d in corpus])
    engine = Fts5Engine(db, 64 * MiB)
    try:
        await engine.search(SearchQuery(DOMAIN, ("warm",)))
        await engine.memory.built(DOMAIN)
        queries = [SearchQuery(DOMAIN, words, 10, ()) for text, _kind in stream
                   if (words := query_words(text))]
        times: dict[str, list[float]] = defaultdict(list)
        worst: list[tuple[float, str]] = []
        profiler = cProfile.Profile() if profile else None
        steps = time_steps()
        shares: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for query in queries:
            for step in steps:
                steps[step] = 0.0
            started = time.process_time()
            result = await engine.search(query)
            spent = time.process_time() - started
            times[result.tier].append(spent * 1e6)
            for step, step_spent in steps.items():
                shares[result.tier][step].append(step_spent * 1e6)
            worst.append((spent * 1e3, " ".join(query.words)))
        if profiler is not None:  # the stream again, from empty query caches
            engine.memory.cache.discard_where(lambda _key: True)
            for query in queries:
                profiler.enable()
                await engine.search(query)
                profiler.disable()
        print(f"{len(queries)} queries; caches {engine.memory.cache.size / MiB:.1f} MiB "
              f"of {engine.memory.cache.limit / MiB:.1f}")
        for tier, spent in sorted(times.items()):
            spent.sort()
            print(f"{tier:<12} n={len(spent):>5}  mean {statistics.fmean(spent):7.0f} us  "
                  f"median {statistics.median(spent):7.0f} us  "
                  f"p99 {spent[int(len(spent) * 0.99)]:7.0f} us  max {spent[-1]:7.0f} us")
            print("    of which " + ", ".join(f"{step} {statistics.fmean(taken):.0f}"
                                            for step, taken in shares[tier].items()))
        if "exact" in times and "corrected" in times:
            print(f"corrected/exact mean: "
                  f"{statistics.fmean(times['corrected']) / statistics.fmean(times['exact']):.2f}x")
        print("slowest:", sorted(worst, reverse=True)[:8])
        if profiler is not None:
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.print_stats(30)
            stats.print_callees("corrections|corrected")
    finally:
        await engine.close()
        await store.close()


STEPS = ("exact", "joined", "present", "corrections", "corrected", "leading_match")


def time_steps() -> dict[str, float]:
    """Wrap the in-memory index's steps to add the CPU time each takes to its entry."""
    from embedded.domain_index import DomainIndex

    spent = dict.fromkeys(STEPS, 0.0)
    for step in STEPS:
        original = getattr(DomainIndex, step)

        def timed(self, *args, original=original, step=step):  # type: ignore[no-untyped-def]
            started = time.process_time()
            try:
                return original(self, *args)
            finally:
                spent[step] += time.process_time() - started

        setattr(DomainIndex, step, timed)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=12_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(measure(args.queries, args.profile, Path(directory) / "bench.sqlite"))


if __name__ == "__main__":
    main()
