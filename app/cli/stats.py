"""`autocompeter stats D`: a domain's documents, searches per month, top queries (with
the share clicked), queries without results and most clicked results, as bar charts."""

import argparse
import asyncio
from functools import partial

from app.cli.arguments import DOMAIN_HELP, Commands
from app.shared.analytics import QUERY_RETENTION_DAYS, recent_clicks, recent_top_queries
from app.shared.backends import Backends, with_backends
from app.shared.errors import Refused
from app.shared.settings import Settings

BAR_WIDTH = 40


def bar_chart(rows: list[tuple[str, int]], width: int = BAR_WIDTH) -> list[str]:
    """'label  ████████ 12' lines, the longest bar for the largest count."""
    if not rows:
        return ["  (none)"]
    label_width = max(len(label) for label, _n in rows)
    largest = max(n for _label, n in rows) or 1
    return [f"  {label:<{label_width}}  {'█' * max(1, round(n / largest * width))} {n}"
            for label, n in rows]


async def stats(backends: Backends, domain: str) -> int:
    store = backends.store
    if not await store.domain_exists(domain):
        raise Refused(f"no domain named {domain!r}")
    fetches = await store.fetches(domain)
    top = await recent_top_queries(store, domain)
    clicks = await recent_clicks(store, domain, top)
    # Each top query with the share of its searches that ended in a click on a result.
    queries = [(f"{q} ({clicks.click_through(q, n):.0%} clicked)", n) for q, n in top.queries]
    months = [(f"{year}-{int(month):02d}", n) for year, by_month in fetches.items()
              for month, n in by_month.items()]
    documents = await store.count(domain)
    lines = [f"{domain}: {documents} document{'' if documents == 1 else 's'}", "",
             "searches per month", *bar_chart(sorted(months)), "",
             f"top queries, last {QUERY_RETENTION_DAYS} days", *bar_chart(queries), "",
             f"top queries without results, last {QUERY_RETENTION_DAYS} days",
             *bar_chart(top.misses), "",
             f"most clicked results, last {QUERY_RETENTION_DAYS} days",
             *bar_chart([(f"{c.title} {c.url}", c.clicks) for c in clicks.top])]
    print("\n".join(lines))
    return 0


def add_stats_command(commands: Commands) -> None:
    command = commands.add_parser(
        "stats", help="searches per month, documents and top queries of a domain")
    command.add_argument("domain", help=DOMAIN_HELP)
    command.set_defaults(run=run_stats)


def run_stats(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(with_backends(settings, partial(stats, domain=args.domain)))
