"""`autocompeter copy --from URL --to URL [--domain D]`: moves domains between setups
(the embedded SQLite file and PostgreSQL, either way) with everything they own:
titles, key hashes, private groups, token secrets, search counts and clicks.

`export`/`load` move titles only, and `backup`/`restore` copy one setup's own
format into the same setup; this reads the source's rows in one snapshot (a read
transaction on the SQLite file, REPEATABLE READ on PostgreSQL) and writes them
through the target store, so each side computes its own search text, rank keys
or change versions. A PostgreSQL target's search index is then rebuilt from its
titles, as `autocompeter reindex` does: searchable at once, with no indexer running.

The titles go first, one page per transaction, then the rest of a domain in one
transaction: a copy that stops half-way leaves titles without keys, and running
it again finishes it (titles are written by URL, replacing the same URL's). A
target that already has keys for a domain is refused: that domain is in use there.
"""

import argparse
import asyncio
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from app.cli.arguments import Commands
from app.cli.backup import open_read_only
from app.cli.indexing import run_reindex
from app.shared.analytics import window_start
from app.shared.backends import Backends, with_backends
from app.shared.domains import normalize_domain
from app.shared.errors import Refused
from app.shared.settings import Settings, load_settings, sqlite_path
from core.sql import SqlStore, as_datetime
from core.sql_statements import DOMAIN_ID, ENSURE_DOMAIN
from core.store import Document

PAGE = 1000
Rows = list[Sequence[Any]]
Batch = tuple[str, Sequence[Sequence[Any]]]
Fetch = Callable[..., Awaitable[Rows]]
SQLITE_TABLES = "SELECT name FROM sqlite_schema WHERE type = 'table'"
POSTGRES_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"

# What each domain owns besides its titles: the source's columns, and the target's
# insert (plain INSERT: a row already there is an error, never counted twice).
# `clicks_seen` stays behind: it only stops a visitor's second click of the day.
OWNED = {
    "keys": ("key_hash, prefix, note, created_at, revoked_at, last_used_at",
             "keys (domain_id, key_hash, prefix, note, created_at, revoked_at, last_used_at)"),
    "private_groups": ("name", "private_groups (domain_id, name)"),
    "token_secrets": ("secret, created_at", "token_secrets (domain_id, secret, created_at)"),
    "fetches": ("year, month, count", "fetches (domain_id, year, month, count)"),
    "query_counts": ("day, query, searches, misses",
                     "query_counts (domain_id, day, query, searches, misses)"),
    "intent_counts": ("day, query, searches, misses",
                      "intent_counts (domain_id, day, query, searches, misses)"),
    "click_counts": ("url, query, day, clicks",
                     "click_counts (domain_id, url, query, day, clicks)"),
    "domain_rules": ("name, rules", "domain_rules (domain_id, name, rules)"),
}
TIMESTAMPS = {"created_at", "revoked_at", "last_used_at"}


@dataclass(frozen=True)
class Source:
    """Reads (`?` placeholders) of the source's store, all seeing the same moment."""

    fetch: Fetch
    tables: frozenset[str]


class CopyFailed(Refused):
    """The copy cannot be made as asked: one line on stderr, exit status 2."""


def add_copy_command(commands: Commands) -> None:
    copy = commands.add_parser(
        "copy", help="copy domains with their keys, private groups, token secrets and stats "
                     "from one database to another (embedded <-> PostgreSQL)",
        description="Copy domains, or every domain, from one store to another: titles, key "
                    "hashes (the old keys keep working), private groups, token secrets (old "
                    "tokens stay valid), search counts and clicks. A PostgreSQL target needs "
                    "SEARCH_URL (and SEARCH_INDEX if not the default): its search index is "
                    "rebuilt afterwards, as `autocompeter reindex` does. A domain that has "
                    "keys in the target is refused.",
        epilog="example: autocompeter copy --from sqlite:///autocompeter.db "
               "--to postgresql://autocompeter@db/autocompeter --domain example.com")
    copy.add_argument("--from", dest="source", required=True, metavar="DATABASE_URL",
                      help="where the domains are: sqlite:///file.db or postgresql://...")
    copy.add_argument("--to", dest="target", required=True, metavar="DATABASE_URL",
                      help="where they go (created or migrated as needed)")
    copy.add_argument("--domain", dest="domains", action="append", default=[],
                      metavar="DOMAIN", help="a domain to copy (repeat for more); "
                                             "default: every domain")
    copy.set_defaults(run=run_copy_command)


def run_copy_command(args: argparse.Namespace, _settings: Settings) -> int:
    """The settings are --from's and --to's, not the environment's DATABASE_URL."""
    try:
        domains = [normalize_domain(domain) for domain in args.domains]
    except ValueError as error:
        raise CopyFailed(f"domain: {error}") from None
    target = load_settings(database_url=args.target)
    source = load_settings(database_url=args.source).database_url
    if source == target.database_url:
        raise CopyFailed("--from and --to name the same database")
    return asyncio.run(with_backends(target, lambda b: copy_domains(source, domains, b)))


# -- the source, read in one snapshot -------------------------------------------------


@asynccontextmanager
async def source_snapshot(url: str) -> AsyncIterator[Source]:
    if load_settings(database_url=url).embedded:
        async with sqlite_snapshot(Path(sqlite_path(url))) as source:
            yield source
    else:
        async with postgres_snapshot(url) as source:
            yield source


@asynccontextmanager
async def sqlite_snapshot(path: Path) -> AsyncIterator[Source]:
    if not path.exists():
        raise CopyFailed(f"no database at {path} (--from)")
    conn = open_read_only(path)
    try:
        tables = begin_sqlite_snapshot(conn, path)

        async def fetch(sql: str, *args: Any) -> Rows:
            return conn.execute(sql, args).fetchall()

        yield Source(fetch, tables)
    finally:
        conn.close()


