"""The embedded store: everything in one SQLite file.

The full-text index (FTS5) lives in the same file and is kept in step with the
documents table by triggers, so a document and its index entry are written in
the same transaction.
"""

import sqlite3
from collections.abc import Sequence
from datetime import date
from typing import Any

from core.sql import Row, SqlStore, Statement
from core.sql_schema import (
    ADD_CLICK_COLUMNS,
    ADD_KEY_LAST_USED,
    NEW_TABLES_ONLY,
    migrations,
    shared_tables,
    token_tables,
)
from core.sql_statements import CHANGED_CLICKS, ENSURE_DOMAIN
from core.store import Document, last_wins
from core.text import search_text
from embedded.database import SqliteDatabase
from embedded.domain_words import FILL_FROM_INDEX, FLUSH_WORDS, REPLACED, WordChanges
from embedded.rank_keys import MAX_SEQUENCE, SEQUENCE_BITS, rank_key

SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1
"""The order-of-writing part of a rank key, which a new ranking value keeps."""

# Bumped with every change to the tables below; files of another version are
# refused rather than half-understood.
SCHEMA_VERSION = 8
DOMAIN_WORDS = """
-- Each domain's distinct words as FTS5 indexes them, per group, and how many of its
-- titles have each; every write of titles keeps it (embedded/domain_words.py).
CREATE TABLE IF NOT EXISTS domain_words (
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    grp TEXT NOT NULL,
    word TEXT NOT NULL,
    titles INTEGER NOT NULL,
    PRIMARY KEY (domain_id, grp, word)
) WITHOUT ROWID;
"""
MIGRATIONS = {
    # 1 -> 2: the FTS5 index is written by the store's own statements, a whole
    # write at once, instead of by a trigger per row (four times faster).
    1: """
    DROP TRIGGER IF EXISTS documents_fts_insert;
    DROP TRIGGER IF EXISTS documents_fts_delete;
    DROP TRIGGER IF EXISTS documents_fts_update;
    """,
    # 2 -> 3: when each key was last used, for `autocompeter keys list`.
    2: ADD_KEY_LAST_USED.format(timestamp="TEXT"),
    # 3 -> 4: private groups and the token secret (README "Private groups").
    3: token_tables(id="INTEGER", timestamp="TEXT", without_rowid=" WITHOUT ROWID"),
    # 4 -> 5: the ranking value the engine orders by (popularity plus a click
    # bonus) and the window's clicks it was computed from; click_counts and
    # clicks_seen are new tables, made by SCHEMA.
    4: ADD_CLICK_COLUMNS.format(real="REAL", counter="INTEGER"),
    # 5 -> 6: titles' joined words ("Node.js" -> "nodejs") join their search text
    # (`core.text.search_text`, which every connection knows as the SQL function
    # autocompeter_search_text); FTS5 is made again from it; cached answers go.
    5: """
    UPDATE documents SET search_text = autocompeter_search_text(title);
    INSERT INTO documents_fts(documents_fts) VALUES ('rebuild');
    UPDATE domains SET generation = generation + 1;
    """,
    # 6 -> 7: domain_rules, the owner's synonyms and suggestion controls.
    6: NEW_TABLES_ONLY,
    # 7 -> 8: domain_words, each domain's words, made from the FTS5 index (the
    # fts5vocab table over all of it is no longer read).
    7: (DOMAIN_WORDS + "DELETE FROM domain_words;" + FILL_FROM_INDEX
        + "DROP TABLE IF EXISTS documents_vocab;"),
}

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
    -- What the engine orders by (the rank key's popularity part): popularity
    -- plus the bonus of `clicks`, the title's clicks in the window (ranking_value).
    ranking REAL NOT NULL DEFAULT 0,
    clicks INTEGER NOT NULL DEFAULT 0,
    UNIQUE (domain_id, url)
);
CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
    search_text,
    content='documents',
    content_rowid='rank_key',
    tokenize='unicode61 remove_diacritics 2',
    prefix='1 2 3 4 5 6'
);
""" + DOMAIN_WORDS + shared_tables(
    serial="INTEGER", id="INTEGER", timestamp="TEXT", counter="INTEGER", day="TEXT",
    without_rowid=" WITHOUT ROWID",
)

# A write goes through `incoming` (a temporary table of the writer's connection),
# so that the index entries it replaces and the ones it adds are each written in
# one statement: FTS5 takes a whole batch far faster than a row at a time.
INCOMING = """
CREATE TEMP TABLE IF NOT EXISTS incoming (
    url TEXT PRIMARY KEY, title TEXT, grp TEXT, popularity REAL, search_text TEXT,
    rank_key INTEGER, ranking REAL
)
"""
UNINDEX = """
INSERT INTO documents_fts(documents_fts, rowid, search_text)
SELECT 'delete', d.rank_key, d.search_text FROM documents d
"""
UPSERT = """
INSERT INTO documents (domain_id, url, title, grp, popularity, search_text, rank_key, ranking)
SELECT ?, url, title, grp, popularity, search_text, rank_key, ranking FROM incoming
WHERE true ORDER BY rank_key
ON CONFLICT (domain_id, url) DO UPDATE SET
    title = excluded.title, grp = excluded.grp, popularity = excluded.popularity,
    search_text = excluded.search_text, rank_key = excluded.rank_key,
    ranking = excluded.ranking
