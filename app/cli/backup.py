"""`autocompeter backup FILE` and `autocompeter restore FILE`, on either setup, while serving.

Embedded: FILE is a copy of the whole SQLite file (titles and their FTS5 index, keys,
private groups, token secrets, counts), made with SQLite's online backup API in one
read transaction: a consistent snapshot, and in WAL mode writers never wait for it.
Only the sqlite3 API touches the live file: closing a descriptor of it (or of its
-wal/-shm) that SQLite did not open would drop SQLite's locks (embedded/database.py).

Scaled: FILE holds the PostgreSQL store's own tables as JSON Lines (gzipped when it
ends in .gz), read in one REPEATABLE READ transaction: a consistent snapshot. The
search index is not in it; `restore` loads the tables into a database without
domains and rebuilds the index from them, as `autocompeter reindex` does.

A file is written beside FILE and renamed onto it at the end, so a backup that
fails half-way never leaves half a backup where the last good one was.
"""

import argparse
import asyncio
import gzip
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from graphlib import TopologicalSorter
from pathlib import Path
from typing import IO, TYPE_CHECKING

import orjson

from app.cli.arguments import Commands
from app.cli.indexing import run_reindex
from app.shared.backends import Backends, with_backends
from app.shared.errors import Refused
from app.shared.settings import Settings, sqlite_path
from embedded.database import BUSY_TIMEOUT_MS

if TYPE_CHECKING:
    import asyncpg

FORMAT = "autocompeter-backup"
SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"
# Tables of the PostgreSQL schema a backup leaves out: the outbox and the indexes being
# built (the restore rebuilds the search index), and the version (in the header).
# Every other table is the store's and is copied, those added later included.
POSTGRES_NOT_COPIED = frozenset({"outbox", "search_indexes_building", "schema_version"})
POSTGRES_TABLES = """
SELECT c.relname, array_remove(array_agg(DISTINCT r.confrelid::regclass::text), NULL)
FROM pg_class c
LEFT JOIN pg_constraint r ON r.conrelid = c.oid AND r.contype = 'f' AND r.confrelid <> c.oid
WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
GROUP BY c.relname
"""
# Columns numbered by a sequence, which must go on after the restored rows' numbers.
POSTGRES_SERIALS = """
SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'
"""
RESTORE_BATCH = 1000


class BackupFailed(Refused):
    """The backup or restore cannot be made as asked: one line on stderr, exit status 2."""


# -- commands ------------------------------------------------------------------------


def add_backup_commands(commands: Commands) -> None:
    backup = commands.add_parser(
        "backup", help="copy the whole store to FILE while the service runs",
        description="Embedded: a consistent copy of the SQLite file. Scaled: the PostgreSQL "
                    "tables as JSON Lines (gzipped if FILE ends in .gz); the search index "
                    "is rebuilt from them on restore.")
    backup.add_argument("file", type=Path, metavar="FILE",
                        help="where to write it (replaced only once the copy is whole)")
    restore = commands.add_parser(
        "restore", help="load a backup into a database without domains (a fresh one)",
        description="Restores into a database without domains (a new DATABASE_URL); "
                    "--force replaces one that has some (embedded: stop its service "
                    "first). Scaled: the search index is rebuilt from the restored tables.")
    restore.add_argument("file", type=Path, metavar="FILE",
                         help="a file `autocompeter backup` wrote on the same setup")
    restore.add_argument("--force", action="store_true",
                         help="replace everything the target database holds")
    for command in (backup, restore):
        command.set_defaults(run=run_backup_command)


def run_backup_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.command == "backup":
            if settings.embedded:
                print(backup_sqlite(Path(sqlite_path(settings.database_url)), args.file))
            else:
                asyncio.run(with_backends(settings, lambda b: backup_postgres(b, args.file)))
            return 0
        if settings.embedded:
            restore_sqlite(args.file, Path(sqlite_path(settings.database_url)), args.force)
            return asyncio.run(with_backends(settings, restored))  # migrates an older file
        return asyncio.run(with_backends(settings,
                                         lambda b: restore_postgres(b, args.file, args.force)))
    except OSError as error:  # FILE's directory missing or not writable, a full disk
        raise BackupFailed(f"{args.file}: {error.strerror or error}") from None


@contextmanager
def replaced_atomically(path: Path) -> Iterator[Path]:
    """A path beside ``path`` to write; renamed onto ``path`` only if the block ends well."""
    if not path.parent.is_dir() or not os.access(path.parent, os.W_OK | os.X_OK):
        raise BackupFailed(f"cannot write {path}: no directory {path.parent} this user "
                           "may write to")
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


async def restored(backends: Backends) -> int:
    store = backends.store
    print(f"restored {await store.count_all()} titles and {len(await store.list_keys())} keys")
    return 0


# -- embedded: SQLite's online backup -------------------------------------------------


