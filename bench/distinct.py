"""Never-seen queries on our service, the original Go service and a bare Sanic app, side by side.

One query stream (bench/workload.py), one corpus, one run:

1. our service (`serve --workers 2`, SQLite, rate limits off, response cache on
   at its default size) loads the corpus; one client sends the last
   --latency-queries queries of the stream one at a time (bench/latency.py);
   then wrk sends the whole stream and the one-word queries alone. The service
   is restarted before each distinct run so its response cache starts empty:
   every query is one it has never seen.
2. a bare Sanic app with 2 workers answers every GET /v1 with the bytes and
   headers of our cached `lib` answer: the framework's ceiling. `lib` repeated
   goes to ours and to it in turn, CACHED_ROUNDS times each, both running: the
   machine's speed drifts by a fifth within minutes, and the ratio of two runs
   minutes apart showed the drift as much as the code. Then the bare app gets
   the single client and the two distinct streams.
3. the original Go + Redis service (bench/peers.py) loads the same corpus and
   gets the same single-client queries and the same wrk runs.

A second never-seen stream, cross-title (bench/cross_title.py: words of different
titles, mistyped words), goes to ours and to the Go service the same way. Before
ours is measured, the embedded engine sorts a part of each stream by the tier that
answers it (bench/tiers.py), and after the streams each tier's queries are sent
once each to find what a query of that tier costs a worker. On that same service
(response cache off), the distinct stream goes again without and with `&s=3`, in
turn, for what query suggestions cost a search (bench/suggestions_run.py).
"""

import argparse
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import httpx
from corpus import BenchDocument
from cross_title import CROSS, generate_cross, queries_of
from latency import LatencySummary, measure
from peers import BareSanic, GoPeer, find_peer_go_source
from processes import Service, Wrk, WrkResult, wrk_threads
from results import (
    BARE_SANIC,
    CACHED,
    CROSS_TITLE,
    GO,
    MIXED,
    ONE_WORD,
    OURS,
    DistinctResults,
    domain_name,
)
from steps import CACHE_OFF, CACHE_ON, bulk_bodies, drive, load_domain, record_memory, say
from suggestions_run import add_intents, measure_suggestions, popular_intents
from tiers import (
    EXACT,
    MISSES,
    TIERS,
    UNKNOWN,
    StreamToClassify,
    classify_streams,
    measure_tier_cpu,
    two_word,
)
from workload import FLOOD_SIZE, generate, one_word_only, write_flood_paths, write_paths

DISTINCT_SCRIPT = Path(__file__).resolve().parent / "distinct.lua"
REPEATED_QUERY = "lib"
# Headers a server sets on every answer by itself; the bare app copies all the others.
_OWN_HEADERS = {"content-length", "content-type", "connection", "keep-alive", "date"}
CACHED_ROUNDS = 5
STREAMS = (MIXED, ONE_WORD, CROSS_TITLE)
"""The never-seen workloads ours and the Go service both get (the bare app, the first two)."""


def run_distinct(
    args: argparse.Namespace,
    documents: list[BenchDocument],
    workdir: Path,
    results: DistinctResults,
) -> None:
    domain = domain_name(0)
    stream = generate(documents, count=args.distinct_queries)
    one_word = one_word_only(stream)
    cross = generate_cross(documents, count=args.distinct_queries)
    results.queries, results.one_word_queries = len(stream), len(one_word)
    results.cross_queries = dict(Counter(kind for _query, kind in cross))
    paths = {
        MIXED: write_paths(stream, domain, workdir / "distinct.paths"),
        ONE_WORD: write_paths(one_word, domain, workdir / "distinct-one-word.paths"),
        CROSS_TITLE: write_paths(queries_of(cross), domain, workdir / "cross-title.paths"),
    }
    # wrk reaches a stream's end last
    never_seen = {MIXED: stream[-args.latency_queries :],
                  CROSS_TITLE: queries_of(cross)[-args.latency_queries :]}
    say(f"distinct stream: {len(stream):,} queries, {len(one_word):,} of one word; "
        f"cross-title stream: {results.cross_queries}")
    to_classify = {  # the dead ends are counted in the cross-title two-word queries
        MIXED: StreamToClassify(sorted_sample(stream, args)),
        CROSS_TITLE: StreamToClassify(sorted_sample(queries_of(cross), args),
                                      two_word(queries_of(cross, CROSS))),
    }

    cached_answer = run_ours(args, documents, workdir, results, domain, paths, never_seen,
                             to_classify)

    bare = BareSanic(workdir, args.workers)
    try:
        bare.start(*cached_answer)
        # The floor for one client: the framework answering fixed bytes, same client.
        results.latency[BARE_SANIC] = measure(bare.port, domain, never_seen[MIXED])
        run_workloads(args, results, BARE_SANIC, bare, domain, paths, cached=False)
    finally:
        bare.stop()

    if not args.go:
        return
    source = find_peer_go_source()
    if source is None:
        results.notes.append(
            "the original Go service was left out: no shared/peers/autocompeter-go found "
            "beside the checkout (set PEER_GO_SOURCE)"
        )
        return
    go = GoPeer(source)
    try:
        say("go: building (once) and starting the original Go + Redis service")
        go.start()
        say(f"go: loading {len(documents):,} titles (its loader, one client, 1,000 a request)")
        results.loads[GO] = go.load(args.corpus, domain)
        say(f"go: loaded in {results.loads[GO]:.1f} s")
        results.lib_hits[GO] = count_results(go.base_url, domain)
        results.latency[GO] = measure(go.port, domain, never_seen[MIXED])
        results.cross_latency[GO] = cross_latency(go.port, domain, never_seen, results)
        run_workloads(args, results, GO, go, domain, paths, workloads=STREAMS)
    finally:
        go.stop()


