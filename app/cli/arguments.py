"""What the commands' argument parsers share: the type each `add_*_command` takes and
the help of a DOMAIN argument. Each command module adds its own subcommand to the
parser `main.py` builds, and sets `run`, the function `main` calls with the parsed
arguments and the settings."""

import argparse
from typing import TypeAlias

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""The `autocompeter` parser's subcommands, which each command module adds to."""

DOMAIN_HELP = "the site's host name, such as example.com"