def open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot create or change ``path``."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def backup_sqlite(database: Path, target: Path) -> str:
    if not database.exists():
        raise BackupFailed(f"no database at {database} (DATABASE_URL)")
    with replaced_atomically(target) as partial:
        source = open_read_only(database)
        copy = sqlite3.connect(partial)
        try:
            # All pages in one step: one read transaction, so one consistent snapshot
            # (steps would start over whenever the service writes between them).
            source.backup(copy)
            # One self-contained file: no -wal beside it to forget when copying it away.
            copy.execute("PRAGMA journal_mode = DELETE")
            counts = sqlite_counts(copy)
        finally:
            copy.close()
            source.close()
    return f"backed up {counts} to {target} ({target.stat().st_size} bytes)"


def sqlite_counts(conn: sqlite3.Connection) -> str:
    domains, titles, keys = conn.execute(
        "SELECT (SELECT count(*) FROM domains), (SELECT count(*) FROM documents),"
        " (SELECT count(*) FROM keys)").fetchone()
    return f"{domains} domains, {titles} titles, {keys} keys"


def check_sqlite_backup(conn: sqlite3.Connection, path: Path) -> None:
    from embedded.store import SCHEMA_VERSION

    (version,) = conn.execute("PRAGMA user_version").fetchone()
    has_domains = conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'domains'").fetchone()
    if not has_domains:
        raise BackupFailed(f"{path} is an SQLite file, but not an autocompeter database")
    if version > SCHEMA_VERSION:
        raise BackupFailed(f"{path} has schema version {version}, newer than this "
                           f"version's {SCHEMA_VERSION}: restore it with a newer autocompeter")
    (verdict,) = conn.execute("PRAGMA quick_check").fetchone()
    if verdict != "ok":
        raise BackupFailed(f"{path} is damaged: {verdict}")


def target_has_domains(database: Path) -> bool:
    if not database.exists():
        return False
    conn = open_read_only(database)
    try:
        return conn.execute("SELECT 1 FROM domains LIMIT 1").fetchone() is not None
    except sqlite3.OperationalError:  # no tables yet
        return False
    finally:
        conn.close()


