"""Issue 6's benchmark: bulk load, query mix under wrk, nginx ceiling, RSS, scale curve.

    make bench                                   # the full run, writes BENCHMARKS.md
    .venv/bin/python bench/run.py --duration 1 --no-scale --output /tmp/quick.md   # a quick look

Corpus: Debian's ~64,000 package names with descriptions (see bench/corpus.py),
loaded through `POST /v1/bulk` into `autocompeter serve --workers 2` on a temp
SQLite file. wrk drives `GET /v1` per scenario and connection count; nginx serves
the very same response bodies as static files for the ceiling. All traffic goes
to 127.0.0.1; every load test stops after --duration seconds.
"""

import argparse
import asyncio
import contextlib
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlencode

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from corpus import BenchDocument, load_corpus
from processes import ROOT, Memory, Nginx, Service, Wrk, WrkResult, free_port, memory
from report import write_report

T = TypeVar("T")
CORPUS_CACHE = ROOT / ".work" / "bench" / "debian-packages.json"
CHUNK = 10_000


@dataclass(frozen=True)
class Scenario:
    name: str
    q: str
    groups: str = ""

    @property
    def slug(self) -> str:
        return "-".join(self.name.split())

    def query(self, domain: str) -> str:
        params = {"d": domain, "q": self.q}
        if self.groups:
            params["g"] = self.groups
        return "/v1?" + urlencode(params)


SCENARIOS = [
    Scenario("one letter", "p"),
    Scenario("two letters", "py"),
    Scenario("three letters", "pyt"),
    Scenario("full word", "python"),
    Scenario("two words", "python mod"),
    Scenario("typo", "pyhton"),
    Scenario("miss", "zzqx"),
    Scenario("group", "python", "docs"),
]


def domain_name(index: int) -> str:
    return f"bench{index}.example"


@dataclass
class LoadStep:
    domains: int
    titles_total: int
    loaded: int
    seconds: float
    """From the first bulk request until the last one was acknowledged."""
    searchable_seconds: float
    """From the first bulk request until the last title was found by a search."""
    rejected: int

    @property
    def rate(self) -> float:
        return self.loaded / self.seconds


