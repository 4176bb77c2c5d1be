"""The search client's transport, measured (issue 29): ours (scaled/transport.py) against
the libraries' own, in one process and through the service.

    .venv/bin/python bench/transports.py cpu       # CPU µs per search in this process
    .venv/bin/python bench/transports.py service   # req/s, p99, worker CPU through `serve`

It uses the services `make services` started (PostgreSQL 55432, OpenSearch 59200,
Elasticsearch 29400; other places with DATABASE_URL, OPENSEARCH_URL, ELASTICSEARCH_URL),
in a database and indexes of its own, dropped afterwards. The machine is shared: every
variant is measured once per round, rounds alternate the order, and the report gives each
variant's median with the lowest and highest round.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from corpus import load_corpus
from processes import Service, Wrk, WrkResult
from results import SCENARIOS, domain_name
from steps import CACHE_OFF, CORPUS_CACHE, bulk_bodies, drive, load_domain, say

from scaled.clients import ClusterClient
from scaled.config import TRANSPORTS, ClusterConfig

DATABASE_URL = os.environ.get("DATABASE_URL",
                              "postgresql://autocompeter@127.0.0.1:55432/autocompeter")
OPENSEARCH_URL = os.environ.get("OPENSEARCH_URL", "http://127.0.0.1:59200")
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:29400")

# A search like the service's: a phrase of prefixes, a page and one more, the fields read.
SEARCH = {"query": {"match_phrase_prefix": {"title": "py"}}, "size": 11,
          "_source": ["title", "url"]}
FILTER_PATH = "hits.hits._source"
TITLES = 2_000


def spread(values: list[float]) -> str:
    """A variant's rounds: median (lowest to highest)."""
    return f"{statistics.median(values):.0f} ({min(values):.0f} to {max(values):.0f})"


def rounds_in_turn(variants: list[str], rounds: int) -> Iterator[tuple[int, str]]:
    """Every variant once a round, the order reversed every other round (AB BA AB...)."""
    for number in range(rounds):
        for variant in variants if number % 2 == 0 else variants[::-1]:
            yield number, variant


# -- CPU per search, in one process -------------------------------------------------------


def opensearch_client(url: str, transport: str) -> Any:
    """The service's own search client (scaled.clients) with ``transport``."""
    config = ClusterConfig("opensearch", [url], search_transport=transport)
    return ClusterClient(config, timeout=10, searches=True).client


def elasticsearch_client(url: str, node_class: str) -> Any:
    from elasticsearch import AsyncElasticsearch
    from elasticsearch.serializer import OrjsonSerializer

    # orjson, as the OpenSearch client has: the transports, not the JSON, are compared.
    return AsyncElasticsearch([url], node_class=node_class, request_timeout=10,
                              serializer=OrjsonSerializer())


@dataclass(frozen=True)
class Variant:
    name: str
    engine: str
    """The node's URL."""
    make: Callable[[str], Any]


def cpu_variants(elasticsearch: bool) -> list[Variant]:
    variants = [
        Variant("own, OpenSearch node", OPENSEARCH_URL,
                lambda url: opensearch_client(url, "own")),
        Variant("opensearch-py aiohttp, OpenSearch node", OPENSEARCH_URL,
                lambda url: opensearch_client(url, "library")),
    ]
    if elasticsearch:
        variants += [
            Variant("own, Elasticsearch node", ELASTICSEARCH_URL,
                    lambda url: opensearch_client(url, "own")),
            Variant("opensearch-py aiohttp, Elasticsearch node", ELASTICSEARCH_URL,
                    lambda url: opensearch_client(url, "library")),
            Variant("elastic-transport aiohttp, Elasticsearch node", ELASTICSEARCH_URL,
                    lambda url: elasticsearch_client(url, "aiohttp")),
            Variant("elastic-transport httpx, Elasticsearch node", ELASTICSEARCH_URL,
                    lambda url: elasticsearch_client(url, "httpxasync")),
        ]
    return variants


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_cluster/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def test_index(urls: list[str]) -> Iterator[str]:
    """The same ``TITLES`` corpus titles in an index of that name on each node."""
    index = f"bench-transports-{uuid.uuid4().hex[:8]}"
    documents = load_corpus(CORPUS_CACHE)[:TITLES]
    lines = b"".join(orjson.dumps({"index": {}}) + b"\n"
                     + orjson.dumps({"title": d["title"], "url": d["url"]}) + b"\n"
                     for d in documents)
    try:
        for url in urls:
            httpx.post(f"{url}/{index}/_bulk", params={"refresh": "true"}, content=lines,
                       headers={"content-type": "application/x-ndjson"},
                       timeout=120).raise_for_status()
        yield index
    finally:
        for url in urls:
            httpx.delete(f"{url}/{index}", timeout=60)


async def cpu_per_search(variant: Variant, index: str, searches: int) -> tuple[float, float, Any]:
    """(CPU µs, wall µs) per search, after a warm-up; and the last answer."""
    client = variant.make(variant.engine)
    try:
        for _ in range(200):
            found = await client.search(index=index, body=SEARCH, filter_path=FILTER_PATH)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(searches):
            found = await client.search(index=index, body=SEARCH, filter_path=FILTER_PATH)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await client.close()
    return cpu * 1e6 / searches, wall * 1e6 / searches, getattr(found, "body", found)