"""
# Titles sent again keep their clicks: their ranking value is made from them.
INCOMING_CLICKED = """
SELECT i.url, i.popularity, i.rank_key, d.clicks FROM incoming i
JOIN documents d ON d.domain_id = ? AND d.url = i.url WHERE d.clicks > 0
"""
INDEX_INCOMING = """
INSERT INTO documents_fts(rowid, search_text)
SELECT rank_key, search_text FROM incoming ORDER BY rank_key
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
        "SELECT id, ranking FROM documents WHERE domain_id = ? ORDER BY rank_key",
        (domain_id,),
    ).fetchall()
    conn.execute(UNINDEX + " WHERE d.domain_id = ?", (domain_id,))
    # Move every key out of the way first: the UNIQUE index checks each row.
    conn.execute("UPDATE documents SET rank_key = -rank_key - 1 WHERE domain_id = ?",
                 (domain_id,))
    conn.executemany(
        "UPDATE documents SET rank_key = ? WHERE id = ?",
        ((rank_key(domain_id, ranking, n), doc_id) for n, (doc_id, ranking) in
         enumerate(rows)),
    )
    conn.execute("INSERT INTO documents_fts(rowid, search_text)"
                 " SELECT rank_key, search_text FROM documents WHERE domain_id = ?", (domain_id,))
    return len(rows)


