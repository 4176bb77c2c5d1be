"""Relevance report: run every case on each setup and print how each engine does.

    python -m tests.relevance.report          # or: make relevance
    python -m tests.relevance.report -k typo  # only cases whose id contains "typo"

Starts the embedded setup (a `serve` process on a temporary SQLite file), and
the scaled one (PostgreSQL + OpenSearch) too when TEST_DATABASE_URL and
TEST_SEARCH_URL are set, loads the corpora, runs the cases and prints per
engine: the share of cases whose expected first result is first, the share
whose expected set is within the top n, the share of expected misses that
returned nothing, per-category pass counts, and every failing case. Exits 1
when a case fails that is not marked xfail.
"""

import argparse
import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))  # for tests/conftest.py, as pytest does

from conftest import LiveServer, start_scaled_server, start_server, stop_server  # noqa: E402

from .case import Case  # noqa: E402
from .cases import CASES, expected_failure  # noqa: E402
from .harness import Domains, Outcome, run_all  # noqa: E402

Starter = Callable[[Path], AbstractContextManager[LiveServer]]


@contextmanager
def embedded(tmp: Path) -> Iterator[LiveServer]:
    server = start_server(tmp)
    try:
        yield server
    finally:
        stop_server(server)


@contextmanager
def scaled(tmp: Path) -> Iterator[LiveServer]:
    from scaled_setup.support import drop_database, new_parts, require_services

    database_base, search_url = require_services()
    parts = new_parts(database_base, search_url)
    try:
        server = start_scaled_server(tmp, parts)
        try:
            yield server
        finally:
            stop_server(server)
    finally:
        parts.drop_indexes()
        drop_database(parts.database_url, database_base)


def share(outcomes: list[Outcome], attribute: str) -> str:
    judged = [getattr(o, attribute) for o in outcomes if getattr(o, attribute) is not None]
    if not judged:
        return "n/a"
    hits = sum(judged)
    return f"{hits}/{len(judged)} = {hits / len(judged):.0%}"


def misses(outcomes: list[Outcome]) -> str:
    judged = [o.passed for o in outcomes if o.case.kind == "none"]
    return f"{sum(judged)}/{len(judged)} = {sum(judged) / len(judged):.0%}" if judged else "n/a"


def print_report(setup: str, outcomes: list[Outcome]) -> int:
    """Print one engine's numbers; return how many cases failed unexpectedly."""
    passed = sum(o.passed for o in outcomes)
    print(f"\n=== {setup}: {passed}/{len(outcomes)} cases pass "
          f"({passed / len(outcomes):.0%}) ===")
    print(f"  expected first result is first (first, ordered): {share(outcomes, 'first_ok')}")
    print(f"  expected set within the top n   (top, ordered):  {share(outcomes, 'set_ok')}")
    print(f"  expected misses return nothing  (none):          {misses(outcomes)}")
    leaking = [o for o in outcomes if o.foreign_terms]
    print(f"  `terms` holding other domains' words:             {len(leaking)}/{len(outcomes)}"
          + "".join(f"\n    {o.case.id}: {', '.join(o.foreign_terms)}" for o in leaking[:8])
          + ("\n    ..." if len(leaking) > 8 else ""))
    by_category: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_category[outcome.case.category].append(outcome)
    print("  by category: " + ", ".join(
        f"{name} {sum(o.passed for o in group)}/{len(group)}"
        for name, group in by_category.items()))
    failing = [o for o in outcomes if not o.passed]
    unexpected = [o for o in failing if not expected_failure(o.case, setup)]
    known = [o for o in failing if expected_failure(o.case, setup)]
    fixed = [o for o in outcomes if o.passed and expected_failure(o.case, setup)]
    if unexpected:
        print(f"\n  failing (unexpected): {len(unexpected)}")
        for outcome in unexpected:
            print("  - " + outcome.explain().replace("\n", "\n    "))
    if known:
        reasons = sorted({expected_failure(o.case, setup) for o in known})
        print(f"\n  failing (xfail): {len(known)}")
        for outcome in known:
            got = ", ".join(outcome.results[:3]) or "no results"
            number = reasons.index(expected_failure(outcome.case, setup)) + 1
            print(f"  - {outcome.case.id} [{number}]: expected {outcome.case.describe()}; "
                  f"got {got}")
        for number, reason in enumerate(reasons, 1):
            print(f"    [{number}] {reason}")
    if fixed:
        print(f"\n  marked xfail but passing (remove the mark?): {len(fixed)}")
        for outcome in fixed:
            print(f"  - {outcome.case.id}")
    return len(unexpected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="contains", default="",
                        help="only cases whose id contains this text")
    parser.add_argument("--embedded-only", action="store_true",
                        help="skip the scaled setup even when its services are configured")
    args = parser.parse_args(argv)
    cases: list[Case] = [case for case in CASES if args.contains in case.id]
    if not cases:
        parser.error(f"no case id contains {args.contains!r}")
    setups: list[tuple[str, Starter]] = [("embedded", embedded)]
    if os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_SEARCH_URL"):
        if not args.embedded_only:
            setups.append(("scaled", scaled))
    else:
        print("scaled setup skipped: TEST_DATABASE_URL and TEST_SEARCH_URL are not set")
    print(f"{len(cases)} cases on {', '.join(name for name, _ in setups)}")
    unexpected = 0
    for name, start in setups:
        with tempfile.TemporaryDirectory(prefix=f"relevance-{name}-") as tmp, \
                start(Path(tmp)) as server:
            domains = Domains()
            try:
                outcomes = run_all(server, domains, cases)
            finally:
                domains.close()
        unexpected += print_report(name, outcomes)
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