def measure_cpu(args: argparse.Namespace) -> None:
    elasticsearch = answers(ELASTICSEARCH_URL)
    if not elasticsearch:
        say(f"no Elasticsearch at {ELASTICSEARCH_URL}: its variants are left out")
    variants = {variant.name: variant for variant in cpu_variants(elasticsearch)}
    engines = sorted({variant.engine for variant in variants.values()})
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    wall: dict[str, list[float]] = {name: [] for name in variants}
    with test_index(engines) as index:
        first: Any = None
        for number, name in rounds_in_turn(list(variants), args.rounds):
            cpu_us, wall_us, found = uvloop.run(
                cpu_per_search(variants[name], index, args.searches))
            first = first or found
            if found != first:
                raise RuntimeError(f"{name} answered differently: {found} != {first}")
            cpu[name].append(cpu_us)
            wall[name].append(wall_us)
            say(f"round {number + 1}: {name:<48} {cpu_us:6.0f} µs CPU, {wall_us:6.0f} µs wall")
    print(f"\n{args.searches} searches a round, {args.rounds} rounds, load average "
          f"{os.getloadavg()[0]:.1f} at the end\n")
    print("| transport, node | CPU µs per search | wall µs per search |")
    print("|---|---|---|")
    for name in variants:
        print(f"| {name} | {spread(cpu[name])} | {spread(wall[name])} |")


# -- through the service ------------------------------------------------------------------


async def admin_sql(url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def scaled_env() -> Iterator[dict[str, str]]:
    """A fresh database and alias on the running services; both dropped afterwards."""
    name = f"bench_transports_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin_sql(DATABASE_URL, f'CREATE DATABASE "{name}"'))
    alias = name.replace("_", "-")
    try:
        yield {"DATABASE_URL": DATABASE_URL.rsplit("/", 1)[0] + f"/{name}",
               "SEARCH_URL": f"opensearch+{OPENSEARCH_URL}", "SEARCH_INDEX": alias,
               # A loaded shared machine makes some searches take over a second: a 503
               # would count as an error, not a slow answer.
               "SEARCH_TIMEOUT_SECONDS": "5", **CACHE_OFF}
    finally:
        httpx.delete(f"{OPENSEARCH_URL}/{alias}-*", timeout=60)
        asyncio.run(admin_sql(DATABASE_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def warm(service: Service, domain: str, seconds: float) -> None:
    """Each scenario for ``seconds``, not recorded: the workers' caches, the node's JIT."""
    for scenario in SCENARIOS:
        drive(Wrk(seconds), service.base_url + scenario.query(domain), 10, "warm-up")


def measure_service(args: argparse.Namespace) -> None:
    """One service per transport, both running throughout: each scenario is driven on
    one, then at once on the other (the order alternating), so that both meet the same
    load from the rest of the machine."""
    domain = domain_name(0)
    measured: dict[tuple[str, str], list[WrkResult]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-transports-") as tmp, scaled_env() as env:
        workdir = Path(tmp)
        documents = load_corpus(CORPUS_CACHE)
        services = {transport: Service(workdir, {**env, "SEARCH_TRANSPORT": transport},
                                       args.workers, transport) for transport in TRANSPORTS}
        try:
            for service in services.values():
                service.start()
            loaded, seconds, searchable, _ = load_domain(
                services["own"], domain, bulk_bodies(documents), documents[-1])
            say(f"loaded {loaded} titles in {seconds:.1f} s, searchable after {searchable:.1f} s")
            for service in services.values():
                warm(service, domain, 5)
            wrk = Wrk(args.duration)
            for number in range(args.rounds):
                for scenario in SCENARIOS:
                    for transport in TRANSPORTS if number % 2 == 0 else TRANSPORTS[::-1]:
                        label = f"round {number + 1} {transport} {scenario.name}"
                        result = drive(wrk, services[transport].base_url + scenario.query(domain),
                                       args.connections, label, services[transport])
                        measured.setdefault((transport, scenario.slug), []).append(result)
        finally:
            for service in services.values():
                service.stop()
    report_service(measured, args)


def report_service(measured: dict[tuple[str, str], list[WrkResult]],
                   args: argparse.Namespace) -> None:
    others = [run.other_work_cores or 0.0 for runs in measured.values() for run in runs]
    print(f"\n{args.rounds} rounds of {args.duration:g} s per scenario and transport, "
          f"{args.connections} connections, {args.workers} workers, response cache off; "
          f"other work on the machine: {statistics.median(others):.2f} cores (median of the "
          f"runs, {min(others):.2f} to {max(others):.2f})\n")
    columns = " | ".join(f"{t} req/s | {t} p99 ms | {t} worker CPU µs" for t in TRANSPORTS)
    print(f"| scenario | {columns} | own/library req/s, paired by round |")
    print("|---" * (2 + 3 * len(TRANSPORTS)) + "|")
    for scenario in SCENARIOS:
        cells = []
        for transport in TRANSPORTS:
            runs = measured[(transport, scenario.slug)]
            cells += [spread([run.rps for run in runs]),
                      f"{statistics.median(run.p99_ms for run in runs):.1f}",
                      spread([run.cpu_us_per_request or 0.0 for run in runs])]
        # Each round's own run beside its library run, driven one right after the other.
        pairs = zip(measured[("own", scenario.slug)], measured[("library", scenario.slug)],
                    strict=True)
        ratios = [own.rps / library.rps for own, library in pairs]
        print(f"| {scenario.name} | {' | '.join(cells)} | {statistics.median(ratios):.2f} "
              f"({min(ratios):.2f} to {max(ratios):.2f}) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("cpu", "service"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--searches", type=int, default=2_000, help="cpu: searches a round")
    parser.add_argument("--duration", type=float, default=5, help="service: wrk seconds")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    measure_cpu(args) if args.what == "cpu" else measure_service(args)


if __name__ == "__main__":
    main()
