"""One setup's section of BENCHMARKS.md: its targets, then the bulk load, the cold and warm
queries against nginx, the service against the engine (scaled setup), the scale curve, the
engine alone and the workers' memory, one table each."""

from collections.abc import Sequence

from report_format import cpu, memory_table, number
from report_scenario_targets import targets
from results import Results, Scenario

NODE_COUNTS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def setup_heading(results: Results) -> str:
    """The setup, and for the scaled one its search engine's nodes: a one-node run and a
    cluster run can then sit side by side in BENCHMARKS.md."""
    if results.setup != "scaled":
        return f"## {results.setup} setup"
    nodes = results.args.nodes
    count = NODE_COUNTS.get(nodes, str(nodes))
    return f"## scaled setup ({'one node' if nodes == 1 else f'{count}-node cluster'})"


def setup_section(results: Results, scenarios: Sequence[Scenario]) -> list[str]:
    out = [setup_heading(results), ""]
    out += [*targets(results, scenarios), ""]
    out += warnings(results)
    out += load_table(results)
    duration = results.args.duration
    out += [f"### Queries, cold (`RESPONSE_CACHE_BYTES=0`), {duration:g} s of wrk each", ""]
    out += [*query_table(results, scenarios, warm=False), ""]
    out += [f"### Queries, warm (response cache at its default size), {duration:g} s "
            "of wrk each", ""]
    out += [*query_table(results, scenarios, warm=True), ""]
    if results.engine_direct:
        out += engine_direct_table(results, scenarios)
    if results.scale:
        out += scale_table(results, scenarios)
    if results.engine_ms:
        out += engine_alone_table(results, scenarios)
    out += ["### Memory of the worker processes (`/proc/PID/status`)", "",
            *memory_table(results.memory), ""]
    return out


def warnings(results: Results) -> list[str]:
    """The wrk runs with too many errors to count, and the notes of failed steps."""
    out = []
    bad = [
        r
        for r in [
            *results.cold.values(),
            *results.warm.values(),
            *(m for by in results.scale.values() for m in by.values()),
        ]
        if r.errors > r.requests / 100
    ]
    if bad:
        out += [
            f"- **{len(bad)} wrk runs got more than 1% errors (non-2xx or socket "
            "errors)**: their req/s are not answers; see the errors column",
            "",
        ]
    if results.notes:
        out += [*(f"- {note}" for note in results.notes), ""]
    return out


