"""The embedded store: everything in one SQLite file.

The full-text index (FTS5) lives in the same file and is kept in step with the
documents table by triggers, so a document and its index entry are written in
the same transaction.
"""

import sqlite3
from collections.abc import Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from core.sql import (
    ENSURE_DOMAIN,
    SCHEMA_VERSION,
    Row,
    SqlStore,
    Statement,
    check_schema_version,
    shared_tables,
    upgrades,
)
from core.store import Document
from core.text import search_text
from embedded.database import SqliteDatabase
from embedded.engine import MAX_SEQUENCE, rank_key

SCHEMA = """
CREATE TABLE IF NOT EXISTS domains (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- the next sequence number of the domain's rank keys (embedded/engine.py)
    next_sequence INTEGER NOT NULL DEFAULT 0,
    -- bumped by every change to the domain's documents; cached answers check it
    generation INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    grp TEXT NOT NULL DEFAULT '',
    popularity REAL NOT NULL DEFAULT 0,
    -- What the FTS5 index sees; see embedded/engine.py for why.
    search_text TEXT NOT NULL,
    rank_key INTEGER NOT NULL UNIQUE,
    UNIQUE (domain_id, url)
);
CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
    search_text,
    content='documents',
    content_rowid='rank_key',
    tokenize='unicode61 remove_diacritics 2',
    prefix='1 2 3 4 5 6'
);
CREATE VIRTUAL TABLE IF NOT EXISTS documents_vocab USING fts5vocab(documents_fts, 'row');
CREATE TRIGGER IF NOT EXISTS documents_fts_insert AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts(rowid, search_text) VALUES (new.rank_key, new.search_text);
END;
CREATE TRIGGER IF NOT EXISTS documents_fts_delete AFTER DELETE ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, search_text)
        VALUES ('delete', old.rank_key, old.search_text);
END;
CREATE TRIGGER IF NOT EXISTS documents_fts_update AFTER UPDATE ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, search_text)
        VALUES ('delete', old.rank_key, old.search_text);
    INSERT INTO documents_fts(rowid, search_text) VALUES (new.rank_key, new.search_text);
END;
""" + shared_tables(
    serial="INTEGER", id="INTEGER", timestamp="TEXT", counter="INTEGER", day="TEXT",
    without_rowid=" WITHOUT ROWID",
)

UPSERT = """
INSERT INTO documents (domain_id, url, title, grp, popularity, search_text, rank_key)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (domain_id, url) DO UPDATE SET
    title = excluded.title, grp = excluded.grp, popularity = excluded.popularity,
    search_text = excluded.search_text, rank_key = excluded.rank_key
"""


def _domain_id(conn: sqlite3.Connection, domain: str) -> int | None:
    row = conn.execute("SELECT id FROM domains WHERE name = ?", (domain,)).fetchone()
    return row[0] if row else None


def _ensure_domain(conn: sqlite3.Connection, domain: str) -> int:
    conn.execute(ENSURE_DOMAIN, (domain,))
    domain_id = _domain_id(conn, domain)
    assert domain_id is not None
    return domain_id


def _changed(conn: sqlite3.Connection, domain_id: int | None) -> None:
    conn.execute("UPDATE domains SET generation = generation + 1 WHERE id = ?", (domain_id,))


def _take_sequence(conn: sqlite3.Connection, domain_id: int, count: int) -> int:
    """Reserve ``count`` sequence numbers of the domain's rank keys; returns the first."""
    (first,) = conn.execute(
        "SELECT next_sequence FROM domains WHERE id = ?", (domain_id,)
    ).fetchone()
    if first + count > MAX_SEQUENCE:
        first = _renumber(conn, domain_id)
    conn.execute(
        "UPDATE domains SET next_sequence = ? WHERE id = ?", (first + count, domain_id)
    )
    return first


def _renumber(conn: sqlite3.Connection, domain_id: int) -> int:
    """Give the domain's documents sequence numbers 0..n-1 again, keeping their order.

    Rank keys only have room for MAX_SEQUENCE writes per domain; this runs once
    each time a domain has used them all up. Returns the next free number.
    """
    rows = conn.execute(
        "SELECT id, popularity FROM documents WHERE domain_id = ? ORDER BY rank_key",
        (domain_id,),
    ).fetchall()
    # Move every key out of the way first: the UNIQUE index checks each row.
    conn.execute("UPDATE documents SET rank_key = -rank_key - 1 WHERE domain_id = ?",
                 (domain_id,))
    conn.executemany(
        "UPDATE documents SET rank_key = ? WHERE id = ?",
        ((rank_key(domain_id, popularity, n), doc_id) for n, (doc_id, popularity) in
         enumerate(rows)),
    )
    return len(rows)


class SqliteStore(SqlStore):
    def __init__(self, db: SqliteDatabase) -> None:
        super().__init__()
        self.db = db

    async def _fetch(self, sql: str, *args: Any) -> list[Row]:
        params = _params(args)
        return await self.db.read(lambda conn: conn.execute(sql, params).fetchall())

    async def _execute(self, *statements: Statement) -> list[int]:
        def run(conn: sqlite3.Connection) -> list[int]:
            return [conn.execute(sql, _params(args)).rowcount for sql, args in statements]

        return await self.db.write(run)

    async def _execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self.db.write(lambda conn: conn.executemany(sql, map(_params, rows)))

    async def migrate(self) -> None:
        def version(conn: sqlite3.Connection) -> int | None:
            (number,) = conn.execute("PRAGMA user_version").fetchone()
            tables = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'documents'")
            return number if tables.fetchone() else None

        found = await self.db.read(version)
        check_schema_version(found, SCHEMA_VERSION, str(self.db.path))
        steps = "".join(f"{step};\n" for step in upgrades(found, timestamp="TEXT"))
        await self.db.script(f"{steps}{SCHEMA}\nPRAGMA user_version = {SCHEMA_VERSION};")

    async def close(self) -> None:
        self.db.close()

    async def upsert(self, domain: str, documents: Sequence[Document]) -> int:
        def insert(conn: sqlite3.Connection) -> int:
            domain_id = _ensure_domain(conn, domain)
            first = _take_sequence(conn, domain_id, len(documents))
            rows = [
                (domain_id, d.url, d.title, d.group, d.popularity, search_text(d.title),
                 rank_key(domain_id, d.popularity, first + offset))
                for offset, d in enumerate(documents)
            ]
            # In rank-key order the index and FTS5 pages fill one after another.
            rows.sort(key=itemgetter(6))
            conn.executemany(UPSERT, rows)
            _changed(conn, domain_id)
            return len(documents)

        return await self.db.write(insert)

    async def delete(self, domain: str, url: str) -> bool:
        def remove(conn: sqlite3.Connection) -> bool:
            domain_id = _domain_id(conn, domain)
            cursor = conn.execute(
                "DELETE FROM documents WHERE url = ? AND domain_id = ?", (url, domain_id)
            )
            _changed(conn, domain_id)
            return cursor.rowcount > 0

        return await self.db.write(remove)

    async def flush(self, domain: str) -> int:
        def remove_all(conn: sqlite3.Connection) -> int:
            domain_id = _domain_id(conn, domain)
            cursor = conn.execute("DELETE FROM documents WHERE domain_id = ?", (domain_id,))
            _changed(conn, domain_id)
            return cursor.rowcount

        return await self.db.write(remove_all)


def _params(args: Sequence[Any]) -> tuple[Any, ...]:
    """Dates and times as the ISO text SQLite keeps them as (its default adapters are
    deprecated); `core.sql.as_datetime` reads them back."""
    return tuple(value.isoformat() if isinstance(value, date) else value for value in args)