def begin_sqlite_snapshot(conn: sqlite3.Connection, path: Path) -> frozenset[str]:
    """Checks the file's schema version; returns its tables, read in the transaction
    whose first read fixes the snapshot every later read sees."""
    from embedded.store import SCHEMA_VERSION

    try:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        check_version(version or None, SCHEMA_VERSION, path)
        conn.execute("BEGIN")
        return frozenset(name for (name,) in conn.execute(SQLITE_TABLES))
    except sqlite3.DatabaseError as error:  # not SQLite, or damaged
        raise CopyFailed(f"cannot read {path}: {error}") from None


@asynccontextmanager
async def postgres_snapshot(url: str) -> AsyncIterator[Source]:
    import asyncpg  # the [postgres] extra: only a PostgreSQL source needs it

    from scaled.schema import SCHEMA_VERSION
    from scaled.store import numbered

    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as error:
        raise CopyFailed(f"cannot connect to --from: {error}") from None
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            has_version = await conn.fetchval("SELECT to_regclass('schema_version')")
            version = has_version and await conn.fetchval(
                "SELECT max(version) FROM schema_version")
            check_version(version, SCHEMA_VERSION, "--from")

            async def fetch(sql: str, *args: Any) -> Rows:
                return await conn.fetch(numbered(sql), *args)

            yield Source(fetch, frozenset(name for (name,) in await fetch(POSTGRES_TABLES)))
    finally:
        await conn.close()


def check_version(found: int | None, expected: int, where: object) -> None:
    if found is None:
        raise CopyFailed(f"{where} holds no autocompeter tables")
    if found != expected:
        raise CopyFailed(f"{where} has schema version {found}, this version uses {expected}: "
                         "run `autocompeter migrate` with DATABASE_URL set to it first")


# -- copying ----------------------------------------------------------------------------


@dataclass
class Copied:
    titles: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    def describe(self, domain: str) -> str:
        owned = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in self.rows.items())
        return f"copied {domain}: {self.titles} titles, {owned}"


async def copy_domains(source_url: str, wanted: list[str], target: Backends) -> int:
    store = target.store
    assert isinstance(store, SqlStore)
    async with source_snapshot(source_url) as source:
        domains = await source_domains(source.fetch, wanted)
        await refuse_domains_in_use(store, domains)
        for domain in domains:
            copied = await copy_domain(source, domain, store)
            print(copied.describe(domain), file=sys.stderr)
    # Clicks make the ranking: the target computes it from the click counts just copied.
    await store.refresh_click_ranking(window_start(), everything=True)
    if target.scaled is None:
        print(f"copied {len(domains)} domains")
        return 0
    print(f"copied {len(domains)} domains; rebuilding the search index", file=sys.stderr)
    return await run_reindex(target)


async def source_domains(fetch: Fetch, wanted: list[str]) -> list[str]:
    names = [name for (name,) in await fetch("SELECT name FROM domains ORDER BY name")]
    missing = sorted(set(wanted) - set(names))
    if missing:
        raise CopyFailed(f"no domain {', '.join(missing)} in --from")
    return wanted or names


async def refuse_domains_in_use(store: SqlStore, domains: list[str]) -> None:
    in_use = sorted({key.domain for key in await store.list_keys()} & set(domains))
    if in_use:
        raise CopyFailed(f"the target already has keys for {', '.join(in_use)}: those "
                         "domains are in use there; nothing copied")


async def copy_domain(source: Source, domain: str, store: SqlStore) -> Copied:
    copied = Copied()
    async for page in title_pages(source.fetch, domain):
        copied.titles += await store.upsert(domain, page)
    batches: list[Batch] = []
    for table, (columns, into) in OWNED.items():
        if table not in source.tables:
            continue  # a source made before the table was
        rows = await source.fetch(f"SELECT {columns} FROM {table} WHERE domain_id = {DOMAIN_ID}"
                           " ORDER BY 1", domain)
        names = [name.strip() for name in columns.split(",")]
        marks = ", ".join("?" * len(names))
        if rows:
            batches.append((f"INSERT INTO {into} VALUES ({DOMAIN_ID}, {marks})",
                            [(domain, *typed(names, row)) for row in rows]))
        copied.rows[table] = len(rows)
    await add_domain_rows(store, domain, batches)
    return copied


async def add_domain_rows(store: SqlStore, domain: str, batches: list[Batch]) -> None:
    """Make ``domain`` and write its rows in one transaction (all of them, or none),
    telling any worker's cached access (private groups, secret) that it changed.
    The store's own batch writer: it takes the counters' lock on PostgreSQL."""
    await store._execute_batches(
        (ENSURE_DOMAIN, [(domain,)]), *batches,
        *[(sql, [args]) for sql, args in store._access_changed(domain)])


async def title_pages(fetch: Fetch, domain: str) -> AsyncIterator[list[Document]]:
    after = 0
    while True:
        rows = await fetch("SELECT id, url, title, grp, popularity FROM documents"
                           f" WHERE domain_id = {DOMAIN_ID} AND id > ? ORDER BY id LIMIT ?",
                           domain, after, PAGE)
        if rows:
            yield [Document(url, title, group, popularity)
                   for _id, url, title, group, popularity in rows]
        if len(rows) < PAGE:
            return
        after = rows[-1][0]


def typed(names: list[str], row: Sequence[Any]) -> list[Any]:
    """SQLite keeps times and days as ISO text; both stores take them as Python's."""
    return [as_datetime(value) if name in TIMESTAMPS
            else as_date(value) if name == "day" else value
            for name, value in zip(names, row, strict=True)]


def as_date(value: date | str) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)
