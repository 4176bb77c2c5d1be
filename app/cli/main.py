"""The `autocompeter` command's parser, and the one place its errors become output.

Each command group has a module of its own (`serve.py`, `keys.py`, `tokens.py`,
`files.py`, `stats.py`, `importing.py`, `backup.py`, `copying.py`, `indexing.py`,
`migrate.py`, `rules.py`) that adds its subcommand and sets `run`. An operator's mistake,
wherever it is found, raises `app.shared.errors.Refused`; `main` prints it as
one line, `autocompeter: ...`, and exits 2.
"""

import argparse
import sys

from pydantic import ValidationError

from app.cli.backup import add_backup_commands
from app.cli.copying import add_copy_command
from app.cli.files import add_file_commands
from app.cli.importing import add_import_command
from app.cli.indexing import add_indexing_commands
from app.cli.keys import add_keys_command
from app.cli.migrate import add_migrate_command
from app.cli.rules import add_rules_command
from app.cli.serve import add_serve_command
from app.cli.stats import add_stats_command
from app.cli.tokens import add_tokens_command
from app.shared.domains import normalize_domain
from app.shared.errors import Refused
from app.shared.settings import describe_settings_error, load_settings
from core.store import IncompatibleStore

DESCRIPTION = ("The `autocompeter` command: serve, migrate, keys, tokens, load, export, stats, "
               "import,\nbackup, restore, copy, indexer, reindex, synonyms,\nsuggestions.")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="autocompeter", description=DESCRIPTION)
    commands = top.add_subparsers(dest="command", required=True)
    # In the order `autocompeter --help` lists them.
    for add_command in (add_serve_command, add_migrate_command, add_keys_command,
                        add_tokens_command, add_file_commands, add_stats_command,
                        add_import_command, add_backup_commands, add_copy_command,
                        add_indexing_commands, add_rules_command):
        add_command(commands)
    return top


def run(args: argparse.Namespace) -> int:
    """The command's exit status; Refused for an operator's mistake."""
    if getattr(args, "domain", None) is not None:  # keys create, tokens, load, export, stats
        try:
            args.domain = normalize_domain(args.domain)
        except ValueError as error:
            raise Refused(f"domain: {error}") from None
    overrides = {name: getattr(args, name, None) for name in ("host", "port", "workers")}
    settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    return args.run(args, settings)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except ValidationError as error:
        message = describe_settings_error(error)
    # IncompatibleStore is core's (a store newer than this code), and core knows
    # nothing of app's Refused; it means the same to the operator.
    except (Refused, IncompatibleStore) as error:
        message = str(error)
    print(f"autocompeter: {message}", file=sys.stderr)
    return 2
