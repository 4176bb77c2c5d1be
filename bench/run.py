"""The benchmark: bulk load, fixed queries under wrk, nginx ceiling, RSS, scale curve,
and the distinct-query comparison with the original Go service (bench/distinct.py).

    make bench                                   # the full run, writes BENCHMARKS.md
    make bench BENCH_ARGS="--only distinct"      # the comparison alone, a few minutes
    .venv/bin/python bench/run.py --duration 1 --no-scale --output /tmp/quick.md   # a quick look

Corpus: Debian's ~64,000 package names with descriptions (see bench/corpus.py),
loaded through `POST /v1/bulk` into `autocompeter serve --workers 2` on a temp
SQLite file. wrk drives `GET /v1` per scenario and connection count; nginx serves
the very same response bodies as static files for the ceiling. The distinct-query
comparison is bench/distinct.py. All traffic goes to 127.0.0.1; every load test
stops after its duration.
"""

import argparse
import asyncio
import hashlib
import itertools
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from corpus import BenchDocument, load_corpus
from distinct import run_distinct, warm_up
from many_sites import ManySitesResults, run_many_sites
from peers import BareProxy
from processes import ROOT, Nginx, Service, Wrk, WrkResult, free_port
from report import machine_lines, write_distinct_report, write_report
from report_misses import many_sites_section
from results import SCENARIOS, DistinctResults, LoadStep, Results, domain_name
from steps import (
    CACHE_OFF,
    CACHE_ON,
    CORPUS_CACHE,
    bulk_bodies,
    drive,
    load_domain,
    record_memory,
    say,
)
from workload import COUNT

from core.engine import SearchQuery
from scaled.config import ClusterConfig, parse_search_url

T = TypeVar("T")
# -- querying ------------------------------------------------------------------


def capture_bodies(service: Service, domain: str) -> dict[str, bytes]:
    warm_up(service.base_url, domain)  # the workers' in-memory indexes, built before measuring
    bodies = {}
    with httpx.Client(base_url=service.base_url, timeout=30) as http:
        for scenario in SCENARIOS:
            for _ in range(3):  # the first request also warms the worker
                response = http.get(scenario.query(domain))
            if response.status_code != 200:
                raise RuntimeError(f"{scenario.name}: {response.status_code} {response.text}")
            bodies[scenario.slug] = response.content
    return bodies


def engine_requests_by_scenario(env: dict[str, str], domain: str
                                ) -> dict[str, list[tuple[str, bytes]]]:
    """Per scenario, the engine requests the service sends for it (scaled setup only)."""
    from core.text import words

    if not env.get("SEARCH_URL"):
        return {}
    found = {}
    for scenario in SCENARIOS:
        groups = tuple(g for g in scenario.groups.split(",") if g)
        query = SearchQuery(domain, tuple(words(scenario.q)), 10, groups)
        found[scenario.slug] = asyncio.run(service_engine_requests(cluster_of(env), query))
    return found


def cluster_of(env: dict[str, str]) -> ClusterConfig:
    """The cluster the service searches: its hosts and the alias."""
    return parse_search_url(env["SEARCH_URL"], alias=env.get("SEARCH_INDEX", "autocompeter"))


def drive_engine_directly(env: dict[str, str], requests: list[tuple[str, bytes]], conns: int,
                          label: str, workdir: Path, wrk: Wrk) -> WrkResult:
    """Every engine request the service sends for a scenario, straight to the engine.

    Each request is driven on its own at the same connections; the scenario's engine
    p50 (and p99) is their sum, its req/s what the engine manages of the sequence.
    """
    cluster = cluster_of(env)
    parts = []
    for number, (path, body) in enumerate(requests):
        body_file = workdir / f"engine-{number}.json"
        body_file.write_bytes(body)
        # bench/engine.lua POSTs the file's JSON instead of GETting the URL.
        direct = Wrk(wrk.duration, ROOT / "bench" / "engine.lua", [str(body_file)])
        parts.append(drive(direct, f"{cluster.hosts[0]}/{cluster.alias}/{path}", conns,
                           f"engine directly {label} #{number + 1}"))
    return in_sequence(parts)


