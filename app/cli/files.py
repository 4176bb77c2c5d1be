"""`autocompeter load FILE --domain D` and `autocompeter export D`: a domain's titles
in and out of a file, in JSON, JSON Lines or CSV (`LOAD_FORMATS`).

Titles only: keys, private groups, token secrets and stats move with
`autocompeter copy` (`copying.py`). Entries are checked as the API checks them,
and the invalid ones listed rather than ending the load.
"""

import argparse
import asyncio
import csv
import io
import sys
from functools import partial
from pathlib import Path

import orjson
from tqdm import tqdm

from app.cli.arguments import DOMAIN_HELP, Commands
from app.shared.backends import Backends, with_backends
from app.shared.errors import Refused
from app.shared.models import validate_documents
from app.shared.settings import Settings
from core.store import Document

LOAD_BATCH = 1000

LOAD_FORMATS = """\
FILE may be any of these (the format is recognised from the contents):
  {"documents": [{"url": ..., "title": ...}, ...]}   what `export` writes and bulk takes
  {"items": [...]}                                   the original service's export
  [{"url": ..., "title": ...}, ...]                  a plain JSON list
  one JSON object per line                           JSON Lines
  CSV url,title[,popularity][,group], with or without that header row
    (a header names the columns in any order)
Each entry has a url (http(s) or a path starting with /) and a title; group and
popularity are optional. Invalid entries (a JSON Lines line that is not JSON too)
are reported and skipped."""


class Unreadable:
    """An entry of the file that could not even be read (a JSON Lines line that is
    not JSON): listed and skipped like an invalid one."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


# (where in the file, entry): where is "#3" for JSON, "line 4" for JSON Lines and CSV.
Entry = tuple[str, object]


def read_entries(path: Path) -> list[Entry]:
    try:
        data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")  # a UTF-8 BOM, as Excel writes
    except OSError as error:
        raise Refused(f"cannot read {path}: {error}") from None
    first = data.lstrip()[:1]
    if first == b"[":
        return numbered(path, parse_json(path, data))
    if first == b"{":
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            return json_lines(path, data)  # several objects, one per line
        if isinstance(payload, dict) and ("documents" in payload or "items" in payload):
            return numbered(path, payload.get("documents", payload.get("items")))
        return [("line 1", payload)]  # JSON Lines with a single line
    return csv_rows(path, data)


def parse_json(path: Path, data: bytes) -> object:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise Refused(f"{path}: not valid JSON: {error}") from None


def numbered(path: Path, entries: object) -> list[Entry]:
    if not isinstance(entries, list):
        raise Refused(f'{path}: expected a list of {{"url": ..., "title": ...}} objects')
    return [(f"#{index}", entry) for index, entry in enumerate(entries)]


def json_lines(path: Path, data: bytes) -> list[Entry]:
    entries: list[Entry] = []
    for number, line in enumerate(data.splitlines(), start=1):
        if line.strip():
            try:
                entries.append((f"line {number}", orjson.loads(line)))
            except orjson.JSONDecodeError as error:
                if not entries:  # broken JSON over several lines, not JSON Lines
                    raise Refused(f"{path}: not valid JSON, nor JSON Lines: line "
                                       f"{number}: {error}") from None
                entries.append((f"line {number}", Unreadable(f"not JSON: {error}")))
    return entries


def csv_rows(path: Path, data: bytes) -> list[Entry]:
    try:
        text = data.decode()
    except UnicodeDecodeError as error:
        raise Refused(f"{path}: not UTF-8 text: {error}") from None
    # The csv module refuses a field over 131,072 characters, ending the whole file
    # there: read any field the file can hold, and let validation refuse a long url
    # or title on its own line (a long column that no title uses is ignored).
    default_limit = csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    try:
        # Numbered as read, so blank lines and quoted line breaks count as in an editor.
        reader = csv.reader(io.StringIO(text, newline=""))
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    finally:
        csv.field_size_limit(default_limit)
    first_row = rows[0][1] if rows else []
    columns = csv_columns(path, first_row)
    if is_header(first_row):
        rows = rows[1:]
    return [(f"line {number}", dict(zip(columns, row, strict=False))) for number, row in rows]


CSV_COLUMNS = ["url", "title", "popularity", "group"]
"""A CSV file's columns when its first row does not name them, as the dashboard reads it."""


