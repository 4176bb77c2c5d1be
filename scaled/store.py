"""The scaled-out store: PostgreSQL through an asyncpg pool.

Same tables and behaviour as `embedded.store`, plus the `outbox`: every write
(upsert, delete, flush) adds one outbox row per touched document in the same
transaction as the document rows, so a write that was acknowledged always
reaches the search engine eventually (see `indexer.sync`; what a row holds is in
`scaled/outbox.py`, the tables and their migrations in `scaled/schema.py`).

Versions: every document write and every delete takes a number from the
`change_seq` sequence. The engine indexes with these as external versions, so
batches that reach it out of order (several sync workers, a reindex running
alongside) can never replace a newer title by an older one.
"""

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date
from functools import lru_cache
from typing import Any, TypeVar

import asyncpg

from core.sql import PAGE_SIZE, Row, SqlStore, Statement
from core.sql_statements import CHANGED_CLICKS, ENSURE_DOMAIN
from core.store import Document, StoreUnavailable, last_wins
from core.text import search_text
from scaled.outbox import CLAIM, NOTIFY_CHANNEL, ClaimedChanges, IndexedDocument, claimed_change
from scaled.schema import migrate_schema

T = TypeVar("T")

# Workers merging their query and click counts into the day's bounded summaries take
# turns (core/sql_statements.py reads the least counted row and replaces it): a
# transaction lock.
COUNTS_LOCK = "SELECT pg_advisory_xact_lock(1668248942)"  # "coun"

# Rows keep the order they were sent in (WITH ORDINALITY), so ids are given
# out in that order, as SQLite's executemany does.
UPSERT = """
WITH input AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::text[],
                         $8::float8[])
        WITH ORDINALITY AS t(url, title, grp, popularity, search_text, ranking, n)
), upserted AS (
    INSERT INTO documents (domain_id, url, title, grp, popularity, search_text, version,
                           ranking)
    SELECT $1, url, title, grp, popularity, search_text, nextval('change_seq'), ranking
    FROM input ORDER BY n
    ON CONFLICT (domain_id, url) DO UPDATE SET
        title = excluded.title, grp = excluded.grp, popularity = excluded.popularity,
        search_text = excluded.search_text, version = excluded.version,
        ranking = excluded.ranking
    RETURNING url, version
)
INSERT INTO outbox (domain, url, version) SELECT $7, url, version FROM upserted
"""