def run_ours(
    args: argparse.Namespace,
    documents: list[BenchDocument],
    workdir: Path,
    results: DistinctResults,
    domain: str,
    paths: dict[str, Path],
    never_seen: dict[str, list[str]],
    to_classify: dict[str, StreamToClassify],
) -> tuple[bytes, str, dict[str, str]]:
    """Our service's runs; returns its cached `lib` answer: body, content type, headers."""
    env = {**CACHE_ON, "DATABASE_URL": f"sqlite:///{workdir / 'distinct.db'}"}

    def start(settings: dict[str, str] = env) -> Service:
        return Service(workdir, settings, args.workers, "distinct").start()

    service = start()
    try:
        say(f"ours: loading {len(documents):,} titles into {domain}")
        _loaded, seconds, _searchable, _rejected = load_domain(
            service, domain, bulk_bodies(documents), documents[-1]
        )
        results.loads[OURS] = seconds
        service.stop()  # the probe searches of the load leave nothing cached
        say("ours: sorting the streams' queries by tier, in this process, service stopped")
        try:
            results.tiers = classify_streams(env["DATABASE_URL"], domain, to_classify)
        except Exception as error:  # the engine's API may be changing; the rest still counts
            say(f"sorting by tier failed: {error!r}")
            results.notes.append(f"**sorting the queries by tier failed**: `{error!r}`"[:2000])
        service = start()
        warm_up(service.base_url, domain)
        results.latency[OURS] = measure(service.port, domain, never_seen[MIXED])
        results.cross_latency[OURS] = cross_latency(service.port, domain, never_seen, results)
        for workload in STREAMS:
            service.stop()  # an empty response cache for each stream
            service = start()
            results.runs[OURS, workload] = drive_stream(args, service, paths[workload], workload)
        service.stop()  # each tier's queries once each, the response cache off
        intents = popular_intents(documents)  # for the suggestions, after the tiers
        add_intents(env["DATABASE_URL"], domain, intents)
        service = start({**env, **CACHE_OFF})
        warm_up(service.base_url, domain)
        for name, tiers in results.tiers.items():
            measure_tier_cpu(service, service.base_url, domain, name, tiers, args.tier_sample,
                             args.distinct_connections, workdir)
        measure_suggestion_cost(args, results, service, domain, paths[MIXED], intents)
        service.stop()
        service = start()
        answer = cached_answer(service.base_url, domain)
        results.lib_hits[OURS] = count_results(service.base_url, domain)
        bare = BareSanic(workdir, args.workers).start(*answer)
        try:
            compare_cached(args, results, {OURS: service, BARE_SANIC: bare}, domain)
        finally:
            bare.stop()
        record_memory(results.memory, service, "after the distinct-query runs")
        flood = write_flood_paths(paths_queries(paths[MIXED]), domain,
                                  workdir / "flood.paths")
        drive(distinct_wrk(args, flood), service.base_url + "/", args.distinct_connections,
              f"{OURS}: flood of distinct queries and groups, n={FLOOD_SIZE}", service)
        record_memory(results.memory, service,
                      f"after a flood of distinct queries, each with its own group, n={FLOOD_SIZE}")
    finally:
        service.stop()
    return answer


def measure_suggestion_cost(
    args: argparse.Namespace,
    results: DistinctResults,
    service: Service,
    domain: str,
    paths: Path,
    intents: dict[str, int],
) -> None:
    """The distinct stream without and with `&s=3`; a failure is a note, the rest counts."""
    try:
        results.suggestions = measure_suggestions(
            args, lambda stream: distinct_wrk(args, stream), service, service.base_url,
            domain, paths, paths_queries(paths), intents)
    except Exception as error:  # the suggestions may be changing; the rest still counts
        say(f"measuring the suggestions failed: {error!r}")
        results.notes.append(f"**measuring `&s=3` failed**: `{error!r}`"[:2000])


