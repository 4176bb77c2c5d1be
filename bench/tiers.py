"""Which tier answers each query of a stream, and what a query of each tier costs a worker.

1. `classify_streams`: the embedded engine, opened in this process on the bench's
   SQLite file as `serve` opens it (`app.shared.backends.open_backends`, the service's
   settings, in-memory indexes built by `warm`), searches each query once and
   reads `SearchResult.tier` ("exact": tiers 1-2, "joined": 3a, "corrected": 3b,
   "fewer words": tier 4, "none"); "unknown" while the engine has no such field.
   For the two-word queries of different titles it also asks each word alone:
   a query whose words each find titles but that answers nothing is a dead end.
2. `measure_tier_cpu`: each tier's queries (a sample) sent once each through the
   live service by wrk (bench/once.lua), its response cache off, at the stream's
   connections; the workers' CPU time (/proc) over the requests sent.
"""

import asyncio
import json
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from latency import PAGE
from processes import ROOT, HasWorkers, WrkResult, cpu_seconds, ensure_debian_package, wrk_threads
from steps import say
from workload import write_paths

from core.search import TIERS as ENGINE_TIERS

# The engine's own names (`SearchResult.tier`); UNKNOWN for a query not classified.
EXACT, JOINED, SYNONYM, CORRECTED, FEWER_WORDS, NONE = ENGINE_TIERS
UNKNOWN = "unknown"
TIERS = (*ENGINE_TIERS, UNKNOWN)
MISSES = "misses (all but exact)"
ONCE_SCRIPT = Path(__file__).resolve().parent / "once.lua"
MIN_SAMPLE = 20
"""A tier with fewer queries than this in the classified part gets no CPU run."""


@dataclass
class StreamTiers:
    """One stream's queries by tier, and the cost of a query of each tier."""

    tier_of: dict[str, str] = field(default_factory=dict)
    """Query -> tier, for the classified queries, in the stream's order."""
    classify_seconds: float = 0.0
    runs: dict[str, WrkResult] = field(default_factory=dict)
    """Tier -> wrk sending its sample once each; cpu_us_per_request is per query sent."""
    sampled: dict[str, int] = field(default_factory=dict)
    """Tier -> how many of its queries that run sent."""
    cross_two_word: int = 0
    """Classified two-word queries of words from different titles."""
    together: int = 0
    """Of those, the ones some title answers with both words (the exact tiers)."""
    words_alone_find: int = 0
    """Of those, the ones whose words each find titles when searched alone."""
    dead_ends: list[str] = field(default_factory=list)
    """Of those, the ones that answer nothing: the dead ends."""

    def counts(self) -> Counter[str]:
        return Counter(self.tier_of.values())

    def sample(self, tier: str, size: int) -> list[str]:
        return [query for query, its in self.tier_of.items() if its == tier][:size]


@dataclass(frozen=True)
class StreamToClassify:
    queries: Sequence[str]
    cross_two_word: frozenset[str] = frozenset()
    """The queries whose dead ends count (two words of different titles)."""


def classify_streams(database_url: str, domain: str,
                     streams: dict[str, StreamToClassify]) -> dict[str, StreamTiers]:
    """Each stream's queries through the embedded engine, in this process."""
    return asyncio.run(_classify(database_url, domain, streams))


