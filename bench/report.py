"""BENCHMARKS.md: the measurements of one run as markdown tables, with the targets."""

from collections.abc import Sequence
from datetime import datetime

from latency import KINDS
from processes import WrkResult
from report_misses import (
    cross_latency_section,
    cross_stream_lines,
    misses_targets,
    tiers_section,
)
from results import (
    BARE_SANIC,
    CACHED,
    CROSS_TITLE,
    GO,
    MIXED,
    ONE_WORD,
    OURS,
    DistinctResults,
    Results,
    Scenario,
)
from workload import ONE_WORD_SHARE, RULES, SEED

OTHER_WORK_WARNING_CORES = 0.25
"""Other work above this, in any wrk run, makes its req/s and p99 noisy: say so."""

# The targets of issue 6.
WARM_SHARE_OF_NGINX = 0.5
SERVICE_OVER_ENGINE = 1.3
COLD_P99_MS = 10.0
BULK_64K_SECONDS = 3.0
RSS_MB_PER_WORKER = 150.0
SCALE_P50_FACTOR = 2.0


def p50_ratios(runs: dict[tuple[str, int], WrkResult], over: dict[tuple[str, int], WrkResult],
               scenarios: Sequence[Scenario], conns: int) -> dict[str, float]:
    """Scenario slug -> p50 of ``runs`` / p50 of ``over``, at ``conns`` connections."""
    return {s.slug: runs[s.slug, conns].p50_ms / over[s.slug, conns].p50_ms
            for s in scenarios if (s.slug, conns) in runs and (s.slug, conns) in over}