def start_bare_proxy(env: dict[str, str], results: Results, workdir: Path, workers: int,
                     requests: dict[str, list[tuple[str, bytes]]]) -> BareProxy | None:
    """bench/bare_proxy.py on the service's engine requests, where it can reach the engine
    (OpenSearch over plain HTTP without a key: the node `make services` starts)."""
    cluster = cluster_of(env)
    if cluster.kind != "opensearch" or not cluster.hosts[0].startswith("http:") or (
            cluster.username or cluster.api_key):
        results.notes.append("no bare proxy: it speaks plain HTTP to OpenSearch only")
        return None
    return BareProxy(workdir, workers).start(f"{cluster.hosts[0]}/{cluster.alias}", requests)


WARM_UP_SECONDS = 120
"""At most this long driving the service before the scaled runs: a freshly started
OpenSearch node answered a one-letter query at 240 req/s in its first seconds and
1,780 after 45 s of load (its JIT compiler), on this machine."""


def settle_engine(env: dict[str, str], service: Service, domain: str) -> None:
    """Wait for the engine's merges after the load, then drive the service until its
    rate stops rising: measure the steady state a site's engine is in, not the minute
    after a node started and a bulk load."""
    engine = cluster_of(env).hosts[0]
    deadline = time.monotonic() + WARM_UP_SECONDS
    with httpx.Client(timeout=30) as http:
        while time.monotonic() < deadline:
            stats = http.get(f"{engine}/_nodes/stats/indices/merge").json()
            if not sum(node["indices"]["merges"]["current"]
                       for node in stats["nodes"].values()):
                break
            time.sleep(0.5)
    warm_up, best = Wrk(3), 0.0
    urls = [service.base_url + scenario.query(domain) for scenario in SCENARIOS]
    for round_number in itertools.count():
        rate = statistics.mean(drive(warm_up, url, 10, "warm-up (not recorded)").rps
                               for url in urls)
        if rate < best * 1.05 or time.monotonic() > deadline:
            break
        best = max(best, rate)
        say(f"warm-up round {round_number + 1}: {rate:.0f} req/s over the scenarios")


async def service_engine_requests(config: ClusterConfig, query: SearchQuery
                                  ) -> list[tuple[str, bytes]]:
    """The engine requests (path after the alias, body) the service's engine sends for
    ``query`` once its word lists are cached: it fetches those once a second per
    worker, not once per search."""
    from scaled.cluster import SearchCluster

    cluster = SearchCluster(config)
    sent: list[tuple[str, bytes]] = []
    search_alias = cluster._search_alias

    async def recorded(body: object, multi: bool = False, filter_path: str | None = None
                       ) -> dict[str, object]:
        lines = [body] if not multi else body
        path = ("_msearch" if multi else "_search") + (f"?filter_path={filter_path}"
                                                        if filter_path else "")
        sent.append((path, b"".join(orjson.dumps(line) + b"\n" for line in lines)))
        return await search_alias(body, multi, filter_path)

    cluster._search_alias = recorded  # type: ignore[method-assign]
    fewest: list[tuple[str, bytes]] | None = None
    try:
        for _ in range(3):
            sent.clear()
            await cluster.search(query)
            if fewest is None or len(sent) < len(fewest):
                fewest = list(sent)
    finally:
        await cluster.close()
    return fewest or []


def in_sequence(parts: list[WrkResult]) -> WrkResult:
    """What the engine does for requests sent one after another: latencies add up."""
    return WrkResult(
        rps=1 / sum(1 / part.rps for part in parts),
        p50_ms=sum(part.p50_ms for part in parts),
        p99_ms=sum(part.p99_ms for part in parts),
        requests=min(part.requests for part in parts),
        errors=sum(part.errors for part in parts),
    )


def engine_timings(
    results: Results, domains: int, env: dict[str, str], domain: str, rounds: int
) -> None:
    """Median and p99 ms of the engine's own search, in this process, per scenario."""
    try:
        results.engine_ms[domains] = asyncio.run(measure_engine(env, domain, rounds))
    except Exception as error:  # the engine's API may be changing; the rest still counts
        results.notes.append(f"engine timings at {domains} domain(s) failed: {error!r}")


async def measure_engine(
    env: dict[str, str], domain: str, rounds: int
) -> dict[str, tuple[float, float]]:
    from app.shared.backends import open_backends
    from app.shared.settings import load_settings
    from core.engine import SearchQuery
    from core.text import words

    settings = load_settings(database_url=env["DATABASE_URL"], search_url=env.get("SEARCH_URL"))
    backends = open_backends(settings)
    timings: dict[str, tuple[float, float]] = {}
    try:
        await backends.store.migrate()  # as serve does; a no-op on an up-to-date database
        for scenario in SCENARIOS:
            groups = tuple(g for g in scenario.groups.split(",") if g)
            query = SearchQuery(domain, tuple(words(scenario.q)), 10, groups)
            samples = []
            for _ in range(rounds):
                started = time.perf_counter()
                await backends.engine.search(query)
                samples.append((time.perf_counter() - started) * 1000)
            samples = sorted(samples[3:])
            timings[scenario.slug] = (
                statistics.median(samples),
                samples[int(len(samples) * 0.99)],
            )
    finally:
        await backends.close()
    return timings


