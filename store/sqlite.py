"""The embedded store: everything in one SQLite file.

The full-text index (FTS5) lives in the same file and is kept in step with the
documents table by triggers, so a document and its index entry are written in
the same transaction.
"""

import hmac
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter

from indexer.sqlite_fts import MAX_SEQUENCE, rank_key
from indexer.text import search_text
from store.base import Document, FetchCounts, IncompatibleStore, KeyInfo, QueryCounts, TopQueries
from store.keys import hash_key, key_prefix, new_key
from store.sqlite_db import SqliteDatabase

# Bumped with every change to the tables below; files of another version are
# refused rather than half-understood.
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS domains (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- the next sequence number of the domain's rank keys (indexer/sqlite_fts.py)
    next_sequence INTEGER NOT NULL DEFAULT 0,
    -- bumped by every change to the domain's documents; cached answers check it
    generation INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS keys (
    id INTEGER PRIMARY KEY,
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    grp TEXT NOT NULL DEFAULT '',
    popularity REAL NOT NULL DEFAULT 0,
    -- What the FTS5 index sees; see indexer/sqlite_fts.py for why.
    search_text TEXT NOT NULL,
    rank_key INTEGER NOT NULL UNIQUE,
    UNIQUE (domain_id, url)
);
CREATE TABLE IF NOT EXISTS fetches (
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (domain_id, year, month)
);
-- Searches per domain, UTC day and folded query text, for the top queries and
-- misses in /v1/stats; app/counters.py deletes days past the retention.
CREATE TABLE IF NOT EXISTS query_counts (
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    day TEXT NOT NULL,
    query TEXT NOT NULL,
    searches INTEGER NOT NULL,
    misses INTEGER NOT NULL,
    PRIMARY KEY (domain_id, day, query)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS query_counts_by_day ON query_counts (day);
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
"""

UPSERT = """
INSERT INTO documents (domain_id, url, title, grp, popularity, search_text, rank_key)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (domain_id, url) DO UPDATE SET
    title = excluded.title, grp = excluded.grp, popularity = excluded.popularity,
    search_text = excluded.search_text, rank_key = excluded.rank_key
"""

PAGE_SIZE = 1000

TOP_QUERIES = """
SELECT query, sum({column}) AS n FROM query_counts
WHERE domain_id = (SELECT id FROM domains WHERE name = ?) AND day >= ?
GROUP BY query HAVING n > 0 ORDER BY n DESC, query LIMIT ?
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _domain_id(conn: sqlite3.Connection, domain: str) -> int | None:
    row = conn.execute("SELECT id FROM domains WHERE name = ?", (domain,)).fetchone()
    return row[0] if row else None


def _ensure_domain(conn: sqlite3.Connection, domain: str) -> int:
    conn.execute("INSERT OR IGNORE INTO domains (name) VALUES (?)", (domain,))
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


class SqliteStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def migrate(self) -> None:
        def version(conn: sqlite3.Connection) -> tuple[int, bool]:
            (number,) = conn.execute("PRAGMA user_version").fetchone()
            tables = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'documents'")
            return number, tables.fetchone() is not None

        number, has_tables = await self.db.read(version)
        if has_tables and number != SCHEMA_VERSION:
            raise IncompatibleStore(
                f"{self.db.path} has schema version {number}, this version uses "
                f"{SCHEMA_VERSION}: export its domains with the version that made it "
                "(autocompeter export), then load them into a new file"
            )
        await self.db.script(f"{SCHEMA}\nPRAGMA user_version = {SCHEMA_VERSION};")

    async def close(self) -> None:
        self.db.close()

    async def ping(self) -> bool:
        return await self.db.read(lambda conn: conn.execute("SELECT 1").fetchone() == (1,))

    async def create_key(self, domain: str, note: str = "") -> str:
        key = new_key()

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO keys (domain_id, key_hash, prefix, note, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (_ensure_domain(conn, domain), hash_key(key), key_prefix(key), note, _now()),
            )

        await self.db.write(insert)
        return key

    async def domain_for_key(self, key: str) -> str | None:
        wanted = hash_key(key)

        def find(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT k.key_hash, d.name FROM keys k JOIN domains d ON d.id = k.domain_id"
                " WHERE k.key_hash = ? AND k.revoked_at IS NULL",
                (wanted,),
            ).fetchone()
            if row and hmac.compare_digest(row[0], wanted):
                return row[1]
            return None

        return await self.db.read(find)

    async def list_keys(self) -> list[KeyInfo]:
        def select(conn: sqlite3.Connection) -> list[KeyInfo]:
            rows = conn.execute(
                "SELECT k.id, d.name, k.prefix, k.note, k.created_at, k.revoked_at"
                " FROM keys k JOIN domains d ON d.id = k.domain_id ORDER BY d.name, k.id"
            )
            return [
                KeyInfo(
                    key_id, domain, prefix, note,
                    datetime.fromisoformat(created),
                    datetime.fromisoformat(revoked) if revoked else None,
                )
                for key_id, domain, prefix, note, created, revoked in rows
            ]

        return await self.db.read(select)

    async def revoke_key(self, key: str) -> bool:
        def revoke(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE keys SET revoked_at = ? WHERE key_hash = ? AND revoked_at IS NULL",
                (_now(), hash_key(key)),
            )
            return cursor.rowcount == 1

        return await self.db.write(revoke)

    async def revoke_key_by_id(self, key_id: int) -> bool:
        def revoke(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (_now(), key_id),
            )
            return cursor.rowcount == 1

        return await self.db.write(revoke)

    async def domain_exists(self, domain: str) -> bool:
        return await self.db.read(lambda conn: _domain_id(conn, domain) is not None)

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

    async def count(self, domain: str) -> int:
        def select(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "SELECT count(*) FROM documents"
                " WHERE domain_id = (SELECT id FROM domains WHERE name = ?)",
                (domain,),
            ).fetchone()
            return row[0]

        return await self.db.read(select)

    async def count_all(self) -> int:
        return await self.db.read(
            lambda conn: conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        )

    async def documents(self, domain: str) -> AsyncIterator[Document]:
        # In pages by id, so exporting a large domain never holds all of it.
        def select(conn: sqlite3.Connection, after: int) -> list[tuple[int, Document]]:
            rows = conn.execute(
                "SELECT id, url, title, grp, popularity FROM documents"
                " WHERE domain_id = (SELECT id FROM domains WHERE name = ?) AND id > ?"
                " ORDER BY id LIMIT ?",
                (domain, after, PAGE_SIZE),
            )
            return [(row[0], Document(*row[1:])) for row in rows]

        last = 0
        while True:
            page = await self.db.read(lambda conn, after=last: select(conn, after))
            for _id, document in page:
                yield document
            if len(page) < PAGE_SIZE:
                return
            last = page[-1][0]

    async def add_fetches(self, counts: FetchCounts) -> None:
        def add(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO fetches (domain_id, year, month, count)"
                " SELECT id, ?, ?, ? FROM domains WHERE name = ?"
                " ON CONFLICT (domain_id, year, month) DO UPDATE"
                " SET count = count + excluded.count",
                ((year, month, n, domain) for (domain, year, month), n in counts.items()),
            )

        await self.db.write(add)

    async def fetches(self, domain: str) -> dict[str, dict[str, int]]:
        def select(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
            rows = conn.execute(
                "SELECT year, month, count FROM fetches"
                " WHERE domain_id = (SELECT id FROM domains WHERE name = ?)"
                " ORDER BY year, month",
                (domain,),
            )
            result: dict[str, dict[str, int]] = {}
            for year, month, count in rows:
                result.setdefault(str(year), {})[str(month)] = count
            return result

        return await self.db.read(select)

    async def add_queries(self, counts: QueryCounts) -> None:
        def add(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO query_counts (domain_id, day, query, searches, misses)"
                " SELECT id, ?, ?, ?, ? FROM domains WHERE name = ?"
                " ON CONFLICT (domain_id, day, query) DO UPDATE"
                " SET searches = searches + excluded.searches,"
                " misses = misses + excluded.misses",
                ((day.isoformat(), query, searches, misses, domain)
                 for (domain, day, query), (searches, misses) in counts.items()),
            )

        await self.db.write(add)

    async def prune_queries(self, before: date) -> int:
        def prune(conn: sqlite3.Connection) -> int:
            cursor = conn.execute("DELETE FROM query_counts WHERE day < ?",
                                  (before.isoformat(),))
            return cursor.rowcount

        return await self.db.write(prune)

    async def top_queries(self, domain: str, since: date, limit: int) -> TopQueries:
        def select(conn: sqlite3.Connection) -> TopQueries:
            def top(column: str) -> list[tuple[str, int]]:
                rows = conn.execute(TOP_QUERIES.format(column=column),
                                    (domain, since.isoformat(), limit))
                return [(query, n) for query, n in rows]

            return TopQueries(queries=top("searches"), misses=top("misses"))

        return await self.db.read(select)