def number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def cpu(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def query_text(scenario: Scenario) -> str:
    text = f"`q={scenario.q}`"
    return text + (f" `g={scenario.groups}`" if scenario.groups else "")


def targets(results: Results, scenarios: Sequence[Scenario]) -> list[str]:
    rows = ["| target (issue 6) | measured | |", "|---|---|---|"]
    top = max(results.args.connections)
    names = {s.slug: s.name for s in scenarios}

    # Warm cache >= 50% of nginx req/s, at the highest connection count.
    shares = {
        s.slug: results.warm[s.slug, top].rps / results.nginx[s.slug, top].rps
        for s in scenarios
        if (s.slug, top) in results.warm and (s.slug, top) in results.nginx
    }
    if shares:
        worst = min(shares, key=shares.__getitem__)
        share = shares[worst]
        status = (
            "met"
            if share >= WARM_SHARE_OF_NGINX
            else f"**missed** by {100 * (WARM_SHARE_OF_NGINX - share):.0f} points "
            f"({WARM_SHARE_OF_NGINX / share:.1f}x too slow)"
        )
        rows.append(
            f"| warm cache ≥ {WARM_SHARE_OF_NGINX:.0%} of nginx req/s, every scenario "
            f"at {top} connections | worst {share:.1%} ({names[worst]}) | "
            f"{status} |"
        )

    # Scaled: service p50 <= 1.3 x the engine's own p50 for the same query.
    if results.engine_direct:
        ratios = p50_ratios(results.cold, results.engine_direct, scenarios, top)
        if ratios:
            worst = max(ratios, key=ratios.__getitem__)
            ok = ratios[worst] <= SERVICE_OVER_ENGINE
            status = "met" if ok else f"**missed** ({ratios[worst]:.1f}x)"
            rows.append(
                f"| service p50 ≤ {SERVICE_OVER_ENGINE:g}x the engine's own p50, same query, "
                f"at {top} connections | worst {ratios[worst]:.2f}x ({names[worst]}) | "
                f"{status} |"
            )
        floors = p50_ratios(results.bare_proxy, results.engine_direct, scenarios, top)
        if floors:
            worst = max(floors, key=floors.__getitem__)
            rows.append(
                f"| (the floor: a bare Sanic proxy's p50 over the engine's, at {top} "
                f"connections) | worst {floors[worst]:.2f}x ({names[worst]}) | - |"
            )

    # Cold p99 <= 10 ms at 50 connections.
    p99s = {
        s.slug: results.cold[s.slug, 50].p99_ms for s in scenarios if (s.slug, 50) in results.cold
    }
    if p99s:
        worst = max(p99s, key=p99s.__getitem__)
        p99 = p99s[worst]
        status = (
            "met"
            if p99 <= COLD_P99_MS
            else (f"**missed** by {p99 - COLD_P99_MS:.1f} ms ({p99 / COLD_P99_MS:.1f}x)")
        )
        over = sum(1 for v in p99s.values() if v > COLD_P99_MS)
        rows.append(
            f"| cold p99 ≤ {COLD_P99_MS:g} ms, every scenario at 50 connections | "
            f"worst {p99:.1f} ms ({names[worst]}); {over} of {len(p99s)} over | "
            f"{status} |"
        )
    else:
        rows.append(
            f"| cold p99 ≤ {COLD_P99_MS:g} ms at 50 connections | not measured "
            "(50 not in --connections) | - |"
        )

    # Bulk load of 64k <= 3 s.
    if results.loads and results.loads[0].domains == 1:
        first = results.loads[0]
        status = (
            "met"
            if first.seconds <= BULK_64K_SECONDS
            else (
                f"**missed** by {first.seconds - BULK_64K_SECONDS:.1f} s "
                f"({first.seconds / BULK_64K_SECONDS:.1f}x)"
            )
        )
        rows.append(
            f"| bulk load of the {first.loaded:,} titles ≤ {BULK_64K_SECONDS:g} s | "
            f"{first.seconds:.2f} s ({first.rate:,.0f} docs/s) | {status} |"
        )

    # RSS <= 150 MB per worker.
    peaks = [(m.hwm_mb, label) for label, found in results.memory for m in found]
    if peaks:
        peak, label = max(peaks)
        status = (
            "met"
            if peak <= RSS_MB_PER_WORKER
            else (f"**missed** by {peak - RSS_MB_PER_WORKER:.0f} MB")
        )
        rows.append(
            f"| RSS ≤ {RSS_MB_PER_WORKER:g} MB per worker | peak {peak:.0f} MB "
            f"(VmHWM, {label}) | {status} |"
        )

    # 1M titles: cold p50 <= 2x the 64k figure.
    if results.scale and len(results.scale) > 1:
        biggest = max(results.scale)
        factors = {
            slug: results.scale[biggest][slug].p50_ms / max(base.p50_ms, 1e-9)
            for slug, base in results.scale[1].items()
        }
        worst = max(factors, key=factors.__getitem__)
        factor = factors[worst]
        titles = next((load.titles_total for load in results.loads if load.domains == biggest), 0)
        status = (
            "met"
            if factor <= SCALE_P50_FACTOR
            else (f"**missed** ({factor:.1f}x instead of ≤ {SCALE_P50_FACTOR:g}x)")
        )
        rows.append(
            f"| {titles:,} titles: cold p50 ≤ {SCALE_P50_FACTOR:g}x the 64k figure "
            f"(c={results.args.scale_connections}) | worst {factor:.2f}x "
            f"({names[worst]}: {results.scale[1][worst].p50_ms:.2f} → "
            f"{results.scale[biggest][worst].p50_ms:.2f} ms) | {status} |"
        )
    else:
        rows.append("| 1M titles: cold p50 ≤ 2x the 64k figure | not measured (--no-scale) | - |")
    return rows


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


def setup_section(results: Results, scenarios: Sequence[Scenario]) -> list[str]:
    args = results.args
    out = [f"## {results.setup} setup", ""]
    out += [*targets(results, scenarios), ""]
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

    out += [
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

    out += [f"### Queries, cold (`RESPONSE_CACHE_BYTES=0`), {args.duration:g} s of wrk each", ""]
    out += [*query_table(results, scenarios, warm=False), ""]
    out += [f"### Queries, warm (response cache at its default size), {args.duration:g} s "
            "of wrk each", ""]
    out += [*query_table(results, scenarios, warm=True), ""]

    if results.engine_direct:
        out += [
            "### The service against the engine itself (cold, the service's engine requests "
            "POSTed straight to the engine)",
            "",
            "| scenario | conns | service req/s | service p50 ms | engine requests "
            "| engine req/s | engine p50 ms | service/engine p50 | bare proxy req/s "
            "| bare proxy p50 ms | bare proxy/engine p50 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for scenario in scenarios:
            for conns in args.connections:
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
                           f"| {proxy.p50_ms / engine.p50_ms:.2f}x |" if proxy else "| - | - | - |")
                    )
        out += ["", "Engine requests: those the service sends for the query, recorded from "
                "the service's own engine code with its word lists cached (a worker fetches a "
                "letter's word list again in the background once a second, not per search). "
                "Each is driven on its own "
                "with wrk at the same connections; the engine's p50 is their sum and its req/s "
                "what it manages of the sequence. Bare proxy: bench/bare_proxy.py, a Sanic app "
                "with as many workers as ours that sends the same engine requests one after "
                "another over our search connection and answers with the engine's bytes, "
                "nothing else: what one hop through Sanic costs on this machine, whatever our "
                "code does.", ""]

    if results.scale:
        sizes = sorted(results.scale)
        titles = {load.domains: load.titles_total for load in results.loads}
        out += [
            f"### Scale curve: cold, {args.scale_connections} connections, queries on "
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

    if results.engine_ms:
        sizes = sorted(results.engine_ms)
        out += [
            "### Where the time goes: the engine alone, in-process, one search at a time",
            "",
            f"`SearchEngine.search` called directly ({args.engine_rounds} rounds per "
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

    out += [
        "### Memory of the worker processes (`/proc/PID/status`)",
        "",
        "| when | worker pid | VmRSS MB | VmHWM (peak) MB |",
        "|---|---:|---:|---:|",
    ]
    for label, found in results.memory:
        for m in found:
            out.append(f"| {label} | {m.pid} | {m.rss_mb:.0f} | {m.hwm_mb:.0f} |")
    out.append("")
    return out


def machine_lines(machine: dict[str, str], command: str, started: datetime,
                  finished: datetime | None) -> list[str]:
    minutes = ((finished or started) - started).total_seconds() / 60
    return [
        f"- date: {started:%Y-%m-%d %H:%M} UTC ({minutes:.1f} min)",
        f"- machine: {machine['cores']} cores, {machine['memory']} memory, {machine['cpu']}",
        f"- software: {machine['os']}, Python {machine['python']}, SQLite {machine['sqlite']}, "
        f"{machine['wrk']}, {machine['nginx']}",
        f"- code: commit {machine['revision']}",
        f"- command: `{command}`",
    ]


def other_work_line(cores_used: Sequence[float], machine: dict[str, str]) -> list[str]:
    """How much other work ran on the machine during the wrk runs, and a warning when
    it was enough to move the figures."""
    if not cores_used:
        return []
    ordered = sorted(cores_used)
    busy = ordered[-1] > OTHER_WORK_WARNING_CORES
    return [
        "- other work on the machine during the wrk runs (CPU of processes outside the "
        "bench's session, kernel threads aside, plus steal): median "
        f"{ordered[len(ordered) // 2]:.2f}, max {ordered[-1]:.2f} of {machine['cores']} cores"
        + (
            " - **other work was running; req/s and p99 are noisy, "
            "worker CPU per request is the steadier figure**"
            if busy
            else ""
        ),
        "",
    ]


def write_report(
    all_results: Sequence[Results],
    distinct: DistinctResults | None,
    machine: dict[str, str],
    scenarios: Sequence[Scenario],
) -> str:
    first = all_results[0]
    args = first.args
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/run.py); every run rewrites this file. "
        "Issue 6's targets are checked at the top of each setup, issue 11's in the "
        "never-seen queries section.",
        "",
        *machine_lines(
            machine, first.command, first.started,
            distinct.finished if distinct else all_results[-1].finished,
        ),
        f"- service: `autocompeter serve --workers {args.workers}` on a temp SQLite file; "
        f"corpus: Debian's package names with their one-line descriptions "
        f"(`apt-cache dumpavail`), popularity = reverse `Depends`, `Section: doc` in "
        "group `docs`",
        f"- load: `wrk -t2 -cN -d{args.duration:g}s` (`-t1` for 1 connection) with "
        "bench/report.lua, on the same machine as the service, so wrk takes CPU from it",
        "- nginx: the same response body as the service's answer, as a static file, "
        f"{args.workers} workers, same wrk settings: the ceiling for an HTTP answer here",
        "- rate limits: `SEARCH_RATE_LIMIT=off SEARCH_TIME_BUDGET=off WRITE_RATE_LIMIT=off` "
        "(capacity, not the limiter)",
        "- response cache: cold `RESPONSE_CACHE_BYTES=0`, warm at its default size",
        "",
    ]
    out += other_work_line(
        [
            r.other_work_cores
            for results in all_results
            for r in [*results.cold.values(), *results.warm.values(), *results.nginx.values()]
            if r.other_work_cores is not None
        ],
        machine,
    )
    for results in all_results:
        out += setup_section(results, scenarios)
    if distinct is not None:
        out += distinct_section(distinct)
    return "\n".join(out)


def write_distinct_report(
    distinct: DistinctResults, machine: dict[str, str], command: str
) -> str:
    """The never-seen queries section alone (`--only distinct`)."""
    out = [
        "# Never-seen queries (`bench/run.py --only distinct`)",
        "",
        *machine_lines(machine, command, distinct.started, distinct.finished),
        "",
    ]
    out += other_work_line(
        [r.other_work_cores for r in distinct.runs.values() if r.other_work_cores is not None],
        machine,
    )
    return "\n".join(out + distinct_section(distinct))


# The targets of issue 11.
DISTINCT_OVER_GO = 1.0
CACHED_SHARE_OF_BARE = 0.8
SINGLE_MEDIAN_MS = 0.3
SINGLE_P99_MS = 2.0
FLOOD_RSS_MB = 150


def verdict(ok: bool, missed: str) -> str:
    return "met" if ok else f"**missed** {missed}".rstrip()


def distinct_targets(distinct: DistinctResults) -> list[str]:
    rows = ["| target (issue 11) | measured | |", "|---|---|---|"]
    runs = distinct.runs
    conns = distinct.args.distinct_connections
    for workload in (MIXED, ONE_WORD):
        ours, go = runs.get((OURS, workload)), runs.get((GO, workload))
        if ours and go:
            ratio = ours.rps / go.rps
            rows.append(
                f"| {workload}, {conns} connections: req/s ≥ the Go service's (aim 2x) "
                f"| {ratio:.2f}x ({number(ours.rps)} vs {number(go.rps)}) "
                f"| {verdict(ratio >= DISTINCT_OVER_GO, f'({go.rps / ours.rps:.1f}x slower)')} |"
            )
            rows.append(
                f"| {workload}: p99 ≤ the Go service's | {number(ours.p99_ms)} ms vs "
                f"{number(go.p99_ms)} ms | {verdict(ours.p99_ms <= go.p99_ms, '')} |"
            )
    ours, bare = runs.get((OURS, CACHED)), runs.get((BARE_SANIC, CACHED))
    if ours and bare:
        share = ours.rps / bare.rps
        rows.append(
            f"| cached answer ≥ {CACHED_SHARE_OF_BARE:g}x the bare Sanic app's req/s "
            f"| {share:.2f}x ({number(ours.rps)} vs {number(bare.rps)}) "
            f"| {verdict(share >= CACHED_SHARE_OF_BARE, '')} |"
        )
    single = distinct.latency.get(OURS, {}).get("all")
    if single:
        ok = single.median_ms <= SINGLE_MEDIAN_MS and single.p99_ms <= SINGLE_P99_MS
        rows.append(
            f"| single client, never-seen queries: median ≤ {SINGLE_MEDIAN_MS:g} ms, "
            f"p99 ≤ {SINGLE_P99_MS:g} ms | median {single.median_ms:.2f} ms, "
            f"p99 {single.p99_ms:.2f} ms | {verdict(ok, '')} |"
        )
    if OURS in distinct.loads:
        seconds = distinct.loads[OURS]
        rows.append(
            f"| bulk load ≤ {BULK_64K_SECONDS:g} s | {seconds:.2f} s "
            f"| {verdict(seconds <= BULK_64K_SECONDS, '')} |"
        )
    flooded = [m for label, found in distinct.memory if "flood" in label for m in found]
    if flooded:
        largest = max(m.rss_mb for m in flooded)
        rows.append(
            f"| RSS ≤ {FLOOD_RSS_MB} MB per worker after a flood of distinct queries and groups "
            f"| {largest:.0f} MB | {verdict(largest <= FLOOD_RSS_MB, '')} |"
        )
    return rows


def distinct_section(distinct: DistinctResults) -> list[str]:
    args = distinct.args
    conns = args.distinct_connections
    out = [
        "## Never-seen queries: our service, the original Go + Redis service, "
        "a bare Sanic app (issue 11)",
        "",
        f"One run, one corpus, one query stream. **Ours**: `autocompeter serve --workers "
        f"{args.workers}`, SQLite, rate limits off, response cache on at its default size "
        "(restarted before each distinct run, so it starts empty: every query is new to it). "
        "**Go**: the original Go + Redis Autocompeter (2015) from "
        "`shared/peers/autocompeter-go`, `PROCS=0` (both cores), `SERVER_LOG=/dev/null`, "
        "loaded with its own `load.py`. **bare Sanic**: bench/bare_sanic.py, "
        f"{args.workers} workers, answers every `GET /v1` with the bytes and headers of our "
        "cached `lib` answer: the framework's ceiling. wrk: "
        f"`-t{min(2, conns)} -c{conns} -d{args.distinct_duration:g}s` with bench/distinct.lua, "
        "each thread walking its own slice of the stream (a thread that gets through its "
        "slice starts it again: the *repeated* column counts those requests). Server CPU: "
        "user + system time of our two workers, of the Go server plus its Redis, of the bare "
        "app's workers, per answered request.",
        "",
        f"The stream (bench/workload.py, seed {SEED}): {distinct.queries:,} distinct queries, "
        f"{distinct.one_word_queries:,} ({ONE_WORD_SHARE:.0%}) of one word.",
        "",
        *(f"- {rule}" for rule in RULES),
        "",
        *(cross_stream_lines(distinct) if distinct.cross_queries else []),
    ]
    out += [*distinct_targets(distinct), ""]
    if distinct.tiers or (OURS, CROSS_TITLE) in distinct.runs:
        out += [*misses_targets(distinct), ""]
    if distinct.notes:
        out += [*(f"- {note}" for note in distinct.notes), ""]
    if distinct.loads:
        out += [
            "Bulk load of the corpus: "
            + ", ".join(f"{system} {seconds:.1f} s" for system, seconds in distinct.loads.items())
            + " (ours: chunks of 10,000; Go: its loader, chunks of 1,000, one client).",
            "",
        ]
    out += [
        f"### {conns} connections",
        "",
        "| workload | system | req/s | p50 ms | p99 ms | server CPU us/req | repeated | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for workload in (MIXED, ONE_WORD, CROSS_TITLE, CACHED):
        for system in (OURS, GO, BARE_SANIC):
            run = distinct.runs.get((system, workload))
            if run is None:
                continue
            repeated = "-" if run.repeated is None else f"{run.repeated:,}"
            out.append(
                f"| {workload} | {system} | {number(run.rps)} | {number(run.p50_ms)} "
                f"| {number(run.p99_ms)} | {cpu(run.cpu_us_per_request)} | {repeated} "
                f"| {run.errors} |"
            )
    out += ["", "| workload | ours / Go req/s | ours / Go p99 | ours / bare Sanic req/s |",
            "|---|---:|---:|---:|"]
    for workload in (MIXED, ONE_WORD, CROSS_TITLE, CACHED):
        ours = distinct.runs.get((OURS, workload))
        if ours is None:
            continue
        go = distinct.runs.get((GO, workload))
        bare = distinct.runs.get((BARE_SANIC, workload))
        out.append(
            f"| {workload} | {f'{ours.rps / go.rps:.2f}x' if go else '-'} "
            f"| {f'{ours.p99_ms / go.p99_ms:.2f}x' if go else '-'} "
            f"| {f'{ours.rps / bare.rps:.2f}x' if bare else '-'} |"
        )
    if distinct.lib_hits:
        out += ["", "`lib` answers with "
                + ", ".join(f"{n} results ({system})" for system, n in distinct.lib_hits.items())
                + "; the bare Sanic app's answer is ours. Ours/bare Sanic on the distinct "
                "rows compares a search with a fixed answer: it shows how far a search is "
                "from the framework's ceiling."]
    if distinct.cached_rounds:
        out += ["", f"`{CACHED}`, ours and the bare Sanic app: wrk runs taken in turn, "
                "both servers up (the idle one takes no CPU), the median of each above. "
                "Their req/s, run by run: " + "; ".join(
                    f"{system} " + ", ".join(number(rps) for rps in rounds)
                    for system, rounds in distinct.cached_rounds.items()) + "."]
    out.append("")
    if distinct.latency:
        out += [
            f"### One client, never-seen queries (the last {args.latency_queries:,} of the "
            "stream, one at a time over one keep-alive connection)",
            "",
            "Timed with `perf_counter` from the first byte sent to the last byte read "
            "(bench/latency.py), before any wrk run. *Full page*: n results; *with "
            "corrections*: fewer, and `terms` holds more words than the query; *no "
            "corrections*: fewer, none added (misses included). The Go service has no "
            "typo tier. The bare Sanic app answers every query with the same fixed full "
            "page: the floor of an answer through Sanic to this client.",
            "",
            "| system | answered by | queries | median ms | p99 ms | max ms |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for system, summaries in distinct.latency.items():
            for kind in (*KINDS, "all"):
                found = summaries.get(kind)
                if found:
                    out.append(
                        f"| {system} | {kind} | {found.count:,} | {found.median_ms:.2f} "
                        f"| {found.p99_ms:.2f} | {found.max_ms:.2f} |"
                    )
        out.append("")
    out += cross_latency_section(distinct)
    out += tiers_section(distinct)
    if distinct.memory:
        out += ["### Memory of our worker processes", "",
                "| when | worker pid | VmRSS MB | VmHWM (peak) MB |", "|---|---:|---:|---:|"]
        for label, found in distinct.memory:
            for m in found:
                out.append(f"| {label} | {m.pid} | {m.rss_mb:.0f} | {m.hwm_mb:.0f} |")
        out.append("")
    return out
