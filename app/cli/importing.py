"""`autocompeter import URL --domain D`: its arguments, what it prints, and the state file.

The importer (`app/importer/`) reads the source and returns an `Outcome` (or raises
`ImportFailed`, a `Refused`); this command sends it, removes what --prune finds
gone, and records what was sent in the state file only once the store has it, so
a failed send is tried again next time. A dry run prints what would be sent as
JSON lines on stdout and sends nothing.
"""

import argparse
import asyncio
import sys
from pathlib import Path

import orjson

from app.cli.arguments import Commands
from app.importer.affixes import Trim, suggest_affixes
from app.importer.collect import Outcome, collect, remove, send, to_prune
from app.importer.download import DEFAULT_TIMEOUT_SECONDS
from app.importer.sources import plural
from app.importer.state import default_state_path, next_state, read_state, write_state
from app.shared.backends import Backends, with_backends
from app.shared.settings import Settings


def add_import_command(commands: Commands) -> None:
    command = commands.add_parser(
        "import", help="titles from a sitemap (or sitemap index, gzipped or not) or a feed")
    command.set_defaults(run=run_import)
    command.add_argument("url", help="of a sitemap.xml, a sitemap index, an RSS or Atom feed")
    command.add_argument("--domain", required=True)
    command.add_argument("--dry-run", action="store_true",
                         help="print what would be sent (JSON lines), send nothing")
    command.add_argument("--state", type=Path,
                         help="the file of dates already sent (default: next to the SQLite "
                              "file, or ./autocompeter-import-state.json)")
    command.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS,
                         help="seconds each request may take in all, from connecting to "
                              "the last byte (default %(default)s)")
    command.add_argument("--allow-host", action="append", default=[], metavar="HOST",
                         help="also read pages and sitemaps on HOST (by default only the "
                              "source's own host); may be repeated")
    command.add_argument("--prune", action="store_true",
                         help="remove the titles this source sent before whose URLs it no "
                              "longer lists (never titles added otherwise); with --dry-run, "
                              "list them")
    command.add_argument("--strip-suffix", default="", metavar="TEXT",
                         help="take TEXT off the end of every title that has it, such as "
                              "' \N{EN DASH} Docs' (a dry run shows one most titles share)")
    command.add_argument("--strip-prefix", default="", metavar="TEXT",
                         help="take TEXT off the start of every title that has it")


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    """Import, or with --dry-run show what would be imported; 0 unless the source or the
    state file cannot be read (`Refused`, which `main` prints)."""
    state_path = args.state or default_state_path(settings)
    state = read_state(state_path)
    domain_state = state.get(args.domain, {})
    outcome = asyncio.run(collect(args.url, domain_state, args.timeout,
                                  progress=not args.dry_run, allow_hosts=args.allow_host,
                                  trim=Trim(args.strip_prefix, args.strip_suffix)))
    for url, reason in outcome.skipped:
        print(f"skipped {url}: {reason}", file=sys.stderr)
    # Said before sending in a dry run, after it otherwise: "to send" or "sent".
    sending = "to send" if args.dry_run else "sent"
    summary = (f"{len(outcome.documents)} {sending}, {outcome.unchanged} unchanged, "
               f"{len(outcome.skipped)} skipped")
    pruned = pruning(domain_state, outcome, args)
    if args.dry_run:
        dry_run(outcome, pruned, summary, args)
        return 0
    removed = store(outcome, pruned, args, settings)
    # Recorded only once stored: a failed send is tried again next time.
    state[args.domain] = next_state(domain_state, args.url, outcome.sent, outcome.listed,
                                    pruned)
    write_state(state_path, state)
    print(f"imported: {summary}", file=sys.stderr)
    if args.prune:
        print(f"removed {plural(removed, 'title')} whose URL left the source",
              file=sys.stderr)
    return 0


def pruning(domain_state: dict[str, object], outcome: Outcome,
            args: argparse.Namespace) -> list[str]:
    """The URLs --prune removes (none without it), saying why when it holds some back."""
    if not args.prune:
        return []
    prune = to_prune(domain_state, args.url, outcome)
    if prune.held_back:
        print(prune.held_back, file=sys.stderr)
    return prune.urls


def store(outcome: Outcome, pruned: list[str], args: argparse.Namespace,
          settings: Settings) -> int:
    """Send the outcome's titles and remove the pruned ones: how many were removed."""
    if not (outcome.documents or pruned):
        return 0

    async def work(backends: Backends) -> int:
        await send(backends, args.domain, outcome.documents)
        removed = 0
        for url, was_there in await remove(backends, args.domain, pruned):
            removed += was_there
            # Gone before: the owner removed it already, and only the state forgets it.
            said = "removed" if was_there else "already gone"
            print(f"{said} {url}: no longer in {args.url}", file=sys.stderr)
        return removed

    return asyncio.run(with_backends(settings, work))


def dry_run(outcome: Outcome, pruned: list[str], summary: str,
            args: argparse.Namespace) -> None:
    """What would be sent (stdout, JSON lines) and removed, and a prefix or suffix
    most titles share."""
    for document in outcome.documents:
        print(orjson.dumps({"url": document.url, "title": document.title}).decode())
    for url in pruned:
        print(f"would remove {url}: no longer in {args.url}", file=sys.stderr)
    print(f"dry run: {summary}", file=sys.stderr)
    if args.prune:
        print(f"dry run: {plural(len(pruned), 'title')} to remove", file=sys.stderr)
    for line in suggest_affixes([document.title for document in outcome.documents]):
        print(f"dry run: {line}", file=sys.stderr)
