"""The never-seen queries section (issue 11): our service, the original Go + Redis service
and a bare Sanic app on one query stream, with issue 11's targets, the one-client latencies
and, from bench/report_misses.py, the cross-title stream and the tiers (issue 24); and
what `&s=3` adds to a search's CPU (issue 28, bench/suggestions_run.py)."""

from latency import KINDS
from processes import WrkResult
from report_format import cpu, memory_table, number
from report_misses import (
    cross_latency_section,
    cross_stream_lines,
    misses_targets,
    tiers_section,
)
from report_scenario_targets import BULK_64K_SECONDS
from results import (
    BARE_SANIC,
    CACHED,
    CROSS_TITLE,
    GO,
    MIXED,
    ONE_WORD,
    OURS,
    DistinctResults,
)
from suggestions_run import ASKED, ROUNDS, SuggestionsCost
from workload import ONE_WORD_SHARE, RULES, SEED

# The targets of issue 11.
DISTINCT_OVER_GO = 1.0
CACHED_SHARE_OF_BARE = 0.8
SINGLE_MEDIAN_MS = 0.3
SINGLE_P99_MS = 2.0
FLOOD_RSS_MB = 150
SUGGESTIONS_CPU_SHARE = 0.10
"""Issue 28: `&s=3` adds at most this share to a search's CPU."""


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
    ratio = distinct.suggestions.ratio if distinct.suggestions else None
    if ratio is not None:
        rows.append(
            f"| suggestions add ≤ {SUGGESTIONS_CPU_SHARE:.0%} CPU (issue 28: worker CPU per "
            f"search with `&s={ASKED}` beside without, the distinct stream) "
            f"| {ratio - 1:+.1%} ({ratio:.3f}x) "
            f"| {verdict(ratio <= 1 + SUGGESTIONS_CPU_SHARE, '')} |"
        )
    return rows


def suggestions_section(cost: SuggestionsCost, conns: int) -> list[str]:
    """The distinct stream without and with `&s=3`, run by run (bench/suggestions_run.py)."""
    out = [
        f"### What `&s={ASKED}` costs a search",
        "",
        f"After the tiers, on that service (response cache off: every request is a search), "
        f"its store given {cost.intents:,} intents (the corpus's most common title words and "
        "word pairs, each counted once per title that has it) and each worker's suggestion "
        "index built: one unmeasured wrk run of the distinct stream, then the stream without "
        f"and with `&s={ASKED}` appended, in turn, {ROUNDS} times each, {conns} connections. "
        "A worker rebuilds its index every 60 s while searches ask: a rebuild that falls in "
        "a run counts in its CPU.",
        "",
        "| run | req/s | p50 ms | p99 ms | worker CPU us/req | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for round_, (without, asking) in enumerate(zip(cost.without, cost.asking, strict=False), 1):
        for label, run in (("without", without), (f"s={ASKED}", asking)):
            out.append(f"| {round_}, {label} | {number(run.rps)} | {number(run.p50_ms)} "
                       f"| {number(run.p99_ms)} | {cpu(run.cpu_us_per_request)} | {run.errors} |")
    without, asking = cost.cpu_us(cost.without), cost.cpu_us(cost.asking)
    ratio = cost.ratio
    if without is not None and asking is not None and ratio is not None:
        out += ["", f"Worker CPU per search, all runs: {cpu(without)} us without, {cpu(asking)} "
                f"us with `&s={ASKED}`: {ratio:.3f}x ({ratio - 1:+.1%}). Mean req/s: "
                f"{number(mean_rps(cost.without))} without, {number(mean_rps(cost.asking))} with."]
    if cost.sampled:
        out += ["", f"{cost.suggested:,} of {cost.sampled:,} queries of the stream "
                f"({cost.suggested / cost.sampled:.0%}), sent once each with `&s={ASKED}`, "
                "got at least one suggestion."]
    return [*out, ""]


def mean_rps(runs: list[WrkResult]) -> float:
    return sum(run.rps for run in runs) / len(runs)


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
    if distinct.suggestions and distinct.suggestions.without:
        out += suggestions_section(distinct.suggestions, conns)
    if distinct.memory:
        out += ["### Memory of our worker processes", "", *memory_table(distinct.memory), ""]
    return out
