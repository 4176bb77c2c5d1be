"""`autocompeter migrate`: the store's tables, and a search cluster's index, made or
brought up to date; `serve` and `indexer` do the same as they start (`migrated`)."""

import argparse
import asyncio
import sys

from app.cli.arguments import Commands
from app.shared.backends import Backends, with_backends
from app.shared.settings import Settings


async def migrated(backends: Backends) -> int:
    """`with_backends` has migrated the store; a search cluster also needs its index."""
    if backends.scaled is not None:
        cluster = backends.scaled.cluster
        print(f"search index: {await cluster.ensure_index()} (alias {cluster.alias!r})",
              file=sys.stderr)
    return 0


async def migrated_for_serve(backends: Backends) -> int:
    """Like `migrated`, but an engine that is down must not stop the service:
    writes queue in the outbox and the sync worker makes the index later."""
    from core.engine import EngineUnavailable

    try:
        return await migrated(backends)
    except EngineUnavailable as error:
        print(f"autocompeter: search engine unavailable ({error}); serving anyway",
              file=sys.stderr)
        return 0


def add_migrate_command(commands: Commands) -> None:
    migrate_help = "create or update the database tables (and a search cluster's index)"
    command = commands.add_parser(
        "migrate", help=migrate_help,
        description=f"{migrate_help[0].upper()}{migrate_help[1:]}; `serve` "
                    "does the same as it starts, so run it by hand only "
                    "to check a setup or before a first start.")
    command.set_defaults(run=run_migrate)


def run_migrate(_args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(with_backends(settings, migrated))
