"""The fixed scenarios of issue 6 on one setup: the cold, warm and scale phases.

Cold: the 64k titles loaded into a fresh service with the response cache off, then every
scenario at every connection count, nginx serving the same bodies right after each (and, on
the scaled setup, the engine directly and a bare proxy: bench/scaled_engine.py; on a cluster
the index gets a copy on every node first). Warm: the same queries with the response cache
on. Scale: more domains with the same titles in the same database. A phase that fails is
noted in the results and the report still written.
"""

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import orjson
from corpus import BenchDocument
from distinct import warm_up
from engine_requests import count_engine_requests, engine_requests_table, never_seen_streams
from engine_timings import engine_timings
from peers import BareProxy
from processes import Nginx, Service, Wrk
from results import SCENARIOS, LoadStep, Results, domain_name
from scaled_engine import (
    drive_engine_directly,
    engine_requests_by_scenario,
    replicate_index,
    scaled_processes,
    settle_engine,
    start_bare_proxy,
)
from steps import CACHE_OFF, CACHE_ON, bulk_bodies, drive, load_domain, record_memory, say

T = TypeVar("T")


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
        if setup == "scaled" and args.nodes > 1:  # serve has migrated: the index is there
            results.notes.append(replicate_index(env, args.nodes))
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
        if engine_requests:  # before any wrk load: searches one after another
            results.miss_requests = engine_requests_table(count_engine_requests(
                env, base_domain, never_seen_streams(documents, count=args.distinct_queries)))
            settle_engine(env, service, base_domain)
            proxy = start_bare_proxy(env, results, workdir, args.workers, engine_requests)
        for scenario in SCENARIOS:
            results.engine_requests[scenario.slug] = len(engine_requests.get(scenario.slug, []))
            for conns in connections:
                url = service.base_url + scenario.query(base_domain)
                results.cold[scenario.slug, conns] = drive(
                    wrk, url, conns, f"cold {scenario.name} ({scenario.q})", service,
                    beside=scaled_processes(workdir) if engine_requests else None,
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
                        f"bare proxy {scenario.name}", proxy, scaled_processes(workdir))
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

