"""bench/run.py's command line: which parts run, for how long, on what, and where the
report goes; the defaults keep the full run on 2 cores under ~15 minutes."""

import argparse
from pathlib import Path

from processes import ROOT
from steps import CORPUS_CACHE
from workload import COUNT

PARTS = ("scenarios", "distinct", "many-sites")
DEFAULT_PARTS = ("scenarios", "distinct")
"""many-sites loads a million titles and takes minutes of its own: asked for by name."""


def positive_ints(text: str) -> list[int]:
    values = sorted({int(part) for part in text.split(",") if part.strip()})
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError("give positive numbers separated by commas")
    return values


def parse_args(argv: list[str] | None, description: str) -> argparse.Namespace:
    """The options of ``argv`` (the process's when None), with bench/run.py's docstring as
    ``description`` for --help; --output defaults by the parts asked for."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--setup",
        choices=["embedded", "scaled", "both"],
        default="embedded",
        help="embedded (SQLite + FTS5) and/or scaled (PostgreSQL + OpenSearch)",
    )
    parser.add_argument(
        "--nodes",
        type=int,
        default=1,
        help="OpenSearch nodes of the scaled setup: 1 (default) or a cluster of N on "
        "loopback, e.g. 3 (services/opensearch/start.sh with OPENSEARCH_NODES=N)",
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
    if args.nodes < 1:
        parser.error("--nodes: give 1 or more")
    if args.nodes > 1 and args.setup == "embedded":
        parser.error("--nodes is for the scaled setup (--setup scaled or both)")
    args.scale_domains = [n for n in args.scale_domains if n > 1]
    args.only = args.only or list(DEFAULT_PARTS)
    if args.output is None:
        only_distinct = "scenarios" not in args.only
        only_many = args.only == ["many-sites"]
        args.output = ROOT / (".work/bench/many-sites.md" if only_many else
                              ".work/bench/distinct.md" if only_distinct else "BENCHMARKS.md")
    return args
