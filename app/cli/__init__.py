"""The `autocompeter` command: serve, migrate, keys, tokens, load, export, stats, import,
backup, restore, copy, indexer, reindex."""

import argparse
import asyncio
import csv
import errno
import io
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from pathlib import Path

import orjson
from pydantic import ValidationError
from tqdm import tqdm

from app.cli.backup import add_backup_commands, run_backup_command
from app.cli.copying import add_copy_command, run_copy_command
from app.shared.analytics import QUERY_RETENTION_DAYS, recent_clicks, recent_top_queries
from app.importer import add_import_command, run_import
from app.pages.demo import DEMO_DOMAIN
from app.shared.backends import Backends, UnsupportedSetup, open_backends, sync_worker
from app.shared.domains import normalize_domain
from app.shared.models import PrivateGroupsIn, validate_documents
from app.shared.settings import Settings, describe_settings_error, load_settings
from app.shared.validation import describe
from core.keys import KEY_LENGTH, PREFIX_LENGTH
from core.store import Document, IncompatibleStore, KeyInfo
from core.tokens import mint

DEMO_KEY_NOTE = "made by serve --demo"
DOMAIN_HELP = "the site's host name, such as example.com"
LOAD_BATCH = 1000


class CommandError(Exception):
    """Ends the command with one line on stderr and exit status 2."""


async def with_backends(settings: Settings, work: Callable[[Backends], Awaitable[int]]) -> int:
    backends = open_backends(settings)
    try:
        await backends.store.migrate()
        return await work(backends)
    finally:
        await backends.close()


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


# -- serve -------------------------------------------------------------------


def base_url(settings: Settings) -> str:
    """Where a browser on this machine reaches the service."""
    host = settings.host
    if host in ("0.0.0.0", "::", ""):  # every address: this machine's own works
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def tell(settings: Settings, text: str) -> None:
    """What serve says as it starts, to people; one JSON log line with LOG_FORMAT=json,
    so a log collector still gets nothing but JSON."""
    if settings.log_format == "json":
        from app.shared.log_format import JsonFormatter

        record = logging.makeLogRecord({"name": "autocompeter", "levelname": "INFO",
                                        "levelno": logging.INFO, "msg": text.strip()})
        text = JsonFormatter().format(record)
    print(text, file=sys.stderr)


async def seed_demo(backends: Backends, settings: Settings) -> int:
    from app.pages.demo import documents  # parsing the standard library is only for the demo

    store = backends.store
    if await store.count(DEMO_DOMAIN) == 0:
        corpus = documents()
        tell(settings, f"Seeding the {DEMO_DOMAIN!r} domain with {len(corpus)} titles from "
                       "the Python standard library...")
        await store.upsert(DEMO_DOMAIN, corpus)
    for old in await store.list_keys():
        if old.domain == DEMO_DOMAIN and old.note == DEMO_KEY_NOTE and not old.revoked_at:
            await store.revoke_key_by_id(old.key_id)
    key = await store.create_key(DEMO_DOMAIN, note=DEMO_KEY_NOTE)
    tell(settings, DEMO_BANNER.format(base=base_url(settings), key=key, domain=DEMO_DOMAIN))
    return 0


async def announce(backends: Backends, settings: Settings) -> int:
    """Say where the service listens and, on a fresh install, what to do first."""
    base = base_url(settings)
    message = (f"\nAutocompeter is serving at {base}/ (API docs at {base}/docs)\n"
               f"Dashboard for a domain's titles and stats (sign in with its key): "
               f"{base}/dashboard\n")
    if not await backends.store.list_keys():
        message += FIRST_STEPS.format(base=base)
    tell(settings, message)
    return 0


DEMO_BANNER = """
Autocompeter is serving the demo domain {domain!r} at {base}/
Its auth key for this run: {key}
Dashboard (sign in with that key): {base}/dashboard

  curl '{base}/v1?d={domain}&q=json+du'
  curl -H 'Auth-Key: {key}' -d url=https://example.com/x -d title='My first title' {base}/v1
  curl -H 'Auth-Key: {key}' '{base}/v1/stats'
"""

FIRST_STEPS = """No domains yet. Make a key for your site, then send it titles:

  KEY=$(autocompeter keys create example.com)
  curl -H "Auth-Key: $KEY" -d url=https://example.com/about -d title='About us' {base}/v1
  autocompeter load titles.json --domain example.com   # JSON, JSON Lines or CSV

`autocompeter serve --demo` serves a demo domain to try first.
"""


def listen_address(settings: Settings) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"{host}:{settings.port}"


