"""The scaled-out store: PostgreSQL through an asyncpg pool.

Same tables and behaviour as `store.sqlite`, plus the `outbox`: every write
(upsert, delete, flush) adds one outbox row per touched document in the same
transaction as the document rows, so a write that was acknowledged always
reaches the search engine eventually (see `indexer.sync`).

Versions: every document write and every delete takes a number from the
`change_seq` sequence. The engine indexes with these as external versions, so
batches that reach it out of order (several sync workers, a reindex running
alongside) can never replace a newer title by an older one.
"""

import asyncio
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import asyncpg

from indexer.text import search_text
from store.base import (
    Document,
    FetchCounts,
    KeyInfo,
    QueryCounts,
    StoreUnavailable,
    TopQueries,
)
from store.keys import hash_key, key_prefix, new_key

T = TypeVar("T")

NOTIFY_CHANNEL = "autocompeter_outbox"
# Any constant works: it only has to be the same in every process that migrates.
MIGRATION_LOCK = 0x6175746F  # "auto"
PAGE_SIZE = 1000

SCHEMA = """
CREATE TABLE IF NOT EXISTS domains (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS keys (
    id BIGSERIAL PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains(id),
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at TIMESTAMPTZ
);
CREATE SEQUENCE IF NOT EXISTS change_seq;
CREATE TABLE IF NOT EXISTS documents (
    id BIGSERIAL PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains(id),
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    grp TEXT NOT NULL DEFAULT '',
    popularity DOUBLE PRECISION NOT NULL DEFAULT 0,
    search_text TEXT NOT NULL,
    version BIGINT NOT NULL,
    UNIQUE (domain_id, url)
);
CREATE INDEX IF NOT EXISTS documents_by_popularity
    ON documents (domain_id, popularity DESC);
CREATE TABLE IF NOT EXISTS fetches (
    domain_id BIGINT NOT NULL REFERENCES domains(id),
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (domain_id, year, month)
);
-- Searches per domain, UTC day and folded query text, for the top queries and
-- misses in /v1/stats; app/counters.py deletes days past the retention.
CREATE TABLE IF NOT EXISTS query_counts (
    domain_id BIGINT NOT NULL REFERENCES domains(id),
    day DATE NOT NULL,
    query TEXT NOT NULL,
    searches BIGINT NOT NULL,
    misses BIGINT NOT NULL,
    PRIMARY KEY (domain_id, day, query)
);
CREATE INDEX IF NOT EXISTS query_counts_by_day ON query_counts (day);
-- One row per document change still to be sent to the search engine.
CREATE TABLE IF NOT EXISTS outbox (
    id BIGSERIAL PRIMARY KEY,
    domain TEXT NOT NULL,
    url TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Indexes that `autocompeter reindex` is building: sync workers write to them
-- as well as to the alias, so no change made during a reindex is missed.
CREATE TABLE IF NOT EXISTS search_indexes_building (
    name TEXT PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""

# Rows keep the order they were sent in (WITH ORDINALITY), so ids are given
# out in that order, as SQLite's executemany does.
UPSERT = """
WITH input AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::text[])
        WITH ORDINALITY AS t(url, title, grp, popularity, search_text, n)
), upserted AS (
    INSERT INTO documents (domain_id, url, title, grp, popularity, search_text, version)
    SELECT $1, url, title, grp, popularity, search_text, nextval('change_seq')
    FROM input ORDER BY n
    ON CONFLICT (domain_id, url) DO UPDATE SET
        title = excluded.title, grp = excluded.grp, popularity = excluded.popularity,
        search_text = excluded.search_text, version = excluded.version
    RETURNING url, version
)
INSERT INTO outbox (domain, url, version) SELECT $7, url, version FROM upserted
"""

DELETE = """
WITH gone AS (
    DELETE FROM documents WHERE url = $2
        AND domain_id = (SELECT id FROM domains WHERE name = $1)
    RETURNING url
)
INSERT INTO outbox (domain, url, version) SELECT $1, url, nextval('change_seq') FROM gone
"""

FLUSH = """
WITH gone AS (
    DELETE FROM documents WHERE domain_id = (SELECT id FROM domains WHERE name = $1)
    RETURNING url
)
INSERT INTO outbox (domain, url, version) SELECT $1, url, nextval('change_seq') FROM gone
"""

TOP_QUERIES = """
SELECT query, sum({column})::bigint AS n FROM query_counts
WHERE domain_id = (SELECT id FROM domains WHERE name = $1) AND day >= $2
GROUP BY query HAVING sum({column}) > 0 ORDER BY n DESC, query LIMIT $3
"""

# What cannot be fixed by the client: the server is away, restarting or full.
UNAVAILABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,  # shutting down, starting up
    asyncpg.TooManyConnectionsError,
    # A connection that lost its server half-way through an operation is left
    # in a state asyncpg reports with these; the pool replaces it afterwards.
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)
# Two bulk writes to the same URLs in different orders can deadlock; PostgreSQL
# aborts one of them, which is then safe to run again.
RETRYABLE = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
WRITE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class IndexedDocument:
    """A document as the search engine sees it: with its ids and version."""

    doc_id: int
    domain: str
    url: str
    title: str
    group: str
    popularity: float
    version: int


def _rows_changed(status: str) -> int:
    """'INSERT 0 3' / 'DELETE 2' / 'UPDATE 1' -> the number at the end."""
    return int(status.rsplit(" ", 1)[-1])


def _last_wins(documents: Sequence[Document]) -> list[Document]:
    # One statement may not update a row twice, so keep the last title sent
    # for a URL, at the place the URL first appeared (like SQLite's rowid).
    by_url: dict[str, Document] = {}
    for document in documents:
        by_url[document.url] = document
    return list(by_url.values())


class PostgresStore:
    def __init__(self, dsn: str, pool_size: int = 10, timeout: float = 5.0) -> None:
        self.dsn = dsn
        self.pool_size = pool_size
        self.timeout = timeout
        self._pool: asyncpg.Pool | None = None
        self._pool_lock = asyncio.Lock()

    async def pool(self) -> asyncpg.Pool:
        """The pool, made on first use so a server that is down at start-up is
        retried by the next request instead of stopping the service."""
        if self._pool is None:
            async with self._pool_lock:
                if self._pool is None:
                    try:
                        self._pool = await asyncpg.create_pool(
                            self.dsn, min_size=1, max_size=self.pool_size,
                            timeout=self.timeout, command_timeout=self.timeout * 6,
                        )
                    except UNAVAILABLE as error:
                        raise StoreUnavailable(f"PostgreSQL: {error}") from error
        return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        pool = await self.pool()
        try:
            async with pool.acquire(timeout=self.timeout) as conn:
                yield conn
        except UNAVAILABLE as error:
            raise StoreUnavailable(f"PostgreSQL: {error}") from error

    async def _run(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        async with self.connection() as conn:
            return await work(conn)

    async def _write(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run ``work`` in one transaction; announce new outbox rows on commit."""
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                async with self.connection() as conn, conn.transaction():
                    result = await work(conn)
                    # Delivered at commit, and only if it commits: wakes the sync workers.
                    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
                    return result
            except RETRYABLE:
                if attempt == WRITE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    async def migrate(self) -> None:
        async def create(conn: asyncpg.Connection) -> None:
            async with conn.transaction():
                # Several workers start at once; DDL of the same table must not race.
                await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                await conn.execute(SCHEMA)

        await self._run(create)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def ping(self) -> bool:
        return await self._run(lambda conn: conn.fetchval("SELECT 1")) == 1

    async def _ensure_domain(self, conn: asyncpg.Connection, domain: str) -> int:
        await conn.execute(
            "INSERT INTO domains (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", domain
        )
        return await conn.fetchval("SELECT id FROM domains WHERE name = $1", domain)

    async def create_key(self, domain: str, note: str = "") -> str:
        key = new_key()

        async def insert(conn: asyncpg.Connection) -> None:
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO keys (domain_id, key_hash, prefix, note) VALUES ($1, $2, $3, $4)",
                    await self._ensure_domain(conn, domain), hash_key(key), key_prefix(key), note,
                )

        await self._run(insert)
        return key

    async def domain_for_key(self, key: str) -> str | None:
        wanted = hash_key(key)
        row = await self._run(lambda conn: conn.fetchrow(
            "SELECT k.key_hash, d.name FROM keys k JOIN domains d ON d.id = k.domain_id"
            " WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
            wanted,
        ))
        if row and hmac.compare_digest(row["key_hash"], wanted):
            return row["name"]
        return None

    async def list_keys(self) -> list[KeyInfo]:
        rows = await self._run(lambda conn: conn.fetch(
            "SELECT k.id, d.name, k.prefix, k.note, k.created_at, k.revoked_at"
            " FROM keys k JOIN domains d ON d.id = k.domain_id ORDER BY d.name, k.id"
        ))
        return [KeyInfo(*row) for row in rows]

    async def revoke_key(self, key: str) -> bool:
        status = await self._run(lambda conn: conn.execute(
            "UPDATE keys SET revoked_at = now() WHERE key_hash = $1 AND revoked_at IS NULL",
            hash_key(key),
        ))
        return _rows_changed(status) == 1

    async def revoke_key_by_id(self, key_id: int) -> bool:
        status = await self._run(lambda conn: conn.execute(
            "UPDATE keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", key_id
        ))
        return _rows_changed(status) == 1

    async def domain_exists(self, domain: str) -> bool:
        found = await self._run(lambda conn: conn.fetchval(
            "SELECT 1 FROM domains WHERE name = $1", domain
        ))
        return found is not None

    async def upsert(self, domain: str, documents: Sequence[Document]) -> int:
        unique = _last_wins(documents)

        async def insert(conn: asyncpg.Connection) -> int:
            domain_id = await self._ensure_domain(conn, domain)
            await conn.execute(
                UPSERT, domain_id,
                [d.url for d in unique], [d.title for d in unique], [d.group for d in unique],
                [d.popularity for d in unique], [search_text(d.title) for d in unique],
                domain,
            )
            return len(documents)

        return await self._write(insert)

    async def delete(self, domain: str, url: str) -> bool:
        status = await self._write(lambda conn: conn.execute(DELETE, domain, url))
        return _rows_changed(status) > 0

    async def flush(self, domain: str) -> int:
        return _rows_changed(await self._write(lambda conn: conn.execute(FLUSH, domain)))

    async def count(self, domain: str) -> int:
        return await self._run(lambda conn: conn.fetchval(
            "SELECT count(*) FROM documents"
            " WHERE domain_id = (SELECT id FROM domains WHERE name = $1)",
            domain,
        ))

    async def count_all(self) -> int:
        return await self._run(lambda conn: conn.fetchval("SELECT count(*) FROM documents"))

    async def _pages(self, sql: str, *args: object,
                     page_size: int = PAGE_SIZE) -> AsyncIterator[list[asyncpg.Record]]:
        """The rows of ``sql`` in pages by ascending id; its last two parameters are the
        last id seen and the page size. Pages rather than one cursor, so no transaction
        stays open while the caller works through a large result."""
        last = 0
        while True:
            rows = await self._run(
                lambda conn, after=last: conn.fetch(sql, *args, after, page_size)
            )
            if rows:
                yield rows
            if len(rows) < page_size:
                return
            last = rows[-1]["id"]

    async def documents(self, domain: str) -> AsyncIterator[Document]:
        async for rows in self._pages(
            "SELECT id, url, title, grp, popularity FROM documents"
            " WHERE domain_id = (SELECT id FROM domains WHERE name = $1) AND id > $2"
            " ORDER BY id LIMIT $3",
            domain,
        ):
            for row in rows:
                yield Document(row["url"], row["title"], row["grp"], row["popularity"])

    async def indexed_documents(self, page_size: int = PAGE_SIZE) -> AsyncIterator[
        list[IndexedDocument]
    ]:
        """Every document of every domain, in pages, for `autocompeter reindex`."""
        async for rows in self._pages(
            "SELECT d.id, m.name, d.url, d.title, d.grp, d.popularity, d.version"
            " FROM documents d JOIN domains m ON m.id = d.domain_id"
            " WHERE d.id > $1 ORDER BY d.id LIMIT $2",
            page_size=page_size,
        ):
            yield [IndexedDocument(*row) for row in rows]

    async def add_fetches(self, counts: FetchCounts) -> None:
        async def add(conn: asyncpg.Connection) -> None:
            await conn.executemany(
                "INSERT INTO fetches (domain_id, year, month, count)"
                " SELECT id, $1, $2, $3 FROM domains WHERE name = $4"
                " ON CONFLICT (domain_id, year, month) DO UPDATE"
                " SET count = fetches.count + excluded.count",
                [(year, month, n, domain) for (domain, year, month), n in counts.items()],
            )

        await self._run(add)

    async def fetches(self, domain: str) -> dict[str, dict[str, int]]:
        rows = await self._run(lambda conn: conn.fetch(
            "SELECT year, month, count FROM fetches"
            " WHERE domain_id = (SELECT id FROM domains WHERE name = $1)"
            " ORDER BY year, month",
            domain,
        ))
        result: dict[str, dict[str, int]] = {}
        for row in rows:
            result.setdefault(str(row["year"]), {})[str(row["month"])] = row["count"]
        return result

    async def outbox_stats(self) -> tuple[int, float]:
        """Rows waiting for the engine and the age of the oldest in seconds (0 if none):
        a growing age means the sync workers are stuck, not merely busy."""
        row = await self._run(lambda conn: conn.fetchrow(
            "SELECT count(*) AS depth,"
            " coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age"
            " FROM outbox"
        ))
        return row["depth"], max(0.0, row["age"])

    async def add_queries(self, counts: QueryCounts) -> None:
        async def add(conn: asyncpg.Connection) -> None:
            await conn.executemany(
                "INSERT INTO query_counts (domain_id, day, query, searches, misses)"
                " SELECT id, $1, $2, $3, $4 FROM domains WHERE name = $5"
                " ON CONFLICT (domain_id, day, query) DO UPDATE"
                " SET searches = query_counts.searches + excluded.searches,"
                " misses = query_counts.misses + excluded.misses",
                [(day, query, searches, misses, domain)
                 for (domain, day, query), (searches, misses) in counts.items()],
            )

        await self._run(add)

    async def prune_queries(self, before: date) -> int:
        return _rows_changed(await self._run(lambda conn: conn.execute(
            "DELETE FROM query_counts WHERE day < $1", before
        )))

    async def top_queries(self, domain: str, since: date, limit: int) -> TopQueries:
        async def select(conn: asyncpg.Connection) -> TopQueries:
            def top(column: str) -> Awaitable[list[asyncpg.Record]]:
                return conn.fetch(TOP_QUERIES.format(column=column), domain, since, limit)

            queries, misses = await top("searches"), await top("misses")
            return TopQueries(queries=[(r["query"], r["n"]) for r in queries],
                              misses=[(r["query"], r["n"]) for r in misses])

        return await self._run(select)