# -- the setups ----------------------------------------------------------------


def start_scaled_services(workdir: Path) -> dict[str, str]:
    """A real PostgreSQL and OpenSearch node under WORKDIR."""
    services = ROOT / "services"
    postgres = (
        subprocess.run(
            [str(services / "postgres" / "start.sh"), str(workdir / "pg"), str(free_port())],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    opensearch = (
        subprocess.run(
            [
                str(services / "opensearch" / "start.sh"),
                str(workdir / "os"),
                str(free_port()),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    return {"DATABASE_URL": postgres, "SEARCH_URL": "opensearch+" + opensearch}


def stop_scaled_services(workdir: Path) -> None:
    services = ROOT / "services"
    for name, sub in (("opensearch", "os"), ("postgres", "pg")):
        if (workdir / sub).exists():
            subprocess.run([str(services / name / "stop.sh"), str(workdir / sub)], check=False)


def run_setup(
    setup: str,
    env: dict[str, str],
    args: argparse.Namespace,
    documents: list[BenchDocument],
    workdir: Path,
    results: Results,
) -> None:
    """Cold, warm and scale phases; a phase that fails is noted and the report still written."""
    wrk = Wrk(args.duration)
    bodies = bulk_bodies(documents)
    nginx = Nginx(workdir / "nginx", workers=args.workers).start()
    try:
        answers = phase(
            results.notes,
            "cold phase (64k load, queries, nginx)",
            lambda: cold_phase(setup, env, args, documents, bodies, workdir, results, wrk, nginx),
        )
        if answers is None:
            return
        phase(
            results.notes,
            "warm phase",
            lambda: warm_phase(setup, env, args, workdir, results, wrk, answers),
        )
    finally:
        nginx.stop()
    if args.scale:
        phase(
            results.notes,
            "scale phase",
            lambda: scale_phase(setup, env, args, documents, bodies, workdir, results, wrk),
        )


def phase(notes: list[str], name: str, work: Callable[[], T]) -> T | None:
    """Runs one phase; a phase that fails is noted and the report still written."""
    try:
        return work()
    except Exception as error:
        say(f"{name} failed: {error!r}")
        notes.append(f"**{name} failed**: `{error!r}`"[:2000])
        return None




def cold_phase(
    setup: str,
    env: dict[str, str],
    args: argparse.Namespace,
    documents: list[BenchDocument],
    bodies: list[tuple[int, bytes]],
    workdir: Path,
    results: Results,
    wrk: Wrk,
    nginx: Nginx,
) -> dict[str, bytes]:
    """Load 64k, then every scenario x connections, nginx right after each; returns the bodies."""
    base_domain = domain_name(0)
    service = Service(workdir, {**env, **CACHE_OFF}, args.workers, f"{setup}-cold").start()
    proxy: BareProxy | None = None
    try:
        say(f"{setup}: loading {len(documents)} titles into {base_domain}")
        loaded, seconds, searchable, rejected = load_domain(
            service, base_domain, bodies, documents[-1]
        )
        results.loads.append(LoadStep(1, loaded, loaded, seconds, searchable, rejected))
        say(
            f"loaded {loaded} in {seconds:.2f} s ({loaded / seconds:.0f} docs/s), "
            f"searchable after {searchable:.2f} s, rejected {rejected}"
        )
        record_memory(results.memory, service, "after loading 64k (cold server)")
        answers = capture_bodies(service, base_domain)
        nginx_urls = {slug: nginx.put(slug, body) for slug, body in answers.items()}
        for scenario in SCENARIOS:
            body = orjson.loads(answers[scenario.slug])
            results.hits[scenario.slug] = len(body["results"])
            results.body_bytes[scenario.slug] = len(answers[scenario.slug])
        connections = sorted(
            set(args.connections) | ({args.scale_connections} if args.scale else set())
        )
        engine_requests = engine_requests_by_scenario(env, base_domain)
        if engine_requests:
            settle_engine(env, service, base_domain)
            proxy = start_bare_proxy(env, results, workdir, args.workers, engine_requests)
        for scenario in SCENARIOS:
            results.engine_requests[scenario.slug] = len(engine_requests.get(scenario.slug, []))
            for conns in connections:
                url = service.base_url + scenario.query(base_domain)
                results.cold[scenario.slug, conns] = drive(
                    wrk, url, conns, f"cold {scenario.name} ({scenario.q})", service
                )
                if conns not in args.connections:
                    continue
                results.nginx[scenario.slug, conns] = drive(
                    wrk, nginx_urls[scenario.slug], conns, f"nginx {scenario.name}"
                )
                if engine_requests:  # right after the service, in the same conditions
                    results.engine_direct[scenario.slug, conns] = drive_engine_directly(
                        env, engine_requests[scenario.slug], conns, scenario.name, workdir, wrk)
                if proxy is not None:
                    results.bare_proxy[scenario.slug, conns] = drive(
                        wrk, f"{proxy.base_url}/v1?s={scenario.slug}", conns,
                        f"bare proxy {scenario.name}", proxy)
        record_memory(results.memory, service, "after the cold load test")
    finally:
        service.stop()
        if proxy is not None:
            proxy.stop()
    engine_timings(results, 1, env, base_domain, args.engine_rounds)
    results.db_bytes[1] = database_bytes(env)
    return answers


def warm_phase(
    setup: str,
    env: dict[str, str],
    args: argparse.Namespace,
    workdir: Path,
    results: Results,
    wrk: Wrk,
    answers: dict[str, bytes],
) -> None:
    """The same queries with the response cache on, at its default size."""
    base_domain = domain_name(0)
    service = Service(workdir, {**env, **CACHE_ON}, args.workers, f"{setup}-warm").start()
    try:
        warm_answers = capture_bodies(service, base_domain)
        if warm_answers != answers:
            results.notes.append(
                "The warm answers differ from the cold ones (did the code change during the "
                "run?) for: " + ", ".join(s for s in answers if answers[s] != warm_answers.get(s))
            )
        for scenario in SCENARIOS:
            for conns in args.connections:
                url = service.base_url + scenario.query(base_domain)
                results.warm[scenario.slug, conns] = drive(
                    wrk, url, conns, f"warm {scenario.name} ({scenario.q})", service
                )
        record_memory(results.memory, service, "after the warm load test")
    finally:
        service.stop()


def scale_phase(
    setup: str,
    env: dict[str, str],
    args: argparse.Namespace,
    documents: list[BenchDocument],
    bodies: list[tuple[int, bytes]],
    workdir: Path,
    results: Results,
    wrk: Wrk,
) -> None:
    """More domains with the same titles in the same file; cold queries on domain 0."""
    base_domain = domain_name(0)
    service = Service(workdir, {**env, **CACHE_OFF}, args.workers, f"{setup}-scale").start()
    try:
        loaded_domains = 1
        results.scale[1] = {s.slug: results.cold[s.slug, args.scale_connections] for s in SCENARIOS}
        for target in args.scale_domains:
            started = time.perf_counter()
            count = 0
            acknowledged = 0.0
            for index in range(loaded_domains, target):
                say(f"{setup}: loading {domain_name(index)} ({index + 1}/{target} domains)")
                loaded, seconds, _searchable, _rejected = load_domain(
                    service, domain_name(index), bodies, documents[-1]
                )
                count += loaded
                acknowledged += seconds
            loaded_domains = target
            total = time.perf_counter() - started
            results.loads.append(
                LoadStep(target, len(documents) * target, count, acknowledged, total, 0)
            )
            say(
                f"{target} domains: loaded {count} in {acknowledged:.1f} s "
                f"({count / acknowledged:.0f} docs/s)"
            )
            measured = {}
            for scenario in SCENARIOS:
                url = service.base_url + scenario.query(base_domain)
                label = f"{target} domains, cold {scenario.name}"
                measured[scenario.slug] = drive(wrk, url, args.scale_connections, label, service)
            results.scale[target] = measured
            record_memory(results.memory, service, f"after the {target}-domain load and load test")
    finally:
        service.stop()
    engine_timings(results, max(results.scale), env, base_domain, args.engine_rounds)
    results.db_bytes[max(results.scale)] = database_bytes(env)


def database_bytes(env: dict[str, str]) -> int:
    url = env["DATABASE_URL"]
    if not url.startswith("sqlite:"):
        return 0
    path = Path(url.removeprefix("sqlite://").removeprefix("/"))
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


# -- main ------------------------------------------------------------------------


PARTS = ("scenarios", "distinct", "many-sites")
DEFAULT_PARTS = ("scenarios", "distinct")
"""many-sites loads a million titles and takes minutes of its own: asked for by name."""


def positive_ints(text: str) -> list[int]:
    values = sorted({int(part) for part in text.split(",") if part.strip()})
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError("give positive numbers separated by commas")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--setup",
        choices=["embedded", "scaled", "both"],
        default="embedded",
        help="embedded (SQLite + FTS5) and/or scaled (PostgreSQL + OpenSearch)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=6.0,
        help="seconds of wrk per scenario and connection count (default 6, which keeps "
        "the full run on 2 cores under ~15 min; the issue suggests ~10)",
    )
    parser.add_argument(
        "--connections",
        type=positive_ints,
        default=[1, 10, 50],
        help="wrk connection counts, e.g. 1,10,50 (default)",
    )
    parser.add_argument("--workers", type=int, default=2, help="serve --workers (default 2)")
    parser.add_argument(
        "--no-scale",
        dest="scale",
        action="store_false",
        help="skip the 4- and 16-domain scale curve (up to 1M titles)",
    )
    parser.add_argument(
        "--scale-domains",
        type=positive_ints,
        default=[4, 16],
        help="domain counts of the scale curve (default 4,16)",
    )
    parser.add_argument(
        "--scale-connections",
        type=int,
        default=10,
        help="wrk connections for the scale curve (default 10)",
    )
    parser.add_argument(
        "--engine-rounds",
        type=int,
        default=200,
        help="in-process engine searches per scenario (default 200)",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=CORPUS_CACHE,
        help=f"corpus cache file (default {CORPUS_CACHE.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--only",
        choices=PARTS,
        action="append",
        help="run only this part (repeatable): 'scenarios' (the fixed queries of issue 6, "
        "nginx, scale curve), 'distinct' (our service, the original Go service and a bare "
        "Sanic app on the two never-seen streams) or 'many-sites' (one client on a domain "
        "of a file of 16, issue 24); default: scenarios and distinct",
    )
    parser.add_argument(
        "--many-sites-domains",
        type=int,
        default=16,
        help="domains of the corpus in the many-sites file (default 16: 1.02M titles)",
    )
    parser.add_argument(
        "--many-sites-queries",
        type=int,
        default=1000,
        help="never-seen hits, and as many misses, the many-sites client sends (default 1000)",
    )
    parser.add_argument(
        "--distinct-queries",
        type=int,
        default=COUNT,
        help=f"queries in the distinct stream (default {COUNT:,}); raise it when a service "
        "gets through its slice within --distinct-duration (the report counts repeats)",
    )
    parser.add_argument(
        "--distinct-duration",
        type=float,
        default=6.0,
        help="seconds of wrk per distinct-comparison run (default 6, as --duration)",
    )
    parser.add_argument(
        "--distinct-connections",
        type=int,
        default=50,
        help="wrk connections of the distinct comparison (default 50)",
    )
    parser.add_argument(
        "--latency-queries",
        type=int,
        default=3000,
        help="never-seen queries sent one at a time for the single-client table (default 3000)",
    )
    parser.add_argument(
        "--tier-queries",
        type=int,
        default=10_000,
        help="queries of each never-seen stream whose tier is found, in-process (default "
        "10,000, plus the one-client ones): the shares of the tiers",
    )
    parser.add_argument(
        "--tier-sample",
        type=int,
        default=3000,
        help="of those, queries of each tier sent once each for its worker CPU (default 3000)",
    )
    parser.add_argument(
        "--no-go",
        dest="go",
        action="store_false",
        help="leave the original Go + Redis service out of the distinct comparison",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="default BENCHMARKS.md; with --only distinct, .work/bench/distinct.md",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temp dir (databases, logs) and print where it is",
    )
    args = parser.parse_args(argv)
    args.scale_domains = [n for n in args.scale_domains if n > 1]
    args.only = args.only or list(DEFAULT_PARTS)
    if args.output is None:
        only_distinct = "scenarios" not in args.only
        only_many = args.only == ["many-sites"]
        args.output = ROOT / (".work/bench/many-sites.md" if only_many else
                              ".work/bench/distinct.md" if only_distinct else "BENCHMARKS.md")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = " ".join(
        [".venv/bin/python bench/run.py", *(argv if argv is not None else sys.argv[1:])]
    )
    say(f"corpus: {args.corpus}")
    documents = load_corpus(args.corpus)
    say(
        f"corpus: {len(documents)} titles, "
        f"{sum(1 for d in documents if d['group'])} in group 'docs'"
    )
    workdir = Path(tempfile.mkdtemp(prefix="autocompeter-bench-"))
    fingerprint = code_fingerprint()
    all_results: list[Results] = []
    distinct: DistinctResults | None = None
    many: ManySitesResults | None = None
    try:
        if "scenarios" in args.only:
            for setup in ["embedded", "scaled"] if args.setup == "both" else [args.setup]:
                results = Results(setup, args, command, datetime.now(UTC))
                run_one_setup(setup, args, documents, workdir, results)
                results.finished = datetime.now(UTC)
                if code_fingerprint() != fingerprint:
                    results.notes.append(CODE_CHANGED)
                all_results.append(results)
        if "distinct" in args.only:
            distinct = DistinctResults(args, datetime.now(UTC))
            phase(
                distinct.notes,
                "distinct-query comparison",
                lambda distinct=distinct: run_distinct(args, documents, workdir, distinct),
            )
            distinct.finished = datetime.now(UTC)
            if code_fingerprint() != fingerprint:
                distinct.notes.append(CODE_CHANGED)
        if "many-sites" in args.only:
            many = ManySitesResults(args, datetime.now(UTC))
            phase(many.notes, "many sites",
                  lambda many=many: run_many_sites(args, documents, workdir, many))
            many.finished = datetime.now(UTC)
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    measured = (any(results.cold for results in all_results) or (distinct and distinct.runs)
                or (many and many.latency))
    if not measured:
        for notes in [*(r.notes for r in all_results), distinct.notes if distinct else [],
                      many.notes if many else []]:
            for note in notes:
                say(note)
        say(f"nothing was measured; {args.output} left as it was")
        return 1
    if all_results:
        text = write_report(all_results, distinct, machine(), SCENARIOS)
    elif distinct is not None:
        text = write_distinct_report(distinct, machine(), command)
    else:
        assert many is not None
        text = "\n".join(["# Many sites (`bench/run.py --only many-sites`)", "",
                          *machine_lines(machine(), command, many.started, many.finished), ""])
    if many is not None:
        text += "\n" + "\n".join(many_sites_section(many))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)
    say(f"wrote {args.output}")
    return 0


CODE_CHANGED = (
    "**the service's code changed during this run**: phases may have measured different versions"
)


def run_one_setup(
    setup: str,
    args: argparse.Namespace,
    documents: list[BenchDocument],
    workdir: Path,
    results: Results,
) -> None:
    """The scenarios on the embedded setup, or on a PostgreSQL + OpenSearch started here."""
    if setup == "embedded":
        env = {"DATABASE_URL": f"sqlite:///{workdir / 'embedded.db'}"}
        os.environ.pop("SEARCH_URL", None)
        phase(
            results.notes,
            "embedded setup",
            lambda: run_setup("embedded", env, args, documents, workdir, results),
        )
        return
    try:
        scaled_env = phase(
            results.notes,
            "starting PostgreSQL and OpenSearch",
            lambda: start_scaled_services(workdir),
        )
        if scaled_env is not None:
            phase(
                results.notes,
                "scaled setup",
                lambda: run_setup("scaled", env=scaled_env, args=args, documents=documents,
                                  workdir=workdir, results=results),
            )
    finally:
        stop_scaled_services(workdir)


# The service's packages.
SERVICE_PACKAGES = ("app", "core", "embedded", "scaled", "indexer")


def code_fingerprint() -> str:
    """A hash of the service's source files, to notice edits made while the run goes on."""
    digest = hashlib.sha256()
    for package in SERVICE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            digest.update(str(path).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )

    def version(command: list[str]) -> str:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=10)
        except OSError:
            return "missing"
        text = (done.stdout + done.stderr).strip().splitlines()
        return text[0] if text else "unknown"

    import sqlite3

    return {
        "cores": version(["nproc"]),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": version(["wrk", "--version"]),
        "nginx": version(["nginx", "-v"]),
        "revision": revision(),
    }


def revision() -> str:
    """The commit measured, and whether the working tree had changes (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.splitlines()
    except OSError:
        return "unknown"
    if not head:
        return "unknown"
    return head + (f" with uncommitted changes in {len(changed)} tracked files" if changed else "")


if __name__ == "__main__":
    sys.exit(main())
