"""`make soak`: mixed searches and writes at ~70% of the measured peak for a while.

Reports, per segment: requests/s, p99, errors (must be 0) and each worker's RSS
(must stay flat). Writes the table to docs/soak.md. Traffic goes to 127.0.0.1
only, and every wrk run stops by itself.

    .venv/bin/python bench/soak.py [--minutes 10] [--segment 30]
"""

import argparse
import datetime
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import load_corpus  # noqa: E402
from bench.processes import Service, Wrk, memory  # noqa: E402
from bench.run import machine  # noqa: E402
from bench.steps import CORPUS_CACHE, NO_LIMITS, bulk_bodies, load_domain  # noqa: E402

SOAK_SCRIPT = ROOT / "bench" / "soak.lua"
DOMAIN = "soak0.example"
WRITE_EVERY = 20  # one write in twenty requests
REPORT = ROOT / "docs" / "soak.md"


def paced(seconds: float, key: str, delay_ms: int) -> Wrk:
    """wrk with bench/soak.lua: the request mix, each connection pausing ``delay_ms``."""
    return Wrk(seconds, SOAK_SCRIPT, [key, DOMAIN, str(delay_ms), str(WRITE_EVERY)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--segment", type=float, default=30, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--share", type=float, default=0.7, help="of the measured peak")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="autocompeter-soak-"))
    env = {**NO_LIMITS, "DATABASE_URL": f"sqlite:///{workdir / 'soak.db'}"}
    service = Service(workdir, env, args.workers, "soak").start()
    try:
        documents = load_corpus(CORPUS_CACHE)
        load_domain(service, DOMAIN, bulk_bodies(documents), documents[0])
        key = service.create_key(DOMAIN)
        url = f"{service.base_url}/v1"
        peak = paced(10, key, 0).run(url, 50)
        target = peak.rps * args.share
        delay_ms = max(0, round(args.connections * 1000 / target))
        print(f"soak: peak {peak.rps:.0f} req/s; pacing {args.connections} connections "
              f"with {delay_ms} ms between requests for ~{target:.0f} req/s", file=sys.stderr)
        rows = []
        first_delay_ms = delay_ms
        segments = max(1, round(args.minutes * 60 / args.segment))
        for index in range(segments):
            result = paced(args.segment, key, delay_ms).run(url, args.connections)
            # Each connection waits for its answer too: steer the pause so the
            # rate stays near the target (latency is not known beforehand).
            cycle_ms = args.connections * 1000 / max(result.rps, 1)
            delay_ms = max(0, round(delay_ms + args.connections * 1000 / target - cycle_ms))
            rss = [m.rss_mb for pid in service.worker_pids() if (m := memory(pid))]
            rows.append((index, result, rss))
            print(f"soak: {(index + 1) * args.segment:.0f}s {result.rps:.0f} req/s "
                  f"p99 {result.p99_ms:.1f} ms errors {result.errors} rss {rss}", file=sys.stderr)
        write_report(args, peak.rps, target, first_delay_ms, rows)
        return 0 if all(result.errors == 0 for _, result, _ in rows) else 1
    finally:
        service.stop()


def write_report(args: argparse.Namespace, peak: float, target: float, delay_ms: int,
                 rows: list) -> None:
    box = machine()
    now = datetime.datetime.now(datetime.UTC)
    errors = sum(result.errors for _, result, _ in rows)
    first_rss, last_rss = sum(rows[0][2]), sum(rows[-1][2])
    lines = [
        "# Soak run",
        "",
        f"Written by `make soak` (bench/soak.py) on {now:%Y-%m-%d %H:%M} UTC; "
        f"machine: {box.get('cores', '?')} cores, {box.get('memory', '?')}.",
        "",
        f"- command: `.venv/bin/python bench/soak.py --minutes {args.minutes:g} "
        f"--segment {args.segment:g}`",
        f"- setup: embedded, `serve --workers {args.workers}`, the 63,666 Debian package titles",
        f"- mix: searches over 14 queries (one letter to two words, a typo, misses) and one "
        f"write (`POST /v1`) in {WRITE_EVERY}",
        f"- peak (wrk, 50 connections, no pause): {peak:,.0f} req/s; soak target "
        f"{args.share:.0%} of it, {target:,.0f} req/s ({args.connections} connections, "
        f"the pause between requests steered after each segment; {delay_ms} ms at first)",
        f"- errors in total: **{errors}**; worker RSS summed: {first_rss:.0f} MB in the first "
        f"segment, {last_rss:.0f} MB in the last",
        "",
        "| minute | req/s | p50 ms | p99 ms | errors | worker RSS MB |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for index, result, rss in rows:
        minute = (index + 1) * args.segment / 60
        lines.append(f"| {minute:.1f} | {result.rps:,.0f} | {result.p50_ms:.2f} | "
                     f"{result.p99_ms:.2f} | {result.errors} | "
                     f"{', '.join(f'{r:.0f}' for r in rss)} |")
    REPORT.write_text("\n".join(lines) + "\n")
    print(f"soak: wrote {REPORT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