class SqliteStore(SqlStore):
    def __init__(self, db: SqliteDatabase, **click_ranking: float) -> None:
        """``click_ranking``: `SqlStore`'s click_boost and click_half."""
        super().__init__(**click_ranking)
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

    async def _take(self, sql: str, *args: Any) -> list[Row]:
        params = _params(args)
        return await self.db.write(lambda conn: conn.execute(sql, params).fetchall())

    async def _execute_batches(self, *batches: tuple[str, Sequence[Sequence[Any]]]) -> None:
        # One write transaction (BEGIN IMMEDIATE): no other writer runs beside it.
        def run(conn: sqlite3.Connection) -> None:
            for sql, rows in batches:
                conn.executemany(sql, map(_params, rows))

        await self.db.write(run)

    async def migrate(self) -> None:
        def version(conn: sqlite3.Connection) -> int | None:
            (number,) = conn.execute("PRAGMA user_version").fetchone()
            tables = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'documents'")
            return number if tables.fetchone() else None

        steps = migrations(await self.db.read(version), SCHEMA_VERSION, MIGRATIONS,
                           str(self.db.path))
        version_line = f"PRAGMA user_version = {SCHEMA_VERSION};"
        await self.db.script("\n".join([*steps, SCHEMA, version_line]))

    async def close(self) -> None:
        self.db.close()

    def _access_changed(self, domain: str) -> list[Statement]:
        # Every worker checks the generation before it trusts a cached answer or a
        # cached set of private groups (app/http/access.py): bumping it reaches them all.
        return [("UPDATE domains SET generation = generation + 1 WHERE name = ?", (domain,))]

    async def upsert(self, domain: str, documents: Sequence[Document]) -> int:
        unique = last_wins(documents)

        def insert(conn: sqlite3.Connection) -> int:
            domain_id = _ensure_domain(conn, domain)
            first = _take_sequence(conn, domain_id, len(unique))
            texts = [search_text(d.title) for d in unique]
            conn.execute(INCOMING)
            conn.executemany("INSERT INTO incoming VALUES (?, ?, ?, ?, ?, ?, ?)", [
                (d.url, d.title, d.group, d.popularity, text,
                 rank_key(domain_id, d.popularity, first + offset), d.popularity)
                for offset, (d, text) in enumerate(zip(unique, texts, strict=True))
            ])
            words = WordChanges(domain_id)
            words.remove(conn.execute(REPLACED, (domain_id,)))
            words.add((d.group, text) for d, text in zip(unique, texts, strict=True))
            words.write(conn)
            clicked = conn.execute(INCOMING_CLICKED, (domain_id,)).fetchall()
            conn.executemany("UPDATE incoming SET ranking = ?, rank_key = ? WHERE url = ?", [
                (*self._ranked(domain_id, self.ranking_value(popularity, clicks), key), url)
                for url, popularity, key, clicks in clicked
            ])
            conn.execute(UNINDEX + " JOIN incoming i ON i.url = d.url WHERE d.domain_id = ?",
                         (domain_id,))
            conn.execute(UPSERT, (domain_id,))
            conn.execute(INDEX_INCOMING)
            conn.execute("DELETE FROM incoming")
            _changed(conn, domain_id)
            return len(documents)

        return await self.db.write(insert)

    @staticmethod
    def _ranked(domain_id: int, value: float, key: int) -> tuple[float, int]:
        """A ranking value and the rank key that orders by it, in the same place
        among equals (the key's order of writing is kept)."""
        return value, rank_key(domain_id, value, key & SEQUENCE_MASK)

    async def refresh_click_ranking(self, since: date, everything: bool = False) -> int:
        def update(conn: sqlite3.Connection) -> int:
            # Read and written in one transaction: no write in between is undone.
            rows = conn.execute(CHANGED_CLICKS.format(columns=", d.rank_key"),
                                _params((since, everything, since))).fetchall()
            changed = self.changed_rankings(rows)
            moved = [(row, value) for row, value in changed if value != row[4]]
            conn.executemany(UNINDEX + " WHERE d.id = ?", [(row[0],) for row, _v in moved])
            conn.executemany("UPDATE documents SET clicks = ?, ranking = ?, rank_key = ?"
                             " WHERE id = ?", [
                (row[6], *self._ranked(row[1], value, row[7]), row[0])
                for row, value in changed
            ])
            conn.executemany("INSERT INTO documents_fts(rowid, search_text)"
                             " SELECT rank_key, search_text FROM documents WHERE id = ?",
                             [(row[0],) for row, _v in moved])
            for domain_id in {row[1] for row, _value in moved}:
                _changed(conn, domain_id)
            return len(moved)

        return await self.db.write(update)

    async def delete(self, domain: str, url: str) -> bool:
        def remove(conn: sqlite3.Connection) -> bool:
            domain_id = _domain_id(conn, domain)
            if domain_id is None:
                return False
            words = WordChanges(domain_id)
            words.remove(conn.execute("SELECT grp, search_text FROM documents"
                                      " WHERE url = ? AND domain_id = ?", (url, domain_id)))
            words.write(conn)
            conn.execute(UNINDEX + " WHERE d.url = ? AND d.domain_id = ?", (url, domain_id))
            cursor = conn.execute(
                "DELETE FROM documents WHERE url = ? AND domain_id = ?", (url, domain_id)
            )
            if cursor.rowcount == 0:
                return False  # nothing changed: keep the domain's cached answers
            _changed(conn, domain_id)
            return True

        return await self.db.write(remove, frees_space=True)

    async def flush(self, domain: str) -> int:
        def remove_all(conn: sqlite3.Connection) -> int:
            domain_id = _domain_id(conn, domain)
            conn.execute(FLUSH_WORDS, (domain_id,))
            conn.execute(UNINDEX + " WHERE d.domain_id = ?", (domain_id,))
            cursor = conn.execute("DELETE FROM documents WHERE domain_id = ?", (domain_id,))
            if cursor.rowcount:
                _changed(conn, domain_id)
            return cursor.rowcount

        return await self.db.write(remove_all, frees_space=True)


def _params(args: Sequence[Any]) -> tuple[Any, ...]:
    """Dates and times as the ISO text SQLite keeps them as (its default adapters are
    deprecated); `core.sql.as_datetime` reads them back."""
    return tuple(value.isoformat() if isinstance(value, date) else value for value in args)
