"""The benchmark: bulk load, fixed queries under wrk, nginx ceiling, RSS, scale curve,
and the distinct-query comparison with the original Go service (bench/distinct.py).

    make bench                                   # the full run, writes BENCHMARKS.md
    make bench BENCH_ARGS="--only distinct"      # the comparison alone, a few minutes
    .venv/bin/python bench/run.py --duration 1 --no-scale --output /tmp/quick.md   # a quick look
    .venv/bin/python bench/run.py --setup scaled --nodes 3   # scaled, on a three-node cluster

Corpus: Debian's ~64,000 package names with descriptions (see bench/corpus.py),
loaded through `POST /v1/bulk` into `autocompeter serve --workers 2` on a temp
SQLite file. wrk drives `GET /v1` per scenario and connection count; nginx serves
the very same response bodies as static files for the ceiling. The distinct-query
comparison is bench/distinct.py. All traffic goes to 127.0.0.1; every load test
stops after its duration.
"""

import argparse
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

# This module runs the parts asked for and writes the report (its docstring is --help);
# the options are in bench/options.py, the scenarios' phases in bench/scenario_phases.py
# (the scaled setup's services and engine in bench/scaled_engine.py), the report in
# bench/report.py.
from corpus import BenchDocument, load_corpus
from distinct import run_distinct
from machine import code_fingerprint, machine
from many_sites import ManySitesResults, run_many_sites
from options import parse_args
from report import machine_lines, write_distinct_report, write_report
from report_misses import many_sites_section
from results import SCENARIOS, DistinctResults, Results
from scaled_engine import start_scaled_services, stop_scaled_services
from scenario_phases import phase, run_setup
from steps import say


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv, __doc__ or "")
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
        nodes = f"a cluster of {args.nodes} OpenSearch nodes" if args.nodes > 1 else "OpenSearch"
        scaled_env = phase(
            results.notes,
            f"starting PostgreSQL and {nodes}",
            lambda: start_scaled_services(workdir, args.nodes),
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



if __name__ == "__main__":
    sys.exit(main())
