"""`autocompeter indexer` and `autocompeter reindex`: the scaled-out setup's search index,
fed from PostgreSQL's outbox as writes come, or rebuilt whole and swapped in under its
alias. The embedded FTS5 index is written with its store and needs neither.
"""

import argparse
import asyncio
import logging
import signal
import sys
from functools import partial

from tqdm import tqdm

from app.cli.arguments import Commands
from app.cli.migrate import migrated
from app.shared.backends import Backends, sync_worker, with_backends
from app.shared.errors import Refused
from app.shared.settings import Settings


async def run_indexer(backends: Backends, settings: Settings) -> int:
    worker = sync_worker(backends, settings)
    if worker is None:
        raise Refused("the indexer feeds a search cluster from PostgreSQL; "
                           "set DATABASE_URL=postgresql://... and SEARCH_URL")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    await migrated(backends)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    print("indexer running; Ctrl-C stops it", file=sys.stderr)
    running, signalled = worker.start(), asyncio.ensure_future(stopping.wait())
    await asyncio.wait([running, signalled], return_when=asyncio.FIRST_COMPLETED)
    signalled.cancel()
    await worker.stop()  # re-raises what ended the loop, if not a signal
    print("indexer stopped", file=sys.stderr)
    return 0


async def run_reindex(backends: Backends) -> int:
    from indexer.reindex import reindex

    parts = backends.scaled
    if parts is None:
        raise Refused("reindex rebuilds a search cluster's index; the embedded "
                           "FTS5 index is always in step with its store")
    await parts.cluster.ensure_index()
    with tqdm(unit="doc", desc="reindexing") as progress:
        name, count = await reindex(parts.store, parts.cluster, progress.update)
    print(f"reindexed {count} documents into {name}; "
          f"alias {parts.cluster.alias!r} points at it")
    return 0


def add_indexing_commands(commands: Commands) -> None:
    commands.add_parser(
        "indexer", help="run a sync worker: outbox -> search cluster",
        description="Scaled-out setup only (DATABASE_URL=postgresql://..., SEARCH_URL): "
                    "copy each write from PostgreSQL's outbox into the search cluster "
                    "until Ctrl-C. `serve` runs one in each worker unless "
                    "INDEXER_IN_SERVE=false; run this for a process of its own."
    ).set_defaults(run=run_indexer_command)
    commands.add_parser(
        "reindex", help="rebuild the search index from the store, then swap the alias "
                        "(no search downtime)",
        description="Scaled-out setup only: build a new index from every title in "
                    "PostgreSQL, then point the alias at it; searches use the old index "
                    "until the swap. The embedded FTS5 index never needs it."
    ).set_defaults(run=run_reindex_command)


def run_indexer_command(_args: argparse.Namespace, settings: Settings) -> int:
    try:
        return asyncio.run(with_backends(settings, partial(run_indexer, settings=settings)))
    except KeyboardInterrupt:  # Ctrl-C before the indexer was running
        return 0


def run_reindex_command(_args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(with_backends(settings, run_reindex))
