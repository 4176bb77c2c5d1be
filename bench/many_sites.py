"""Many sites in one file (issue 24): --many-sites-domains domains of the 64k titles in
one SQLite file, beyond what a worker's in-memory index holds, and one client.

1. `serve --workers 2` (default settings, rate limits off) loads the corpus into each
   domain; the first domain is then searched the most, so a worker's start-up builds
   its in-memory index first (the month's most searched; the 64 MiB budget holds one
   domain of these titles, 47 MB).
2. The embedded engine, in this process, finds which of the never-seen queries of
   the two streams are hits (exact tiers) and which of the cross-title two-word
   queries are misses (any other tier), as bench/tiers.py does.
3. Default settings: one client on the first domain (in memory), then on the last
   domain, whose first searches FTS5 answers while the worker builds its index (and
   drops the first domain's). Workers' RSS after each.
4. A domain outside the in-memory index: the service started again with
   MEMORY_INDEX_BYTES=0, so every search goes to FTS5 as it does for each domain
   beyond the budget, and one client sends the hits, then the misses, to the last
   domain, each query once (the first of each kind included: a worker reads a
   letter's typo vocabulary from FTS5 the first time it needs it).
"""

import argparse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from corpus import BenchDocument
from cross_title import CROSS, generate_cross, queries_of
from latency import LatencySummary, measure
from processes import Memory, Service
from results import domain_name
from steps import CACHE_ON, bulk_bodies, load_domain, record_memory, say
from tiers import EXACT, StreamToClassify, classify_streams
from workload import generate

HITS, MISSES = "hits", "cross-title misses"
OUTSIDE, INSIDE, BUILDING = (
    "outside the in-memory index (MEMORY_INDEX_BYTES=0, every search by FTS5)",
    "in memory (default settings)",
    "outside until its index is built (default settings, first searches of the domain)",
)
MOST_SEARCHED = 300
"""Searches sent to the first domain so a worker's start-up builds its index first."""


@dataclass
class ManySitesResults:
    args: argparse.Namespace
    started: datetime
    domains: int = 0
    titles: int = 0
    load_seconds: float = 0.0
    db_bytes: int = 0
    latency: dict[tuple[str, str], dict[str, LatencySummary]] = field(default_factory=dict)
    """(where, domain) -> HITS or MISSES -> one client's times."""
    memory: list[tuple[str, list[Memory]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    finished: datetime | None = None


def run_many_sites(args: argparse.Namespace, documents: list[BenchDocument], workdir: Path,
                   results: ManySitesResults) -> None:
    domains = [domain_name(i) for i in range(args.many_sites_domains)]
    database = workdir / "many-sites.db"
    env = {**CACHE_ON, "DATABASE_URL": f"sqlite:///{database}"}
    load_all(args, documents, workdir, env, domains, results)
    # The domain a worker's start-up builds first, as the engine picks it.
    inside = built_first(database)
    outside = next(domain for domain in reversed(domains) if domain != inside)
    if inside != domains[0]:
        results.notes.append(f"the most searched domain was {inside}, not {domains[0]}")
    results.db_bytes = sum(p.stat().st_size for p in workdir.glob("many-sites.db*"))
    kinds = sorted_queries(env["DATABASE_URL"], outside, documents, args.many_sites_queries)
    say(f"many sites: {len(kinds[HITS]):,} hits, {len(kinds[MISSES]):,} misses to send")
    # Default settings first: the searches a client sends are counted, and would
    # change which domain a worker's start-up builds.
    service = Service(workdir, env, args.workers, "many-sites").start()
    try:
        one_client(service, INSIDE, inside, kinds, results)
        record_memory(results.memory, service, f"one client on {inside}, {INSIDE}")
        one_client(service, BUILDING, outside, kinds, results)
        record_memory(results.memory, service, f"then on {outside}, {BUILDING}")
    finally:
        service.stop()
    service = Service(workdir, {**env, "MEMORY_INDEX_BYTES": "0"}, args.workers,
                      "many-sites-fts5").start()
    try:
        one_client(service, OUTSIDE, outside, kinds, results)
        record_memory(results.memory, service, f"one client on {outside}, {OUTSIDE}")
    finally:
        service.stop()


def load_all(args: argparse.Namespace, documents: list[BenchDocument], workdir: Path,
             env: dict[str, str], domains: list[str], results: ManySitesResults) -> None:
    """Every domain loaded; the first searched the most (see the module's docstring)."""
    bodies = bulk_bodies(documents)
    service = Service(workdir, env, args.workers, "many-sites-load").start()
    try:
        for number, domain in enumerate(domains, 1):
            loaded, seconds, _searchable, _rejected = load_domain(
                service, domain, bodies, documents[-1])
            results.domains, results.titles = number, results.titles + loaded
            results.load_seconds += seconds
            say(f"many sites: {domain} loaded ({number}/{len(domains)}) in {seconds:.1f} s")
        with httpx.Client(base_url=service.base_url, timeout=30) as http:
            for i in range(MOST_SEARCHED):
                http.get("/v1", params={"d": domains[0], "q": f"warm{i}"}).raise_for_status()
    finally:
        service.stop()  # a stopping worker writes its search counts


def built_first(database: Path) -> str:
    """The first domain of `embedded.engine.WARM_SQL`'s order: the one whose in-memory
    index a worker builds first when it starts."""
    import sqlite3
    from contextlib import closing

    from embedded.engine import WARM_DOMAINS, WARM_SQL

    today = datetime.now(UTC)
    with closing(sqlite3.connect(database)) as conn:
        rows = conn.execute(WARM_SQL, (today.year, today.month, WARM_DOMAINS)).fetchall()
    return str(rows[0][0])


def sorted_queries(database_url: str, domain: str, documents: list[BenchDocument],
                   count: int) -> dict[str, list[str]]:
    """Up to ``count`` never-seen hits and cross-title misses, as the engine answers them."""
    same = generate(documents, count=count * 2, seed=124)
    cross = queries_of(generate_cross(documents, count=count * 4, seed=124), CROSS)
    streams = {HITS: StreamToClassify(same), MISSES: StreamToClassify(cross)}
    found = classify_streams(database_url, domain, streams)
    return {
        HITS: [q for q, tier in found[HITS].tier_of.items() if tier == EXACT][:count],
        MISSES: [q for q, tier in found[MISSES].tier_of.items() if tier != EXACT][:count],
    }


def one_client(service: Service, where: str, domain: str, kinds: dict[str, list[str]],
               results: ManySitesResults) -> None:
    """The hits, then the misses, one at a time over one keep-alive connection."""
    measured: dict[str, LatencySummary] = {}
    for kind, queries in kinds.items():
        summaries = measure(service.port, domain, queries)
        measured[kind] = summaries["all"]
        say(f"many sites, {domain}, {kind}: median {measured[kind].median_ms:.2f} ms, "
            f"p99 {measured[kind].p99_ms:.2f}, max {measured[kind].max_ms:.1f} ms")
    results.latency[where, domain] = measured

