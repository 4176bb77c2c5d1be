"""The scaled setup beside the service: its PostgreSQL and OpenSearch, and the engine driven
without the service.

The scaled setup's cold runs are compared with what the engine does on its own: the engine
requests the service sends for a scenario, recorded from the service's own engine code and
POSTed straight to the engine (`drive_engine_directly`), and bench/bare_proxy.py passing the
same requests on (`start_bare_proxy`), the floor of one hop through Sanic. bench/scenario_phases.py
drives them right after the service, in the same conditions.

With `--nodes N` the engine is a cluster of N OpenSearch nodes on loopback (the project's
services/opensearch/start.sh with OPENSEARCH_NODES=N), its index copied to every node
(`replicate_index`). The service and the bare proxy spread their requests over the hosts; the
engine driven directly asks the first host only.
"""

import asyncio
import itertools
import os
import socket
import statistics
import subprocess
import time
from pathlib import Path

import httpx
import orjson
from peers import BareProxy
from processes import ROOT, Service, Wrk, WrkResult, children, free_port
from results import SCENARIOS, Results
from steps import drive, say

from core.engine import SearchQuery
from scaled.config import ClusterConfig, parse_search_url


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
    plain_http = all(host.startswith("http:") for host in cluster.hosts)
    if cluster.kind != "opensearch" or not plain_http or cluster.username or cluster.api_key:
        results.notes.append("no bare proxy: it speaks plain HTTP to OpenSearch only")
        return None
    return BareProxy(workdir, workers).start(env["SEARCH_URL"], cluster.alias, requests)


def replicate_index(env: dict[str, str], nodes: int) -> str:
    """Give the service's index a copy on each of ``nodes`` nodes and wait for green.

    `migrate` (which `serve` runs) makes the index with one shard and no replica, whatever
    the cluster; docs/production.md tells operators to add replicas after it, as done here.
    Returns where the copies are, for the report's notes."""
    cluster = cluster_of(env)
    engine, alias = cluster.hosts[0], cluster.alias
    with httpx.Client(timeout=90) as http:
        http.put(f"{engine}/{alias}/_settings",
                 json={"index": {"number_of_replicas": nodes - 1}}).raise_for_status()
        health = http.get(f"{engine}/_cluster/health/{alias}",
                          params={"wait_for_status": "green", "timeout": "60s"}).json()
        if health.get("status") != "green":
            raise RuntimeError(f"{alias} not green with {nodes - 1} replicas: {health}")
        shards = http.get(f"{engine}/_cat/shards/{alias}",
                          params={"format": "json", "h": "index,prirep,node"}).json()
    copies = ", ".join(f"{shard['node']} ({'primary' if shard['prirep'] == 'p' else 'replica'})"
                       for shard in sorted(shards, key=lambda shard: shard["node"]))
    return f"index {shards[0]['index']}: {nodes - 1} replicas set after `migrate`; {copies}"


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
    ``query`` once its word lists are cached: it fetches those every 10 s per
    worker, not once per search. The fewest of three searches, made once the word
    lists are in."""
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
        # A letter's first word list is waited for 0.25 s at most: on a cluster just
        # loaded, a search may go on without it and make no typo step. So a first search
        # fetches the lists, not recorded, and those after it wait until they are in.
        await cluster.search(query)
        for _ in range(3):
            await asyncio.gather(*cluster._vocabulary.refreshing.values())
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



TRANSPORT_OFFSET = 100
"""services/opensearch/start.sh gives a cluster's node i transport port PORT+100+i-1."""


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def cluster_base_port(nodes: int, attempts: int = 50) -> int:
    """A PORT whose cluster ports are all free: HTTP PORT..PORT+nodes-1 and transport
    PORT+100..PORT+100+nodes-1."""
    for _ in range(attempts):
        base = free_port()
        ports = [base + offset + i for offset in (0, TRANSPORT_OFFSET) for i in range(nodes)]
        if max(ports) < 65536 and all(port_is_free(port) for port in ports):
            return base
    raise RuntimeError(f"no free run of ports for {nodes} OpenSearch nodes in {attempts} tries")


def started_url(command: list[str], **env: str) -> str:
    """Run a service's start.sh; the URL it prints last. A failure says what start.sh said."""
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env})
    if done.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).parent.name}/start.sh failed "
                           f"({done.returncode}): {done.stderr[-1500:]}")
    return done.stdout.strip().splitlines()[-1]


def start_scaled_services(workdir: Path, nodes: int = 1) -> dict[str, str]:
    """A real PostgreSQL and an OpenSearch node, or a cluster of ``nodes``, under WORKDIR."""
    services = ROOT / "services"
    postgres = started_url([str(services / "postgres" / "start.sh"), str(workdir / "pg"),
                            str(free_port())])
    port = cluster_base_port(nodes) if nodes > 1 else free_port()
    cluster = {"OPENSEARCH_TRANSPORT_PORT": str(port + TRANSPORT_OFFSET)} if nodes > 1 else {}
    opensearch = started_url(
        [str(services / "opensearch" / "start.sh"), str(workdir / "os"), str(port)],
        OPENSEARCH_NODES=str(nodes), **cluster)
    # A cluster's URL names every host with the scheme; one node's is its http:// address.
    search_url = opensearch if opensearch.startswith("opensearch+") else "opensearch+" + opensearch
    return {"DATABASE_URL": postgres, "SEARCH_URL": search_url}


def scaled_processes(workdir: Path) -> dict[str, list[int]]:
    """The processes of the services `start_scaled_services` started under ``workdir``, by
    name: the OpenSearch node(s) and PostgreSQL (its server and its backends), found again
    before each run (a backend may have come or gone). Services started elsewhere (none
    under ``workdir``) are not watched."""
    pid_files = [workdir / "os" / "opensearch.pid",
                 *sorted((workdir / "os").glob("opensearch-node*/opensearch.pid"))]
    engine = [pid for pid in map(pid_in, pid_files) if pid is not None]
    postmaster = pid_in(workdir / "pg" / "pgdata" / "postmaster.pid")
    database = [postmaster, *children(postmaster)] if postmaster is not None else []
    return {name: pids for name, pids in (("engine", engine), ("PostgreSQL", database)) if pids}


def pid_in(pid_file: Path) -> int | None:
    """The pid a service wrote (the first line of its pid file), None if it has none."""
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def stop_scaled_services(workdir: Path) -> None:
    """stop.sh of each service started here; OpenSearch's stops a cluster's nodes too."""
    services = ROOT / "services"
    for name, sub in (("opensearch", "os"), ("postgres", "pg")):
        if (workdir / sub).exists():
            subprocess.run([str(services / name / "stop.sh"), str(workdir / sub)], check=False)