@dataclass
class Results:
    setup: str
    args: argparse.Namespace
    command: str
    cache_available: bool
    started: datetime
    loads: list[LoadStep] = field(default_factory=list)
    memory: list[tuple[str, list[Memory]]] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)
    body_bytes: dict[str, int] = field(default_factory=dict)
    cold: dict[tuple[str, int], WrkResult] = field(default_factory=dict)
    warm: dict[tuple[str, int], WrkResult] = field(default_factory=dict)
    nginx: dict[tuple[str, int], WrkResult] = field(default_factory=dict)
    scale: dict[int, dict[str, WrkResult]] = field(default_factory=dict)
    engine_ms: dict[int, dict[str, tuple[float, float]]] = field(default_factory=dict)
    engine_direct: dict[tuple[str, int], WrkResult] = field(default_factory=dict)
    """Scaled setup: the service's tier 1-2 search body sent straight to the engine."""
    db_bytes: dict[int, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    finished: datetime | None = None


def say(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# -- loading -------------------------------------------------------------------


def bulk_bodies(documents: list[BenchDocument]) -> list[tuple[int, bytes]]:
    """The bulk request bodies, serialised once, outside any timing."""
    return [
        (len(documents[i : i + CHUNK]), orjson.dumps({"documents": documents[i : i + CHUNK]}))
        for i in range(0, len(documents), CHUNK)
    ]


def load_domain(
    service: Service, domain: str, bodies: list[tuple[int, bytes]], probe: BenchDocument
) -> tuple[int, float, float, int]:
    """Loads one domain; returns (loaded, acknowledged s, searchable s, rejected)."""
    key = service.create_key(domain)
    headers = {"Auth-Key": key, "Content-Type": "application/json"}
    loaded = rejected = 0
    probe_query = {"d": domain, "q": probe["title"].split(" — ")[0], "n": "100"}
    with httpx.Client(base_url=service.base_url, timeout=300) as http:
        started = time.perf_counter()
        for size, body in bodies:
            response = http.post("/v1/bulk", content=body, headers=headers)
            if response.status_code != 201:
                raise RuntimeError(
                    f"bulk load answered {response.status_code}: {response.text[:500]}"
                )
            answer = response.json()
            loaded += answer["count"]
            rejected += len(answer.get("rejected", []))
            if answer["count"] + len(answer.get("rejected", [])) != size:
                raise RuntimeError(f"bulk load of {size} titles answered {answer}")
        acknowledged = time.perf_counter() - started
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            found = http.get("/v1", params=probe_query).json().get("results", [])
            if any(url == probe["url"] for url, _title in found):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"{probe['url']} never became searchable in {domain}")
        searchable = time.perf_counter() - started
    return loaded, acknowledged, searchable, rejected


def record_memory(results: Results, service: Service, label: str) -> None:
    found = [m for m in (memory(pid) for pid in service.worker_pids()) if m is not None]
    results.memory.append((label, found))
    say(
        f"RSS {label}: "
        + ", ".join(f"{m.pid}: {m.rss_mb:.0f} MB (peak {m.hwm_mb:.0f})" for m in found)
    )


# -- querying ------------------------------------------------------------------


def capture_bodies(service: Service, domain: str) -> dict[str, bytes]:
    bodies = {}
    with httpx.Client(base_url=service.base_url, timeout=30) as http:
        for scenario in SCENARIOS:
            for _ in range(3):  # the first request also warms the worker
                response = http.get(scenario.query(domain))
            if response.status_code != 200:
                raise RuntimeError(f"{scenario.name}: {response.status_code} {response.text}")
            bodies[scenario.slug] = response.content
    return bodies


def drive(
    wrk: Wrk, url: str, connections: int, label: str, service: Service | None = None
) -> WrkResult:
    result = wrk.run(url, connections, service.worker_pids() if service else None)
    errors = f", {result.errors} errors" if result.errors else ""
    if result.errors > result.requests / 100:
        errors += " - MORE THAN 1% ERRORS: these numbers are not answers"
    say(
        f"{label:<40} c={connections:<3} {result.rps:9.0f} req/s  p50 {result.p50_ms:7.2f} ms"
        f"  p99 {result.p99_ms:7.2f} ms{errors}"
    )
    return result


def drive_engine_directly(env: dict[str, str], domain: str, args: argparse.Namespace,
                          workdir: Path, results: Results, wrk: Wrk) -> None:
    """The same search the service sends (tiers 1-2), straight to the engine's _search."""
    from core.engine import SearchQuery
    from core.text import words
    from scaled.query import search_body

    engine = env["SEARCH_URL"].split("+", 1)[1].rstrip("/")
    url = f"{engine}/{env.get('SEARCH_INDEX', 'autocompeter')}/_search"
    for scenario in SCENARIOS:
        groups = tuple(g for g in scenario.groups.split(",") if g)
        body = search_body(SearchQuery(domain, tuple(words(scenario.q)), 10, groups))
        body_file = workdir / f"engine-{scenario.slug}.json"
        body_file.write_bytes(orjson.dumps(body))
        # bench/engine.lua POSTs the file's JSON instead of GETting the URL.
        direct = Wrk(wrk.duration, ROOT / "bench" / "engine.lua", [str(body_file)])
        for conns in args.connections:
            results.engine_direct[scenario.slug, conns] = drive(
                direct, url, conns, f"engine directly {scenario.name}")


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
    from app.backends import open_backends
    from app.settings import load_settings
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


def cache_setting_available() -> bool:
    """RESPONSE_CACHE=on/off, or RESPONSE_CACHE_SIZE (0 = off), whichever the service has."""
    try:
        from app.settings import Settings
    except Exception:  # the service is being edited; measure anyway
        return False
    return bool({"response_cache", "response_cache_size"} & set(Settings.model_fields))


def scaled_setup_unavailable() -> str | None:
    """Why the PostgreSQL + OpenSearch setup cannot run yet, or None when it can."""
    try:
        from pydantic import ValidationError

        from app.backends import UnsupportedSetup, open_backends
        from app.settings import load_settings
    except ImportError as error:
        return f"cannot import the service: {error}"
    try:
        settings = load_settings(
            database_url="postgresql://bench@127.0.0.1:1/bench",
            search_url="opensearch+http://127.0.0.1:1",
        )
        backends = open_backends(settings)
    except (UnsupportedSetup, ImportError, ValidationError) as error:
        return f"{type(error).__name__}: {error}".splitlines()[0]
    except Exception:
        return None  # it tried to reach the (fake) servers: the setup exists
    with contextlib.suppress(Exception):
        asyncio.run(backends.close())
    return None


def start_scaled_services(workdir: Path) -> dict[str, str]:
    """SCALED SETUP HOOK: a real PostgreSQL and OpenSearch node under WORKDIR."""
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
            results,
            "cold phase (64k load, queries, nginx)",
            lambda: cold_phase(setup, env, args, documents, bodies, workdir, results, wrk, nginx),
        )
        if answers is None:
            return
        phase(
            results,
            "warm phase",
            lambda: warm_phase(setup, env, args, workdir, results, wrk, answers),
        )
    finally:
        nginx.stop()
    if args.scale:
        phase(
            results,
            "scale phase",
            lambda: scale_phase(setup, env, args, documents, bodies, workdir, results, wrk),
        )