def restore_sqlite(backup: Path, database: Path, force: bool) -> None:
    kind = backup_kind(backup)
    if kind != "sqlite":
        raise BackupFailed(f"{backup} is a backup of the scaled setup (PostgreSQL); "
                           "restore it with DATABASE_URL=postgresql://... and SEARCH_URL")
    if target_has_domains(database) and not force:
        raise BackupFailed(f"{database} already holds domains; restore into a new file "
                           "(DATABASE_URL), or stop the service and add --force to replace "
                           "everything in it")
    source = open_read_only(backup)
    try:
        try:
            check_sqlite_backup(source, backup)
        except sqlite3.DatabaseError as error:  # cut short, or not SQLite after the header
            raise BackupFailed(f"{backup} is not an autocompeter database: {error}") from None
        target = sqlite3.connect(database, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            # Through SQLite, page by page in one write transaction: a target in WAL mode
            # stays in it, and the -wal and -shm stay SQLite's to open and close.
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def backup_kind(path: Path) -> str:
    """"sqlite" or "jsonl" (the scaled setup's, gzipped or not), from the first bytes."""
    try:
        with path.open("rb") as file:
            start = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupFailed(f"cannot read {path}: {error.strerror or error}") from None
    if start == SQLITE_MAGIC:
        return "sqlite"
    if start.startswith(GZIP_MAGIC) or start.startswith(b"{"):
        return "jsonl"
    raise BackupFailed(f"{path} is not an autocompeter backup")


# -- scaled: the PostgreSQL tables as JSON Lines --------------------------------------


def open_lines(path: Path) -> IO[bytes]:
    """The backup's lines, gunzipped if it is gzipped (whatever its name)."""
    with path.open("rb") as file:
        gzipped = file.read(len(GZIP_MAGIC)) == GZIP_MAGIC
    return gzip.open(path, "rb") if gzipped else path.open("rb")  # type: ignore[return-value]


async def backup_postgres(backends: Backends, target: Path) -> int:
    """One line of header, then `["table", {row}]` per row, then the row counts (a file
    cut short lacks them, and is refused)."""
    from scaled.schema import SCHEMA_VERSION

    assert backends.scaled is not None
    counts: dict[str, int] = {}
    with replaced_atomically(target) as partial:
        gzipped = target.name.endswith(".gz")
        with gzip.open(partial, "wb") if gzipped else partial.open("wb") as out:
            out.write(orjson.dumps({"format": FORMAT, "setup": "postgresql",
                                    "schema_version": SCHEMA_VERSION,
                                    "made_at": datetime.now(UTC).isoformat()}) + b"\n")
            async with backends.scaled.store.connection() as conn, conn.transaction(
                    isolation="repeatable_read", readonly=True):
                for table in await store_tables(conn):
                    counts[table] = await dump_table(conn, table, out)
            out.write(orjson.dumps({"end": counts}) + b"\n")
    print(f"backed up {counts['domains']} domains, {counts['documents']} titles, "
          f"{counts['keys']} keys to {target} ({target.stat().st_size} bytes)")
    return 0


async def store_tables(conn: "asyncpg.Connection") -> list[str]:
    """The store's tables, each after those its foreign keys refer to: the order to
    restore them in."""
    references = {name: set(parents) for name, parents in await conn.fetch(POSTGRES_TABLES)}
    ordered = TopologicalSorter(references).static_order()
    return [name for name in ordered if name not in POSTGRES_NOT_COPIED]


async def dump_table(conn: "asyncpg.Connection", table: str, out: IO[bytes]) -> int:
    # PostgreSQL writes each row as JSON itself (timestamps with their zone, doubles
    # exact), and json_populate_recordset reads them back into the same types.
    prefix = orjson.dumps(table)
    count = 0
    async for record in conn.cursor(f"SELECT row_to_json(t)::text FROM {table} t",
                                    prefetch=RESTORE_BATCH):
        out.write(b"[" + prefix + b"," + record[0].encode() + b"]\n")
        count += 1
    return count


def read_postgres_backup(path: Path) -> Iterator[tuple[str, list[bytes]]]:
    """The file's rows, as (table, raw JSON rows) batches; checks header and end."""
    try:
        yield from read_backup_lines(path)
    except (EOFError, gzip.BadGzipFile):
        raise BackupFailed(f"{path} is cut short (its gzip stream ends early): "
                           "not restored") from None


def read_backup_lines(path: Path) -> Iterator[tuple[str, list[bytes]]]:
    from scaled.schema import SCHEMA_VERSION

    if backup_kind(path) != "jsonl":
        raise BackupFailed(f"{path} is a backup of the embedded setup (an SQLite file); "
                           "restore it with DATABASE_URL=sqlite:///path/to/new.db")
    with open_lines(path) as file:
        lines = iter(file)
        header = parse_line(path, next(lines, b""))
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise BackupFailed(f"{path} is not an autocompeter backup")
        if header.get("schema_version") != SCHEMA_VERSION:
            raise BackupFailed(
                f"{path} has schema version {header.get('schema_version')}, this version "
                f"uses {SCHEMA_VERSION}: restore it with the version that made it, then "
                "upgrade (autocompeter migrate)")
        table, batch, ended = "", [], False
        for line in lines:
            if not line.startswith(b"["):
                ended = "end" in parse_line(path, line)
                break
            if not line.endswith(b"]\n"):
                break  # cut short in the middle of a row
            name, row = line[2:].split(b'",', 1)
            if (name.decode() != table or len(batch) >= RESTORE_BATCH) and batch:
                yield table, batch
                batch = []
            table = name.decode()
            batch.append(row.rstrip()[:-1])  # without the closing bracket
        if batch:
            yield table, batch
        if not ended:
            raise BackupFailed(f"{path} is cut short (no end line): not restored")


def parse_line(path: Path, line: bytes) -> object:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        raise BackupFailed(f"{path} is not an autocompeter backup (not JSON Lines)") from None


async def restore_postgres(backends: Backends, backup: Path, force: bool) -> int:
    parts = backends.scaled
    assert parts is not None
    async with parts.store.connection() as conn, conn.transaction():
        if await conn.fetchval("SELECT count(*) FROM domains") and not force:
            raise BackupFailed("the database already holds domains; restore into a new "
                               "database (DATABASE_URL), or add --force to replace "
                               "everything in it")
        tables = await store_tables(conn)
        await conn.execute(f"TRUNCATE {', '.join(tables)}, outbox, search_indexes_building"
                           " RESTART IDENTITY")
        counts: dict[str, int] = {}
        for table, rows in read_postgres_backup(backup):
            if table not in tables:
                raise BackupFailed(f"{backup}: unknown table {table!r}")
            await conn.execute(f"INSERT INTO {table} SELECT * FROM json_populate_recordset("
                               f"NULL::{table}, $1::json)",
                               (b"[" + b",".join(rows) + b"]").decode())
            counts[table] = counts.get(table, 0) + len(rows)
        await continue_sequences(conn)
    print(f"restored {counts.get('domains', 0)} domains, {counts.get('documents', 0)} "
          f"titles, {counts.get('keys', 0)} keys; rebuilding the search index",
          file=sys.stderr)
    return await run_reindex(backends)


async def continue_sequences(conn: "asyncpg.Connection") -> None:
    """New rows take ids, and new writes versions, after the restored ones'."""
    for table, column in await conn.fetch(POSTGRES_SERIALS):
        await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                           f" coalesce(max({column}), 0) + 1, false) FROM {table}")
    await conn.execute("SELECT setval('change_seq', coalesce(max(version), 0) + 1, false)"
                       " FROM documents")