def is_header(row: list[str]) -> bool:
    return "url" in [cell.strip().lower() for cell in row]


def csv_columns(path: Path, first_row: list[str]) -> list[str]:
    """The header's names, or CSV_COLUMNS for a file without one; a first row of one
    field is not titles (no title column) but some other file."""
    if is_header(first_row):
        header = [cell.strip().lower() for cell in first_row]
        if "title" not in header:
            raise Refused(f"{path}: a CSV header row names url and title columns "
                               "(url,title[,popularity][,group])")
        return header
    if len(first_row) < 2:
        raise Refused(f"{path}: not JSON, and not CSV of url,title[,popularity][,group]")
    return CSV_COLUMNS


def validate_entries(entries: list[Entry]) -> tuple[list[Document], list[str]]:
    """The documents of the valid entries, and "where: why" for the others, in file order."""
    errors = {index: entry.reason for index, (_where, entry) in enumerate(entries)
              if isinstance(entry, Unreadable)}
    readable = [index for index in range(len(entries)) if index not in errors]
    documents, invalid = validate_documents(entries[index][1] for index in readable)
    errors.update((readable[position], error) for position, error in invalid)
    return documents, [f"{entries[index][0]}: {errors[index]}" for index in sorted(errors)]


async def load(backends: Backends, path: Path, domain: str) -> int:
    documents, rejected = validate_entries(read_entries(path))
    with tqdm(total=len(documents), unit="doc", desc=f"loading {domain}") as progress:
        for start in range(0, len(documents), LOAD_BATCH):
            batch = documents[start : start + LOAD_BATCH]
            await backends.store.upsert(domain, batch)
            progress.update(len(batch))
    for line in rejected[:20]:
        print(f"rejected {line}", file=sys.stderr)
    print(f"loaded {len(documents)}, rejected {len(rejected)}")
    return 0


def export_entry(document: Document) -> dict[str, object]:
    popularity = document.popularity
    return {"url": document.url, "title": document.title, "group": document.group,
            # 3 rather than 3.0: the file reads as people wrote the numbers.
            "popularity": int(popularity) if popularity.is_integer() else popularity}


async def export(backends: Backends, domain: str) -> int:
    """Write the domain's titles to stdout in the bulk format `load` reads.

    Written as the store pages through them, so a large domain is never held in
    memory whole.
    """
    store = backends.store
    if not await store.domain_exists(domain):
        raise Refused(f"no domain named {domain!r}")
    out = sys.stdout.buffer
    out.write(b'{"documents": [')
    count = 0
    async for document in store.documents(domain):
        out.write(b"\n  " if count == 0 else b",\n  ")
        out.write(orjson.dumps(export_entry(document)))
        count += 1
    out.write(b"\n]}\n" if count else b"]}\n")
    out.flush()
    print(f"exported {count}", file=sys.stderr)
    return 0


def add_file_commands(commands: Commands) -> None:
    load_command = commands.add_parser(
        "load", help="load titles from a JSON, JSON Lines or CSV file",
        description="Load titles into a domain, replacing those with the same URL. Titles "
                    "only: to move a domain with its keys, private groups, token secret and "
                    "stats to another database, use `autocompeter copy`.",
        epilog=LOAD_FORMATS, formatter_class=argparse.RawDescriptionHelpFormatter)
    load_command.add_argument("file", type=Path, metavar="FILE",
                              help="the titles (formats below)")
    load_command.add_argument("--domain", required=True, help="the domain to load into")
    load_command.set_defaults(run=run_load)

    export_command = commands.add_parser(
        "export", help="write a domain's titles to stdout as JSON that `load` reads",
        description="Write a domain's titles (only its titles: not its keys, private groups, "
                    "token secret or stats) to stdout as JSON that `load` reads. To move a "
                    "domain with all of it to another database, use `autocompeter copy`.")
    export_command.add_argument("domain", help=DOMAIN_HELP)
    export_command.set_defaults(run=run_export)


def run_load(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(with_backends(settings, partial(load, path=args.file,
                                                       domain=args.domain)))


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(with_backends(settings, partial(export, domain=args.domain)))