def compare_cached(
    args: argparse.Namespace,
    results: DistinctResults,
    servers: dict[str, Service | BareSanic],
    domain: str,
) -> None:
    """`lib` repeated on each server in turn, CACHED_ROUNDS times; the median run counts."""
    rounds: dict[str, list[WrkResult]] = {system: [] for system in servers}
    for _round in range(CACHED_ROUNDS):
        for system, server in servers.items():
            rounds[system].append(drive(
                Wrk(args.distinct_duration), lib_url(server.base_url, domain),
                args.distinct_connections, f"{system}: {CACHED}", server,
            ))
    for system, runs in rounds.items():
        results.runs[system, CACHED] = sorted(runs, key=lambda run: run.rps)[len(runs) // 2]
        results.cached_rounds[system] = [run.rps for run in runs]


def run_workloads(
    args: argparse.Namespace,
    results: DistinctResults,
    system: str,
    server: GoPeer | BareSanic,
    domain: str,
    paths: dict[str, Path],
    cached: bool = True,
    workloads: tuple[str, ...] = (MIXED, ONE_WORD),
) -> None:
    """The wrk runs on a server that was started and loaded elsewhere (Go, bare Sanic):
    ``workloads``, and `lib` repeated unless ``cached`` is off (compared already)."""
    for workload in workloads:
        wrk = distinct_wrk(args, paths[workload])
        results.runs[system, workload] = drive(
            wrk, server.base_url + "/", args.distinct_connections, f"{system}: {workload}", server
        )
    if not cached:
        return
    url = lib_url(server.base_url, domain)
    httpx.get(url, timeout=30)  # as for ours: the measured answers are repeats
    results.runs[system, CACHED] = drive(
        Wrk(args.distinct_duration), url, args.distinct_connections, f"{system}: {CACHED}",
        server,
    )


def distinct_wrk(args: argparse.Namespace, paths: Path) -> Wrk:
    threads = wrk_threads(args.distinct_connections)
    return Wrk(args.distinct_duration, DISTINCT_SCRIPT, [str(paths), str(threads)])


def drive_stream(
    args: argparse.Namespace, service: Service, paths: Path, workload: str
) -> WrkResult:
    warm_up(service.base_url, domain_name(0))
    return drive(
        distinct_wrk(args, paths), service.base_url + "/", args.distinct_connections,
        f"{OURS}: {workload}", service,
    )


WARM_UP_SECONDS = 8.0


def warm_up(base_url: str, domain: str) -> None:
    """A fresh worker opens its database and, on its first search of a domain, builds
    that domain's in-memory index (about 1.2 s of CPU for this corpus; FTS5 answers
    meanwhile). Pay both outside the measurement: queries no title matches, each on
    a new connection so both workers get some, for WARM_UP_SECONDS."""
    deadline = time.monotonic() + WARM_UP_SECONDS
    i = 0
    while time.monotonic() < deadline:
        httpx.get(f"{base_url}/v1", params={"d": domain, "q": f"qqwarmup{i}"},
                  timeout=30).raise_for_status()
        i += 1
        time.sleep(0.05)


def sorted_sample(queries: list[str], args: argparse.Namespace) -> list[str]:
    """The queries whose tier is found: the stream's first --tier-queries (it is
    shuffled: a fair sample) and the last --latency-queries (the one-client ones)."""
    return list(dict.fromkeys(queries[: args.tier_queries]
                              + queries[-args.latency_queries :]))


def cross_latency(port: int, domain: str, never_seen: dict[str, list[str]],
                  results: DistinctResults) -> dict[str, LatencySummary]:
    """One client on the cross-title stream's last queries, sorted by our tier of each."""
    queries = never_seen[CROSS_TITLE]
    tiers = results.tiers.get(CROSS_TITLE)
    tier_of = tiers.tier_of if tiers else {}
    return measure(port, domain, queries, kind=lambda query, _body: tier_of.get(query, UNKNOWN),
                   together={MISSES: [tier for tier in TIERS if tier != EXACT]})


def paths_queries(paths: Path) -> list[str]:
    """The queries of a paths file, in order (`q=` of each line, decoded)."""
    return [unquote(line.split("&q=", 1)[1]) for line in paths.read_text().splitlines()]


def lib_url(base_url: str, domain: str) -> str:
    return f"{base_url}/v1?d={domain}&q={REPEATED_QUERY}"


def cached_answer(base_url: str, domain: str) -> tuple[bytes, str, dict[str, str]]:
    """Our answer to `lib` once it is cached: the body, content type and other headers."""
    with httpx.Client(timeout=30) as http:
        for _ in range(3):  # the first fills the cache of one worker, then of the other
            response = http.get(lib_url(base_url, domain))
    response.raise_for_status()
    headers = {k: v for k, v in response.headers.items() if k.lower() not in _OWN_HEADERS}
    return response.content, response.headers["content-type"], headers


def count_results(base_url: str, domain: str) -> int:
    response = httpx.get(lib_url(base_url, domain), timeout=30)
    response.raise_for_status()
    return len(response.json()["results"])