def cannot_listen(settings: Settings, error: OSError) -> CommandError:
    if error.errno == errno.EADDRINUSE:
        reason = ("the port is in use (another program listens there; choose another "
                  "with --port or PORT)")
    elif error.errno == errno.EACCES:
        reason = "permission denied (ports below 1024 need privileges)"
    else:
        reason = error.strerror or str(error)
    return CommandError(f"cannot listen on {listen_address(settings)}: {reason}")


def check_address(settings: Settings) -> None:
    """Bind the address as Sanic will, and let go: a busy port or an address of another
    machine is one line and exit status 2, before anything says "serving at"."""
    from sanic.server.socket import bind_socket

    try:
        bind_socket(settings.host, settings.port).close()
    except OSError as error:
        raise cannot_listen(settings, error) from None


def serve(settings: Settings, demo: bool) -> int:
    check_address(settings)
    # Every worker process writes its metrics to files in this directory and
    # /metrics adds them up (app/http/metrics.py). It must be set before
    # prometheus-client is first imported, and be fresh: files left by an
    # earlier run would be counted again.
    metrics_dir = tempfile.mkdtemp(prefix="autocompeter-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        from sanic import Sanic
        from sanic.worker.loader import AppLoader

        from app.http.server import create_app
        from app.http.supervision import Supervision

        asyncio.run(with_backends(settings, migrated_for_serve))
        greet = seed_demo if demo else announce
        asyncio.run(with_backends(settings, partial(greet, settings=settings)))
        loader = AppLoader(factory=partial(create_app, settings))
        app = loader.load()
        app.prepare(host=settings.host, port=settings.port, workers=settings.workers,
                    motd=False, access_log=False)  # app.http.access_log writes our own lines
        supervision = Supervision(app)
        try:
            Sanic.serve(primary=app, app_loader=loader)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise cannot_listen(settings, error) from None  # taken since check_address
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 1 if supervision.gave_up else 0


# -- keys ----------------------------------------------------------------------


async def keys_create(backends: Backends, domain: str, note: str) -> int:
    print(await backends.store.create_key(domain, note=note))
    return 0


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell, two spaces apart."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [header, *rows]]


def when(moment: datetime | None, never: str = "never") -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else never


async def keys_list(backends: Backends) -> int:
    keys = await backends.store.list_keys()
    if not keys:
        print("no keys yet: autocompeter keys create DOMAIN", file=sys.stderr)
        return 0
    rows = [[str(key.key_id), f"{key.prefix}…", key.domain, key.note, when(key.created_at),
             when(key.last_used_at),
             f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "live"]
            for key in keys]
    print("\n".join(table(["id", "key", "domain", "note", "created (UTC)", "last used",
                            "state"], rows)))
    return 0


def describe_key(key: KeyInfo) -> str:
    return f"id {key.key_id} ({key.domain}, {key.prefix}…, created {when(key.created_at)})"


async def keys_revoke(backends: Backends, given: str) -> int:
    """Revoke by the whole key, by id, or by the first characters `keys list` shows."""
    given = given.strip().removesuffix("…")
    store = backends.store
    if len(given) >= KEY_LENGTH:
        if not await store.revoke_key(given):
            raise CommandError("no live key matches that key")
        print("revoked", file=sys.stderr)
        return 0
    keys = await store.list_keys()
    if given.isdigit() and len(given) < PREFIX_LENGTH:
        matches = [key for key in keys if key.key_id == int(given)]
    elif len(given) >= PREFIX_LENGTH:
        # Only the first PREFIX_LENGTH characters are stored (and shown).
        matches = [key for key in keys if key.prefix == given[:PREFIX_LENGTH]]
    else:
        raise CommandError(f"give the key's id, its first {PREFIX_LENGTH} characters as "
                           "`keys list` shows them, or the whole key")
    live = [key for key in matches if key.revoked_at is None]
    if not live:
        raise CommandError(f"{describe_key(matches[0])} is already revoked" if matches
                           else f"no key has the id or prefix {given!r}; see `keys list`")
    if len(live) > 1:
        raise CommandError(f"{given!r} matches {len(live)} live keys: "
                           + "; ".join(describe_key(key) for key in live)
                           + ". Give the id or the whole key")
    await store.revoke_key_by_id(live[0].key_id)
    print(f"revoked {describe_key(live[0])}", file=sys.stderr)
    return 0


# -- tokens --------------------------------------------------------------------


async def known_secret(backends: Backends, domain: str, rotate: bool = False) -> str:
    store = backends.store
    secret = await (store.rotate_token_secret(domain) if rotate else store.token_secret(domain))
    if secret is None:
        raise CommandError(f"no domain {domain!r}: autocompeter keys create {domain}")
    return secret


async def tokens_create(backends: Backends, domain: str, groups: str, ttl: int) -> int:
    if ttl < 1:
        raise CommandError("--ttl: the token's lifetime in seconds, at least 1")
    try:
        granted = PrivateGroupsIn.model_validate({"private": groups.split(",")}).private
    except ValidationError as error:
        raise CommandError(describe(error, name=lambda _field: "--groups")) from None
    secret = await known_secret(backends, domain)
    print(mint(secret, domain, granted, int(time.time()) + ttl))
    return 0


async def tokens_secret(backends: Backends, domain: str) -> int:
    print(await known_secret(backends, domain))
    return 0


async def tokens_rotate(backends: Backends, domain: str) -> int:
    print(await known_secret(backends, domain, rotate=True))
    print("tokens signed with the old secret grant nothing from now on", file=sys.stderr)
    return 0


# -- load ----------------------------------------------------------------------


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
        raise CommandError(f"cannot read {path}: {error}") from None
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
        raise CommandError(f"{path}: not valid JSON: {error}") from None


def numbered(path: Path, entries: object) -> list[Entry]:
    if not isinstance(entries, list):
        raise CommandError(f'{path}: expected a list of {{"url": ..., "title": ...}} objects')
    return [(f"#{index}", entry) for index, entry in enumerate(entries)]


def json_lines(path: Path, data: bytes) -> list[Entry]:
    entries: list[Entry] = []
    for number, line in enumerate(data.splitlines(), start=1):
        if line.strip():
            try:
                entries.append((f"line {number}", orjson.loads(line)))
            except orjson.JSONDecodeError as error:
                if not entries:  # broken JSON over several lines, not JSON Lines
                    raise CommandError(f"{path}: not valid JSON, nor JSON Lines: line "
                                       f"{number}: {error}") from None
                entries.append((f"line {number}", Unreadable(f"not JSON: {error}")))
    return entries


def csv_rows(path: Path, data: bytes) -> list[Entry]:
    try:
        text = data.decode()
    except UnicodeDecodeError as error:
        raise CommandError(f"{path}: not UTF-8 text: {error}") from None
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
            raise CommandError(f"{path}: a CSV header row names url and title columns "
                               "(url,title[,popularity][,group])")
        return header
    if len(first_row) < 2:
        raise CommandError(f"{path}: not JSON, and not CSV of url,title[,popularity][,group]")
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


# -- export --------------------------------------------------------------------


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
        raise CommandError(f"no domain named {domain!r}")
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


# -- stats -----------------------------------------------------------------------

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
        raise CommandError(f"no domain named {domain!r}")
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


# -- indexer, reindex (scaled-out setup only) ------------------------------------------


async def run_indexer(backends: Backends, settings: Settings) -> int:
    worker = sync_worker(backends, settings)
    if worker is None:
        raise CommandError("the indexer feeds a search cluster from PostgreSQL; "
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
        raise CommandError("reindex rebuilds a search cluster's index; the embedded "
                           "FTS5 index is always in step with its store")
    await parts.cluster.ensure_index()
    with tqdm(unit="doc", desc="reindexing") as progress:
        name, count = await reindex(parts.store, parts.cluster, progress.update)
    print(f"reindexed {count} documents into {name}; "
          f"alias {parts.cluster.alias!r} points at it")
    return 0


# -- wiring --------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="autocompeter", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", help="run the HTTP service")
    serve_cmd.add_argument("--host", help="address to listen on (HOST)")
    serve_cmd.add_argument("--port", type=int, help="port to listen on (PORT)")
    serve_cmd.add_argument("--workers", type=int, help="worker processes (WORKERS)")
    serve_cmd.add_argument("--demo", action="store_true",
                           help="seed the demo domain and print a fresh key for it")

    migrate_help = "create or update the database tables (and a search cluster's index)"
    commands.add_parser("migrate", help=migrate_help,
                        description=f"{migrate_help[0].upper()}{migrate_help[1:]}; `serve` "
                                    "does the same as it starts, so run it by hand only "
                                    "to check a setup or before a first start.")

    keys = commands.add_parser("keys", help="manage auth keys").add_subparsers(
        dest="keys_command", required=True)
    create = keys.add_parser("create", help="make a key for DOMAIN and print it")
    create.add_argument("domain", help=DOMAIN_HELP)
    create.add_argument("--note", default="", help="a reminder of who has the key")
    keys.add_parser("list", help="list keys: id, first characters, domain, note, created, "
                                 "last used, state (never the keys themselves)")
    keys.add_parser("revoke", help="revoke a key").add_argument(
        "key", help=f"the id or the first {PREFIX_LENGTH} characters `keys list` shows, "
                    "or the whole key")

    tokens = commands.add_parser(
        "tokens", help="search tokens that open private groups (README: Private groups)"
    ).add_subparsers(dest="tokens_command", required=True)
    token_create = tokens.add_parser("create", help="print a token for DOMAIN")
    token_create.add_argument("domain", help=DOMAIN_HELP)
    token_create.add_argument("--groups", required=True,
                              help="the groups it grants, comma-separated: staff,editors")
    token_create.add_argument("--ttl", type=int, default=3600,
                              help="seconds until it expires (default 3600)")
    tokens.add_parser("secret", help="print DOMAIN's token secret (made on first use)"
                      ).add_argument("domain", help=DOMAIN_HELP)
    tokens.add_parser("rotate", help="replace DOMAIN's token secret and print the new one; "
                                     "tokens signed with the old one stop working"
                      ).add_argument("domain", help=DOMAIN_HELP)

    load_cmd = commands.add_parser(
        "load", help="load titles from a JSON, JSON Lines or CSV file",
        description="Load titles into a domain, replacing those with the same URL. Titles "
                    "only: to move a domain with its keys, private groups, token secret and "
                    "stats to another database, use `autocompeter copy`.",
        epilog=LOAD_FORMATS, formatter_class=argparse.RawDescriptionHelpFormatter)
    load_cmd.add_argument("file", type=Path, metavar="FILE", help="the titles (formats below)")
    load_cmd.add_argument("--domain", required=True, help="the domain to load into")

    export_cmd = commands.add_parser(
        "export", help="write a domain's titles to stdout as JSON that `load` reads",
        description="Write a domain's titles (only its titles: not its keys, private groups, "
                    "token secret or stats) to stdout as JSON that `load` reads. To move a "
                    "domain with all of it to another database, use `autocompeter copy`.")
    export_cmd.add_argument("domain", help=DOMAIN_HELP)

    stats_cmd = commands.add_parser(
        "stats", help="searches per month, documents and top queries of a domain")
    stats_cmd.add_argument("domain", help=DOMAIN_HELP)

    add_import_command(commands)
    add_backup_commands(commands)
    add_copy_command(commands)
    commands.add_parser(
        "indexer", help="run a sync worker: outbox -> search cluster",
        description="Scaled-out setup only (DATABASE_URL=postgresql://..., SEARCH_URL): "
                    "copy each write from PostgreSQL's outbox into the search cluster "
                    "until Ctrl-C. `serve` runs one in each worker unless "
                    "INDEXER_IN_SERVE=false; run this for a process of its own.")
    commands.add_parser(
        "reindex", help="rebuild the search index from the store, then swap the alias "
                        "(no search downtime)",
        description="Scaled-out setup only: build a new index from every title in "
                    "PostgreSQL, then point the alias at it; searches use the old index "
                    "until the swap. The embedded FTS5 index never needs it.")
    return top


def run(args: argparse.Namespace) -> int:
    if getattr(args, "domain", None) is not None:  # keys create, tokens, load, export, stats
        try:
            args.domain = normalize_domain(args.domain)
        except ValueError as error:
            raise CommandError(f"domain: {error}") from None
    overrides = {name: getattr(args, name, None) for name in ("host", "port", "workers")}
    settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    match args.command:
        case "serve":
            return serve(settings, args.demo)
        case "migrate":
            return asyncio.run(with_backends(settings, migrated))
        case "keys":
            action = {
                "create": lambda b: keys_create(b, args.domain, args.note),
                "list": keys_list,
                "revoke": lambda b: keys_revoke(b, args.key),
            }[args.keys_command]
            return asyncio.run(with_backends(settings, action))
        case "tokens":
            action = {
                "create": partial(tokens_create, domain=args.domain,
                                  groups=getattr(args, "groups", ""), ttl=getattr(args, "ttl", 0)),
                "secret": partial(tokens_secret, domain=args.domain),
                "rotate": partial(tokens_rotate, domain=args.domain),
            }[args.tokens_command]
            return asyncio.run(with_backends(settings, action))
        case "load":
            return asyncio.run(with_backends(settings, partial(load, path=args.file,
                                                               domain=args.domain)))
        case "export":
            return asyncio.run(with_backends(settings, partial(export, domain=args.domain)))
        case "stats":
            return asyncio.run(with_backends(settings, partial(stats, domain=args.domain)))
        case "import":
            return run_import(args, settings)
        case "backup" | "restore":
            return run_backup_command(args, settings)
        case "copy":
            return run_copy_command(args)
        case "indexer":
            try:
                return asyncio.run(with_backends(settings, partial(run_indexer,
                                                                   settings=settings)))
            except KeyboardInterrupt:  # Ctrl-C before the indexer was running
                return 0
        case "reindex":
            return asyncio.run(with_backends(settings, run_reindex))
    return 2


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except ValidationError as error:
        message = describe_settings_error(error)
    except (CommandError, UnsupportedSetup, IncompatibleStore) as error:
        message = str(error)
    print(f"autocompeter: {message}", file=sys.stderr)
    return 2