def load_table(results: Results) -> list[str]:
    out = [
        "### Bulk load (`POST /v1/bulk`, chunks of 10,000, one client)",
        "",
        "| domains | titles in the database | loaded in this step | seconds "
        "| docs/s | searchable after s |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for load in results.loads:
        out.append(
            f"| {load.domains} | {load.titles_total:,} | {load.loaded:,} "
            f"| {load.seconds:.2f} | {load.rate:,.0f} | {load.searchable_seconds:.2f} |"
        )
    if results.db_bytes:
        sizes = ", ".join(
            f"{n} domain(s): {size / 2**20:,.0f} MiB"
            for n, size in sorted(results.db_bytes.items())
            if size
        )
        if sizes:
            out += ["", f"Database file size (with WAL): {sizes}."]
    out.append("")
    return out


def query_text(scenario: Scenario) -> str:
    text = f"`q={scenario.q}`"
    return text + (f" `g={scenario.groups}`" if scenario.groups else "")


def query_table(results: Results, scenarios: Sequence[Scenario], warm: bool) -> list[str]:
    measured = results.warm if warm else results.cold
    rows = [
        "| scenario | query | hits | conns | req/s | p50 ms | p99 ms | nginx req/s "
        "| service/nginx | worker CPU us/req | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in scenarios:
        for conns in results.args.connections:
            if (scenario.slug, conns) not in measured:
                continue
            ours = measured[scenario.slug, conns]
            ceiling = results.nginx.get((scenario.slug, conns))
            ratio = f"{ours.rps / ceiling.rps:.1%}" if ceiling else "-"
            rows.append(
                f"| {scenario.name} | {query_text(scenario)} | {results.hits[scenario.slug]} "
                f"| {conns} | {number(ours.rps)} | {number(ours.p50_ms)} | {number(ours.p99_ms)} "
                f"| {number(ceiling.rps) if ceiling else '-'} | {ratio} "
                f"| {cpu(ours.cpu_us_per_request)} | {ours.errors} |"
            )
    return rows


def engine_direct_table(results: Results, scenarios: Sequence[Scenario]) -> list[str]:
    """Scaled setup: the service's cold runs beside its engine requests sent straight to the
    engine, and beside bench/bare_proxy.py passing them on."""
    out = [
        "### The service against the engine itself (cold, the service's engine requests "
        "POSTed straight to the engine)",
        "",
        "| scenario | conns | service req/s | service p50 ms | engine requests "
        "| engine req/s | engine p50 ms | service/engine p50 | bare proxy req/s "
        "| bare proxy p50 ms | bare proxy/engine p50 | service/bare proxy p50 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in scenarios:
        for conns in results.args.connections:
            service = results.cold.get((scenario.slug, conns))
            engine = results.engine_direct.get((scenario.slug, conns))
            proxy = results.bare_proxy.get((scenario.slug, conns))
            if service and engine:
                out.append(
                    f"| {scenario.name} | {conns} | {number(service.rps)} "
                    f"| {service.p50_ms:.2f} "
                    f"| {results.engine_requests.get(scenario.slug, 1)} "
                    f"| {number(engine.rps)} | {engine.p50_ms:.2f} "
                    f"| {service.p50_ms / engine.p50_ms:.2f}x "
                    + (f"| {number(proxy.rps)} | {proxy.p50_ms:.2f} "
                       f"| {proxy.p50_ms / engine.p50_ms:.2f}x "
                       f"| {service.p50_ms / proxy.p50_ms:.2f}x |"
                       if proxy else "| - | - | - | - |")
                )
    out += ["", "Engine requests: those the service sends for the query, recorded from "
            "the service's own engine code with its word lists cached (a worker fetches a "
            "letter's word list again in the background every 10 s, not per search). "
            "Each is driven on its own "
            "with wrk at the same connections; the engine's p50 is their sum and its req/s "
            "what it manages of the sequence. Bare proxy: bench/bare_proxy.py, a Sanic app "
            "with as many workers as ours that sends the same engine requests one after "
            "another over our search connection and answers with the engine's bytes, "
            "nothing else: what one hop through Sanic costs on this machine, whatever our "
            "code does." + hosts_sentence(results), ""]
    out += cpu_beside_proxy_table(results, scenarios)
    if results.miss_requests:
        out += ["### Engine requests per search, by the tier that answers (issue 24)", "",
                *results.miss_requests, ""]
    return out


def cpu_beside_proxy_table(results: Results, scenarios: Sequence[Scenario]) -> list[str]:
    """Scaled setup: the CPU each answer cost the workers, the engine and PostgreSQL, in the
    service's cold runs and in the bare proxy's: where the p50 ratio comes from."""
    rows = []
    for scenario in scenarios:
        for conns in results.args.connections:
            service = results.cold.get((scenario.slug, conns))
            proxy = results.bare_proxy.get((scenario.slug, conns))
            if not (service and proxy and service.beside_cpu_us and proxy.cpu_us_per_request):
                continue
            parts = [(service.cpu_us_per_request or 0.0, proxy.cpu_us_per_request)]
            parts += [(service.beside_cpu_us.get(name, 0.0), proxy.beside_cpu_us.get(name, 0.0))
                      for name in ("engine", "PostgreSQL")]
            ours, theirs = (sum(side) for side in zip(*parts, strict=True))
            rows.append(f"| {scenario.name} | {conns} | {service.p50_ms / proxy.p50_ms:.2f}x | "
                        + " | ".join(f"{cpu(a)} | {cpu(b)}" for a, b in parts)
                        + f" | {ours / theirs:.2f}x |")
    if not rows:
        return []
    return [
        "### Where the CPU goes: the service beside the bare proxy (cold)", "",
        "| scenario | conns | service/bare proxy p50 | workers us/req: service | bare proxy "
        "| engine us/req: service | bare proxy | PostgreSQL us/req: service | bare proxy "
        "| all three: service/bare proxy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows, "",
        "User + system CPU time (/proc) per answered request, over each wrk run: the "
        "workers of the service or of the bare proxy; the engine's JVM (every node of a "
        "cluster); PostgreSQL's server and backends. The bare proxy sends the same engine "
        "requests and never asks PostgreSQL. With the 2 cores busy (50 connections), a "
        "p50 follows the CPU an answer costs all the processes, wrk's aside.", ""]


def hosts_sentence(results: Results) -> str:
    """Which hosts of a cluster each measurement asked."""
    if results.args.nodes == 1:
        return ""
    return (f" On the {results.args.nodes} nodes the index has a copy on every node (one "
            f"primary, {results.args.nodes - 1} replicas, set after `migrate` as "
            "docs/production.md tells operators: the service makes it with none); the "
            "service and the bare proxy spread their requests over "
            "the hosts as the service's search client does (opensearch-py's pool: hosts "
            "shuffled per worker, then round robin), while the engine-direct runs POST to "
            "the first host only.")


def scale_table(results: Results, scenarios: Sequence[Scenario]) -> list[str]:
    """Cold runs on domain 0 as the file holds more domains, and the p50 factor."""
    sizes = sorted(results.scale)
    titles = {load.domains: load.titles_total for load in results.loads}
    out = [
        f"### Scale curve: cold, {results.args.scale_connections} connections, queries on "
        "domain 0, the same titles copied into more domains of the same file",
        "",
    ]
    head = " | ".join(
        f"{titles.get(n, 0):,} titles ({n} dom.) req/s · p50 · p99 · CPU us/req" for n in sizes
    )
    out += [
        f"| scenario | {head} | p50 {sizes[-1]} dom. / 1 dom. |",
        "|---|" + "---:|" * (len(sizes) + 1),
    ]
    for scenario in scenarios:
        cells = " | ".join(
            f"{number(results.scale[n][scenario.slug].rps)} · "
            f"{number(results.scale[n][scenario.slug].p50_ms)} · "
            f"{number(results.scale[n][scenario.slug].p99_ms)} · "
            f"{cpu(results.scale[n][scenario.slug].cpu_us_per_request)}"
            for n in sizes
        )
        factor = results.scale[sizes[-1]][scenario.slug].p50_ms / max(
            results.scale[1][scenario.slug].p50_ms, 1e-9
        )
        out.append(f"| {scenario.name} | {cells} | {factor:.2f}x |")
    out.append("")
    return out


def engine_alone_table(results: Results, scenarios: Sequence[Scenario]) -> list[str]:
    """bench/engine_timings.py's in-process searches: median and p99 ms per domain count."""
    sizes = sorted(results.engine_ms)
    out = [
        "### Where the time goes: the engine alone, in-process, one search at a time",
        "",
        f"`SearchEngine.search` called directly ({results.args.engine_rounds} rounds per "
        "scenario, server stopped), no HTTP; compare with p50 at 1 connection above.",
        "",
        "| scenario | " + " | ".join(f"{n} domain(s) median ms · p99 ms" for n in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    for scenario in scenarios:
        cells = " | ".join(
            f"{number(results.engine_ms[n][scenario.slug][0])} · "
            f"{number(results.engine_ms[n][scenario.slug][1])}"
            for n in sizes
        )
        out.append(f"| {scenario.name} | {cells} |")
    out.append("")
    return out