async def _classify(database_url: str, domain: str, streams: dict[str, StreamToClassify]
                    ) -> dict[str, StreamTiers]:
    from app.shared.backends import open_backends
    from app.shared.settings import load_settings
    from core.engine import SearchQuery
    from core.text import query_words

    backends = open_backends(load_settings(database_url=database_url))
    engine = backends.engine
    alone: dict[str, bool] = {}

    async def answer(words: tuple[str, ...]) -> object:
        return await engine.search(SearchQuery(domain, words, PAGE, ()))

    async def finds_alone(word: str) -> bool:
        if word not in alone:
            alone[word] = bool((await answer((word,))).hits)  # type: ignore[attr-defined]
        return alone[word]

    found: dict[str, StreamTiers] = {}
    try:
        await backends.store.migrate()  # as serve does; a no-op on an up-to-date database
        await engine.warm()  # the in-memory indexes a worker builds before its first request
        for name, stream in streams.items():
            tiers = found[name] = StreamTiers()
            started = time.perf_counter()
            for query in stream.queries:
                words = query_words(query)
                result = await answer(words)
                tiers.tier_of[query] = result.tier
                if query in stream.cross_two_word and len(words) == 2:
                    tiers.cross_two_word += 1
                    tiers.together += tiers.tier_of[query] == EXACT
                    if all([await finds_alone(word) for word in words]):
                        tiers.words_alone_find += 1
                        if not result.hits:  # type: ignore[attr-defined]
                            tiers.dead_ends.append(query)
            tiers.classify_seconds = time.perf_counter() - started
            say(f"tiers of {name}: {dict(tiers.counts())} in {tiers.classify_seconds:.1f} s; "
                f"dead ends {len(tiers.dead_ends)} of {tiers.words_alone_find}")
    finally:
        await backends.close()
    return found


def measure_tier_cpu(service: HasWorkers, base_url: str, domain: str, name: str,
                     tiers: StreamTiers, sample: int, connections: int, workdir: Path) -> None:
    """Each tier's sample once each through the service; fills ``tiers.runs``."""
    for tier in TIERS:
        queries = tiers.sample(tier, sample)
        if len(queries) < MIN_SAMPLE:
            continue
        slug = "-".join(f"{name} {tier}".split())
        paths = write_paths(queries, domain, workdir / f"tier-{slug}.paths")
        run = run_once(paths, base_url + "/", connections, service.worker_pids())
        tiers.runs[tier], tiers.sampled[tier] = run, len(queries)
        say(f"{name}, {tier}: {len(queries):,} queries once each, "
            f"{run.cpu_us_per_request:,.0f} us of worker CPU a query, p99 {run.p99_ms:.1f} ms")


def run_once(paths: Path, url: str, connections: int, workers: list[int],
             timeout: float = 120) -> WrkResult:
    """wrk with bench/once.lua: every path once; ended by a SIGINT when all are answered."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"bench only sends traffic to 127.0.0.1, not {url}")
    threads = wrk_threads(connections)
    command = [ensure_debian_package("wrk", "wrk"), f"-t{threads}", f"-c{connections}",
               f"-d{timeout:g}s", "--timeout", "5s", "-s", str(ONCE_SCRIPT), url,
               "--", str(paths), str(threads)]
    before = cpu_seconds(workers)
    # From the project root: the script does dofile("bench/report.lua").
    wrk = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        head = wait_for_threads(wrk, threads, time.monotonic() + timeout + 5)
        wrk.send_signal(signal.SIGINT)  # wrk stops its sleep, joins its threads, reports
        out, err = wrk.communicate(timeout=60)
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
    spent = cpu_seconds(workers) - before
    if wrk.returncode != 0:
        raise RuntimeError(f"wrk failed ({wrk.returncode}): {err.decode(errors='replace')}")
    result = WrkResult.parse((head + out).decode())
    sent = sent_requests(head + out) or result.requests
    result.cpu_us_per_request = spent * 1e6 / max(sent, 1)
    return result


def wait_for_threads(wrk: "subprocess.Popen[bytes]", threads: int, deadline: float) -> bytes:
    """wrk's output until each thread said ONCE_DONE (or wrk ended, or the deadline)."""
    assert wrk.stdout is not None
    output = b""
    while output.count(b"ONCE_DONE") < threads and time.monotonic() < deadline:
        ready, _, _ = select.select([wrk.stdout], [], [], 0.05)
        if ready:
            chunk = wrk.stdout.read1(65536)  # type: ignore[attr-defined]
            if not chunk:
                break
            output += chunk
    return output


def sent_requests(output: bytes) -> int | None:
    for line in output.decode().splitlines():
        if line.startswith("WRK_DISTINCT "):
            sent: int = json.loads(line.removeprefix("WRK_DISTINCT "))["sent"]
            return sent
    return None


def two_word(queries: Iterable[str]) -> frozenset[str]:
    return frozenset(query for query in queries if len(query.split()) == 2)
