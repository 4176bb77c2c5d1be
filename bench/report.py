"""BENCHMARKS.md: the measurements of one run as markdown tables, with the targets.

This module writes the document's head (the machine, the command, the other work that ran
beside the bench) and puts the sections together: one per setup (bench/report_scenarios.py)
and the never-seen queries (bench/report_distinct.py).
"""

from collections.abc import Sequence
from datetime import datetime

from report_distinct import distinct_section
from report_scenarios import setup_section
from results import DistinctResults, Results, Scenario

OTHER_WORK_WARNING_CORES = 0.25
"""Other work above this, in any wrk run, makes its req/s and p99 noisy: say so."""


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