# Titles sent again keep their clicks, locked until the write commits so that a
# click refresh cannot slip in between (their ranking value is made from them).
CLICKED = """
SELECT url, clicks FROM documents WHERE domain_id = $1 AND url = ANY($2::text[])
AND clicks > 0 FOR UPDATE
"""
# New ranking values from a click refresh; a moved title gets a new version and
# an outbox row, which sends it to the engine like any write.
RERANK = """
WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::bool[])
        AS t(id, clicks, ranking, moved)
), updated AS (
    UPDATE documents d SET clicks = i.clicks, ranking = i.ranking,
        version = CASE WHEN i.moved THEN nextval('change_seq') ELSE d.version END
    FROM input i WHERE d.id = i.id
    RETURNING d.domain_id, d.url, d.version, i.moved
)
INSERT INTO outbox (domain, url, version)
SELECT m.name, u.url, u.version FROM updated u JOIN domains m ON m.id = u.domain_id
WHERE u.moved
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


# What cannot be fixed by the client: the server is away, restarting or full.
UNAVAILABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,  # shutting down, starting up
    asyncpg.TooManyConnectionsError,
    asyncpg.DiskFullError,  # 503 like the embedded store's full disk
    # A connection that lost its server half-way through an operation is left
    # in a state asyncpg reports with these; the pool replaces it afterwards.
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)
# Two bulk writes to the same URLs in different orders can deadlock; PostgreSQL
# aborts one of them, which is then safe to run again.
RETRYABLE = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
WRITE_ATTEMPTS = 3


@lru_cache(maxsize=256)
def numbered(sql: str) -> str:
    """`core/sql_statements.py`'s `?` placeholders as PostgreSQL's `$1, $2, ...`."""
    count = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _match: f"${next(count)}", sql)


def _rows_changed(status: str) -> int:
    """'INSERT 0 3' / 'DELETE 2' / 'UPDATE 1' -> the number at the end."""
    return int(status.rsplit(" ", 1)[-1])


class PostgresStore(SqlStore):
    def __init__(self, dsn: str, pool_size: int = 10, timeout: float = 5.0,
                 **click_ranking: float) -> None:
        """``click_ranking``: `SqlStore`'s click_boost and click_half."""
        super().__init__(**click_ranking)
        self.dsn = dsn
        self.pool_size = pool_size
        self.timeout = timeout
        self._pool: asyncpg.Pool | None = None
        self._pool_lock = asyncio.Lock()

    async def _fetch(self, sql: str, *args: Any) -> list[Row]:
        return await self._run(lambda conn: conn.fetch(numbered(sql), *args))

    async def _execute(self, *statements: Statement) -> list[int]:
        async def run(conn: asyncpg.Connection) -> list[int]:
            async with conn.transaction():
                return [_rows_changed(await conn.execute(numbered(sql), *args))
                        for sql, args in statements]

        return await self._run(run)

    async def _execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._run(lambda conn: conn.executemany(numbered(sql), rows))

    async def _take(self, sql: str, *args: Any) -> list[Row]:
        async def run(conn: asyncpg.Connection) -> list[Row]:
            async with conn.transaction():
                await conn.execute(COUNTS_LOCK)
                return await conn.fetch(numbered(sql), *args)

        return await self._run(run)

    async def _execute_batches(self, *batches: tuple[str, Sequence[Sequence[Any]]]) -> None:
        async def run(conn: asyncpg.Connection) -> None:
            async with conn.transaction():
                await conn.execute(COUNTS_LOCK)
                for sql, rows in batches:
                    await conn.executemany(numbered(sql), rows)

        await self._run(run)

    def _counts_locked(self) -> list[Statement]:
        return [(COUNTS_LOCK, ())]

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
        await self._run(migrate_schema)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _ensure_domain(self, conn: asyncpg.Connection, domain: str) -> int:
        await conn.execute(numbered(ENSURE_DOMAIN), domain)
        return await conn.fetchval("SELECT id FROM domains WHERE name = $1", domain)

    async def upsert(self, domain: str, documents: Sequence[Document]) -> int:
        unique = last_wins(documents)

        async def insert(conn: asyncpg.Connection) -> int:
            domain_id = await self._ensure_domain(conn, domain)
            clicks = dict(await conn.fetch(CLICKED, domain_id, [d.url for d in unique]))
            await conn.execute(
                UPSERT, domain_id,
                [d.url for d in unique], [d.title for d in unique], [d.group for d in unique],
                [d.popularity for d in unique], [search_text(d.title) for d in unique],
                domain,
                [self.ranking_value(d.popularity, clicks.get(d.url, 0)) for d in unique],
            )
            return len(documents)

        return await self._write(insert)

    async def delete(self, domain: str, url: str) -> bool:
        status = await self._write(lambda conn: conn.execute(DELETE, domain, url))
        return _rows_changed(status) > 0

    async def flush(self, domain: str) -> int:
        return _rows_changed(await self._write(lambda conn: conn.execute(FLUSH, domain)))

    async def refresh_click_ranking(self, since: date, everything: bool = False) -> int:
        async def update(conn: asyncpg.Connection) -> int:
            rows = await conn.fetch(numbered(CHANGED_CLICKS.format(columns="")),
                                    since, everything, since)
            if not rows:
                return 0
            # Lock the titles and read their popularity again: a write that came
            # in meanwhile is not undone by a value made from the old one.
            current = {row["id"]: row["popularity"] for row in await conn.fetch(
                "SELECT id, popularity FROM documents WHERE id = ANY($1::bigint[])"
                " ORDER BY id FOR UPDATE", [row["id"] for row in rows])}
            fresh = [(*row[:3], current[row["id"]], *row[4:]) for row in rows
                     if row["id"] in current]
            changed = self.changed_rankings(fresh)
            if not changed:
                return 0
            moved = [value != row[4] for row, value in changed]
            await conn.execute(RERANK, [row[0] for row, _v in changed],
                               [row[6] for row, _v in changed], [v for _row, v in changed],
                               moved)
            return sum(moved)

        return await self._write(update)

    async def indexed_documents(self, page_size: int = PAGE_SIZE) -> AsyncIterator[
        list[IndexedDocument]
    ]:
        """Every document of every domain, in pages by id, for `autocompeter reindex`.
        Pages rather than one cursor, so no transaction stays open meanwhile."""
        last = 0
        while True:
            rows = await self._run(lambda conn, after=last: conn.fetch(
                "SELECT d.id, m.name, d.url, d.title, d.grp, d.ranking, d.version"
                " FROM documents d JOIN domains m ON m.id = d.domain_id"
                " WHERE d.id > $1 ORDER BY d.id LIMIT $2", after, page_size,
            ))
            if rows:
                yield [IndexedDocument(*row) for row in rows]
            if len(rows) < page_size:
                return
            last = rows[-1]["id"]

    # -- the outbox, for the indexer ----------------------------------------------------

    @asynccontextmanager
    async def claim_changes(self, limit: int) -> AsyncIterator[ClaimedChanges]:
        """Lock up to ``limit`` outbox rows for one sync pass.

        Rows another worker holds are skipped, so workers share the queue
        without sending a row twice. If the caller sets ``done``, the rows are
        deleted when the block ends; if it raises, the transaction rolls back
        and the rows are sent again later.
        """
        async with self.connection() as conn, conn.transaction():
            rows = await conn.fetch(CLAIM, limit)
            building = []
            if rows:
                building = [row["name"] for row in
                            await conn.fetch("SELECT name FROM search_indexes_building")]
            claimed = ClaimedChanges([claimed_change(row) for row in rows], building)
            yield claimed
            if claimed.done and rows:
                await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])",
                                   [row["id"] for row in rows])

    async def start_building(self, index: str) -> None:
        """From now on every change also goes to ``index`` (a reindex is filling it)."""
        await self._execute(("INSERT INTO search_indexes_building (name) VALUES (?)", (index,)))

    async def stop_building(self, index: str) -> None:
        await self._execute(("DELETE FROM search_indexes_building WHERE name = ?", (index,)))

    async def outbox_stats(self) -> tuple[int, float]:
        """Rows waiting for the engine and the age of the oldest in seconds (0 if none):
        a growing age means the sync workers are stuck, not merely busy."""
        row = await self._run(lambda conn: conn.fetchrow(
            "SELECT count(*) AS depth,"
            " coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age"
            " FROM outbox"
        ))
        return row["depth"], max(0.0, row["age"])