def phase(results: Results, name: str, work: Callable[[], T]) -> T | None:
    try:
        return work()
    except Exception as error:
        say(f"{name} failed: {error!r}")
        results.notes.append(f"**{name} failed**: `{error!r}`"[:2000])
        return None


# The bench measures capacity, so the service's per-client rate limits are off.
NO_LIMITS = {"SEARCH_RATE_LIMIT": "off", "WRITE_RATE_LIMIT": "off"}
CACHE_OFF = {**NO_LIMITS, "RESPONSE_CACHE": "off", "RESPONSE_CACHE_SIZE": "0"}
CACHE_ON = {**NO_LIMITS, "RESPONSE_CACHE": "on"}


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
        record_memory(results, service, "after loading 64k (cold server)")
        answers = capture_bodies(service, base_domain)
        nginx_urls = {slug: nginx.put(slug, body) for slug, body in answers.items()}
        for scenario in SCENARIOS:
            body = orjson.loads(answers[scenario.slug])
            results.hits[scenario.slug] = len(body["results"])
            results.body_bytes[scenario.slug] = len(answers[scenario.slug])
        connections = sorted(
            set(args.connections) | ({args.scale_connections} if args.scale else set())
        )
        for scenario in SCENARIOS:
            for conns in connections:
                url = service.base_url + scenario.query(base_domain)
                results.cold[scenario.slug, conns] = drive(
                    wrk, url, conns, f"cold {scenario.name} ({scenario.q})", service
                )
                if conns in args.connections:
                    results.nginx[scenario.slug, conns] = drive(
                        wrk, nginx_urls[scenario.slug], conns, f"nginx {scenario.name}"
                    )
        record_memory(results, service, "after the cold load test")
    finally:
        service.stop()
    if env.get("SEARCH_URL"):
        drive_engine_directly(env, base_domain, args, workdir, results, wrk)
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
    """The same queries with the response cache on (when the service has one)."""
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
        record_memory(results, service, "after the warm load test")
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
            record_memory(results, service, f"after the {target}-domain load and load test")
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
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temp dir (databases, logs) and print where it is",
    )
    args = parser.parse_args(argv)
    args.scale_domains = [n for n in args.scale_domains if n > 1]
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
    available = cache_setting_available()
    if not available:
        say(
            "cache setting not available: RESPONSE_CACHE is not a setting of the service "
            "yet, so the cold and warm runs measure the same thing"
        )
    workdir = Path(tempfile.mkdtemp(prefix="autocompeter-bench-"))
    fingerprint = code_fingerprint()
    setups = ["embedded", "scaled"] if args.setup == "both" else [args.setup]
    all_results: list[Results] = []
    skipped: list[str] = []
    try:
        for setup in setups:
            results = Results(setup, args, command, available, datetime.now(UTC))
            if setup == "embedded":
                env = {"DATABASE_URL": f"sqlite:///{workdir / 'embedded.db'}"}
                env.pop("SEARCH_URL", None)
                os.environ.pop("SEARCH_URL", None)
                phase(
                    results,
                    "embedded setup",
                    lambda env=env, results=results: run_setup(
                        "embedded", env, args, documents, workdir, results
                    ),
                )
            else:
                # SCALED SETUP HOOK: PostgreSQL + OpenSearch, when the service supports it.
                reason = scaled_setup_unavailable()
                if reason:
                    message = (
                        "scaled setup (PostgreSQL + OpenSearch) skipped: the service "
                        f"does not support it yet ({reason})"
                    )
                    say(message)
                    skipped.append(message)
                    continue
                try:
                    scaled_env = phase(
                        results,
                        "starting PostgreSQL and OpenSearch",
                        lambda: start_scaled_services(workdir),
                    )
                    if scaled_env is not None:
                        phase(
                            results,
                            "scaled setup",
                            lambda env=scaled_env, results=results: run_setup(
                                "scaled", env, args, documents, workdir, results
                            ),
                        )
                finally:
                    stop_scaled_services(workdir)
            results.finished = datetime.now(UTC)
            if code_fingerprint() != fingerprint:
                results.notes.append(
                    "**the service's code (app/, core/, embedded/, indexer/, scaled/) changed "
                    "during this run**: "
                    "phases may have measured different versions"
                )
            all_results.append(results)
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if not any(results.cold for results in all_results):
        for results in all_results:
            for note in results.notes:
                say(note)
        say(f"nothing was measured; {args.output} left as it was")
        return 1
    text = write_report(all_results, skipped, machine(), SCENARIOS)
    args.output.write_text(text)
    print(text)
    say(f"wrote {args.output}")
    return 0


def code_fingerprint() -> str:
    """A hash of the service's source files, to notice edits made while the run goes on."""
    digest = hashlib.sha256()
    for package in ("app", "core", "embedded", "indexer", "scaled"):
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
