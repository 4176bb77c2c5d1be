"""What both SQL stores do alike, written once: keys, counts, paging, analytics.

The SQL here runs unchanged on SQLite and PostgreSQL: `?` placeholders (the
PostgreSQL store numbers them), `ON CONFLICT` upserts, explicit casts. Each
store supplies the three ways of running it (`_fetch`, `_execute`,
`_execute_many`) and keeps what is truly its own beside its schema: document
writes (the FTS5 rank keys; the outbox) and migrations.
"""

import hmac
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.keys import hash_key, key_prefix, new_key
from core.ranking import CLICK_BOOST, CLICK_HALF, ranking_value
from core.store import (
    Click,
    ClickedTitle,
    Document,
    DocumentPage,
    FetchCounts,
    IncompatibleStore,
    IntentPart,
    KeyInfo,
    QueryCounts,
    TopQueries,
)
from core.tokens import new_token_secret

PAGE_SIZE = 1000
Row = Sequence[Any]
Statement = tuple[str, Sequence[Any]]

DOMAIN_ID = "(SELECT id FROM domains WHERE name = ?)"
ENSURE_DOMAIN = "INSERT INTO domains (name) VALUES (?) ON CONFLICT (name) DO NOTHING"
INSERT_KEY = f"""
INSERT INTO keys (domain_id, key_hash, prefix, note, created_at)
VALUES ({DOMAIN_ID}, ?, ?, ?, ?)
"""
KEY_DOMAIN = """
SELECT k.key_hash, d.name FROM keys k JOIN domains d ON d.id = k.domain_id
WHERE k.key_hash = ? AND k.revoked_at IS NULL
"""
LIST_KEYS = """
SELECT k.id, d.name, k.prefix, k.note, k.created_at, k.revoked_at, k.last_used_at
FROM keys k JOIN domains d ON d.id = k.domain_id ORDER BY d.name, k.id
"""
# Only moves forward, so two processes recording the same minute write once.
KEY_USED = """
UPDATE keys SET last_used_at = ? WHERE key_hash = ?
AND (last_used_at IS NULL OR last_used_at < ?)
"""
# How stale "last used" may be: one write per key and process per interval at most.
KEY_USE_RESOLUTION = timedelta(minutes=1)
# The step each store's migrations take to add it to a database made before it.
ADD_KEY_LAST_USED = "ALTER TABLE keys ADD COLUMN last_used_at {timestamp};"
REVOKE_BY_HASH = "UPDATE keys SET revoked_at = ? WHERE key_hash = ? AND revoked_at IS NULL"
REVOKE_BY_ID = "UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
# `document_page`: one `AND ...` per filter goes where {filters} is.
DOCUMENTS_AFTER = f"""
SELECT id, url, title, grp, popularity FROM documents
WHERE domain_id = {DOMAIN_ID} AND id > ?{{filters}} ORDER BY id LIMIT ?
"""
# A word of the folded title starts with the given word: the leading space makes
# "% word%" match at the start of any word, the first included.
TITLE_WORD_FILTER = " AND ' ' || search_text LIKE ? ESCAPE '!'"
URL_FILTER = " AND url = ?"
DOCUMENTS_PAGE = DOCUMENTS_AFTER.format(filters="")
ADD_FETCHES = """
INSERT INTO fetches (domain_id, year, month, count)
SELECT id, ?, ?, ? FROM domains WHERE name = ?
ON CONFLICT (domain_id, year, month) DO UPDATE SET count = fetches.count + excluded.count
"""
FETCHES = f"""
SELECT year, month, count FROM fetches WHERE domain_id = {DOMAIN_ID} ORDER BY year, month
"""
MAX_QUERIES_PER_DAY = 1000
"""Rows of query counts a domain may have per UTC day: visitors type anything, and a
flood of random searches must not grow the database. The rows are a Space-Saving
summary (Metwally, Agrawal and El Abbadi, 2005): a new query on a full day takes the
place of the least searched one, and its count starts from that one's (`add_queries`).
So the day's rows still add up to its searches, and any query with more than
1/MAX_QUERIES_PER_DAY of them is among the rows however many strangers' queries come:
junk cannot push out a query people search."""
OTHER_QUERIES = ""
"""Searches counted under no query: rows of databases that wrote them before the
summary, and clicks on a title with no room for their query (MAX_CLICK_ROWS_PER_DAY)."""
QUERY_COUNTED = f"""
UPDATE query_counts SET searches = searches + ?, misses = misses + ?
WHERE domain_id = {DOMAIN_ID} AND day = ? AND query = ?
"""
# New, while the day has room.
QUERY_INSERTED = f"""
INSERT INTO query_counts (domain_id, day, query, searches, misses)
SELECT d.id, ?, ?, ?, ? FROM domains d WHERE d.name = ?
AND NOT EXISTS (SELECT 1 FROM query_counts q WHERE q.domain_id = d.id AND q.day = ?
                AND q.query = ?)
AND (SELECT count(*) FROM query_counts q WHERE q.domain_id = d.id AND q.day = ?)
    < {MAX_QUERIES_PER_DAY}
"""
# New on a full day: it takes the least searched query's row and count (an upper bound
# of its own searches, as Space-Saving keeps them); misses are its own, a lower bound.
QUERY_REPLACING = f"""
UPDATE query_counts SET query = ?, searches = searches + ?, misses = ?
WHERE domain_id = {DOMAIN_ID} AND day = ?
AND query = CASE WHEN NOT EXISTS (SELECT 1 FROM query_counts q
                                  WHERE q.domain_id = {DOMAIN_ID} AND q.day = ? AND q.query = ?)
    -- only then looked for: most queries of a batch were counted or inserted
    THEN (SELECT q.query FROM query_counts q
          WHERE q.domain_id = {DOMAIN_ID} AND q.day = ? AND q.query <> '{OTHER_QUERIES}'
          ORDER BY q.searches LIMIT 1) END
"""
TOP_QUERIES = f"""
SELECT query, CAST(sum({{column}}) AS BIGINT) AS n FROM query_counts
WHERE domain_id = {DOMAIN_ID} AND day >= ? AND query <> '{OTHER_QUERIES}'
GROUP BY query HAVING sum({{column}}) > 0 ORDER BY n DESC, query LIMIT ?
"""
# Intents (app/counters.py `IntentTracker`): the same bounded summary in its own table,
# each row counting the searches a visitor's burst ended on.
INTENT_COUNTED, INTENT_INSERTED, INTENT_REPLACING, TOP_INTENTS = (
    statement.replace("query_counts", "intent_counts")
    for statement in (QUERY_COUNTED, QUERY_INSERTED, QUERY_REPLACING, TOP_QUERIES))
# A worker's part of a burst, written at each of its flushes while the burst goes on.
INTENT_PART_SAVED = """
INSERT INTO intent_parts (visitor, worker, first_at, last_at, domain, first_query, query,
                          found)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (visitor, worker, first_at) DO UPDATE SET last_at = excluded.last_at,
    query = excluded.query, found = excluded.found
"""
# Every part of the visitors none of whose parts can grow any more, taken once: no
# worker takes a part another took.
INTENT_PARTS_TAKEN = """
DELETE FROM intent_parts WHERE visitor IN (
    SELECT visitor FROM intent_parts GROUP BY visitor HAVING max(last_at) < ?)
RETURNING visitor, first_at, last_at, domain, first_query, query, found
"""
PRIVATE_GROUPS_CLEAR = f"DELETE FROM private_groups WHERE domain_id = {DOMAIN_ID}"
PRIVATE_GROUP_ADD = f"INSERT INTO private_groups (domain_id, name) VALUES ({DOMAIN_ID}, ?)"
# A domain's private groups and its token secret in one round trip: what a search
# that asks for groups needs (app/access.py), read once per generation and worker.
ACCESS = f"""
SELECT 'group', name FROM private_groups WHERE domain_id = {DOMAIN_ID}
UNION ALL SELECT 'secret', secret FROM token_secrets WHERE domain_id = {DOMAIN_ID}
"""
TOKEN_SECRET = f"SELECT secret FROM token_secrets WHERE domain_id = {DOMAIN_ID}"
# Made on first use; two processes making it at once keep the first one's.
ADD_TOKEN_SECRET = """
INSERT INTO token_secrets (domain_id, secret, created_at)
SELECT id, ?, ? FROM domains WHERE name = ? ON CONFLICT (domain_id) {action}
"""
DAILY_SEARCHES = f"""
SELECT day, CAST(sum(searches) AS BIGINT) FROM query_counts
WHERE domain_id = {DOMAIN_ID} AND day >= ? GROUP BY day ORDER BY day
"""
MAX_CLICK_ROWS_PER_DAY = 1000
"""Rows of click counts by (title, query) a domain may have per UTC day, like
MAX_QUERIES_PER_DAY. Past it, a click on a title under a new query takes the row of
the day's least clicked (title, query), whose clicks stay with their title under
OTHER_QUERIES: a day holds at most this many rows plus one per clicked title, each
title keeps all its clicks, and a query's clicks stay shown once they outnumber
those of the least clicked pair, however many strangers' pairs come."""
MARK_CLICK_SEEN = """
INSERT INTO clicks_seen (fingerprint, minute, owner) VALUES (?, ?, ?)
ON CONFLICT (fingerprint) DO NOTHING
"""
# Each of the statements below counts the click only if its fingerprint is this
# batch's own (not seen before) and its URL is one of the domain's titles; they run
# one after the other for a click, and at most one of them counts it.
CLICK_IS_NEW = f"""
EXISTS (SELECT 1 FROM clicks_seen s WHERE s.fingerprint = ? AND s.owner = ?)
AND EXISTS (SELECT 1 FROM documents d WHERE d.domain_id = {DOMAIN_ID} AND d.url = ?)
"""
CLICK_ROW_ABSENT = f"""
NOT EXISTS (SELECT 1 FROM click_counts c WHERE c.domain_id = {DOMAIN_ID} AND c.url = ?
            AND c.query = ? AND c.day = ?)
"""
CLICK_COUNTED = f"""
UPDATE click_counts SET clicks = clicks + 1
WHERE domain_id = {DOMAIN_ID} AND url = ? AND query = ? AND day = ? AND {CLICK_IS_NEW}
"""
CLICK_INSERTED = f"""
INSERT INTO click_counts (domain_id, url, query, day, clicks)
SELECT id, ?, ?, ?, 1 FROM domains WHERE name = ? AND {CLICK_IS_NEW} AND {CLICK_ROW_ABSENT}
AND (SELECT count(*) FROM click_counts c WHERE c.domain_id = {DOMAIN_ID} AND c.day = ?
     AND c.query <> '{OTHER_QUERIES}') < {MAX_CLICK_ROWS_PER_DAY}
"""
LEAST_CLICKED = f"""
(SELECT c.url, c.query FROM click_counts c
 WHERE c.domain_id = {DOMAIN_ID} AND c.day = ? AND c.query <> '{OTHER_QUERIES}'
 ORDER BY c.clicks, c.url, c.query LIMIT 1)
"""
# A full day: the least clicked pair's clicks go to its title under no query ...
CLICK_FOLDED = f"""
INSERT INTO click_counts (domain_id, url, query, day, clicks)
SELECT domain_id, url, '{OTHER_QUERIES}', day, clicks FROM click_counts
WHERE domain_id = {DOMAIN_ID} AND day = ? AND (url, query) = {LEAST_CLICKED}
AND {CLICK_IS_NEW} AND {CLICK_ROW_ABSENT}
ON CONFLICT (domain_id, url, query, day) DO UPDATE
SET clicks = click_counts.clicks + excluded.clicks
"""
# ... and its row becomes the new pair's.
CLICK_REPLACING = f"""
UPDATE click_counts SET url = ?, query = ?, clicks = 1
WHERE domain_id = {DOMAIN_ID} AND day = ? AND (url, query) = {LEAST_CLICKED}
AND {CLICK_IS_NEW} AND {CLICK_ROW_ABSENT}
"""
# Titles whose clicks in the window (from the day given on) differ from what their
# ranking was last computed from, and titles whose clicks all left the window; the
# partial index documents_clicked finds the latter without reading every title.
CHANGED_CLICKS = """
SELECT d.id, d.domain_id, d.url, d.popularity, d.ranking, d.clicks,
       CAST(w.n AS BIGINT){columns}
FROM (SELECT domain_id, url, sum(clicks) AS n FROM click_counts WHERE day >= ?
      GROUP BY domain_id, url) w
JOIN documents d ON d.domain_id = w.domain_id AND d.url = w.url
WHERE d.clicks <> w.n OR ?
UNION ALL
SELECT d.id, d.domain_id, d.url, d.popularity, d.ranking, d.clicks, 0{columns}
FROM documents d
WHERE d.clicks > 0 AND NOT EXISTS (SELECT 1 FROM click_counts c WHERE c.domain_id = d.domain_id
                                   AND c.url = d.url AND c.day >= ?)
"""
TOP_CLICKS = f"""
SELECT c.url, d.title, CAST(sum(c.clicks) AS BIGINT) AS n FROM click_counts c
JOIN documents d ON d.domain_id = c.domain_id AND d.url = c.url
WHERE c.domain_id = {DOMAIN_ID} AND c.day >= ?
GROUP BY c.url, d.title ORDER BY n DESC, c.url LIMIT ?
"""
QUERY_CLICKS = f"""
SELECT query, CAST(sum(clicks) AS BIGINT) FROM click_counts
WHERE domain_id = {DOMAIN_ID} AND day >= ? AND query IN ({{marks}}) GROUP BY query
"""
# Each store's migration step that gives an older database's documents their
# ranking value (the popularity, until clicks move it) and window clicks.
ADD_CLICK_COLUMNS = """
ALTER TABLE documents ADD COLUMN ranking {real} NOT NULL DEFAULT 0;
UPDATE documents SET ranking = popularity;
ALTER TABLE documents ADD COLUMN clicks {counter} NOT NULL DEFAULT 0;
"""

TOKEN_TABLES = """
-- Groups whose titles only a search with a signed token granting them finds.
CREATE TABLE IF NOT EXISTS private_groups (
    domain_id {id} NOT NULL REFERENCES domains(id),
    name TEXT NOT NULL,
    PRIMARY KEY (domain_id, name)
){without_rowid};
-- What a domain's tokens are signed with (through a derived key, core/tokens.py).
CREATE TABLE IF NOT EXISTS token_secrets (
    domain_id {id} PRIMARY KEY REFERENCES domains(id),
    secret TEXT NOT NULL,
    created_at {timestamp} NOT NULL
);
"""
"""Also the step each store's migrations take to add them (`token_tables`)."""

SHARED_TABLES = """
CREATE TABLE IF NOT EXISTS keys (
    id {serial} PRIMARY KEY,
    domain_id {id} NOT NULL REFERENCES domains(id),
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at {timestamp} NOT NULL,
    revoked_at {timestamp},
    last_used_at {timestamp}
);
CREATE TABLE IF NOT EXISTS fetches (
    domain_id {id} NOT NULL REFERENCES domains(id),
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    count {counter} NOT NULL,
    PRIMARY KEY (domain_id, year, month)
);
-- Searches per domain, UTC day and folded query text, for the top queries and
-- misses in /v1/stats; app/counters.py deletes days past the retention.
CREATE TABLE IF NOT EXISTS query_counts (
    domain_id {id} NOT NULL REFERENCES domains(id),
    day {day} NOT NULL,
    query TEXT NOT NULL,
    searches {counter} NOT NULL,
    misses {counter} NOT NULL,
    PRIMARY KEY (domain_id, day, query)
){without_rowid};
-- Days to prune, and the least searched query of a domain's day: the one a new
-- query replaces. (It replaces an index on the day alone, which SQLite preferred
-- for the least one too, sorting the day's rows each time: 1.5 ms a query.)
DROP INDEX IF EXISTS query_counts_by_day;
CREATE INDEX IF NOT EXISTS query_counts_least ON query_counts (day, domain_id, searches);
-- The same for intents: the query a visitor's burst of searches ended on
-- (app/counters.py IntentTracker).
CREATE TABLE IF NOT EXISTS intent_counts (
    domain_id {id} NOT NULL REFERENCES domains(id),
    day {day} NOT NULL,
    query TEXT NOT NULL,
    searches {counter} NOT NULL,
    misses {counter} NOT NULL,
    PRIMARY KEY (domain_id, day, query)
){without_rowid};
CREATE INDEX IF NOT EXISTS intent_counts_least ON intent_counts (day, domain_id, searches);
-- Bursts of searches still going on or just ended, each worker's part of one a row
-- (times in epoch milliseconds): kept seconds, until every worker wrote its part.
-- The visitor is a hash of the day, address, user agent and domain.
CREATE TABLE IF NOT EXISTS intent_parts (
    visitor TEXT NOT NULL,
    worker TEXT NOT NULL,
    first_at {counter} NOT NULL,
    last_at {counter} NOT NULL,
    domain TEXT NOT NULL,
    first_query TEXT NOT NULL,
    query TEXT NOT NULL,
    found {counter} NOT NULL,
    PRIMARY KEY (visitor, worker, first_at)
){without_rowid};
-- Clicks per domain, title URL, folded query and UTC day: the click ranking's
-- window and the top clicks in /v1/stats; app/counters.py deletes days past it.
CREATE TABLE IF NOT EXISTS click_counts (
    domain_id {id} NOT NULL REFERENCES domains(id),
    url TEXT NOT NULL,
    query TEXT NOT NULL,
    day {day} NOT NULL,
    clicks {counter} NOT NULL,
    PRIMARY KEY (domain_id, url, query, day)
){without_rowid};
CREATE INDEX IF NOT EXISTS click_counts_by_day ON click_counts (day, domain_id);
CREATE INDEX IF NOT EXISTS click_counts_least ON click_counts (day, domain_id, clicks);
-- Today's counted clicks by fingerprint (who clicked which title, which day), so
-- one address adds one click to a title a day, whichever worker took it.
CREATE TABLE IF NOT EXISTS clicks_seen (
    fingerprint TEXT PRIMARY KEY,
    minute {counter} NOT NULL,
    owner TEXT NOT NULL
){without_rowid};
CREATE INDEX IF NOT EXISTS clicks_seen_by_minute ON clicks_seen (minute);
CREATE INDEX IF NOT EXISTS documents_clicked ON documents (domain_id) WHERE clicks > 0;
""" + TOKEN_TABLES
"""The tables that `SqlStore`'s statements use besides `domains` and `documents`,
in each dialect's types (`shared_tables`)."""


def shared_tables(*, serial: str, id: str, timestamp: str, counter: str, day: str,
                  without_rowid: str = "") -> str:
    return SHARED_TABLES.format(serial=serial, id=id, timestamp=timestamp, counter=counter,
                                day=day, without_rowid=without_rowid)


def token_tables(*, id: str, timestamp: str, without_rowid: str = "") -> str:
    return TOKEN_TABLES.format(id=id, timestamp=timestamp, without_rowid=without_rowid)


def like_prefix_of_word(word: str) -> str:
    """A LIKE pattern (escape character ``!``) for a word starting with ``word``."""
    escaped = word.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"% {escaped}%"


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def as_datetime(value: datetime | str | None) -> datetime | None:
    """SQLite hands timestamps back as the ISO text they were stored as."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def migrations(found: int | None, expected: int, steps: Mapping[int, str], where: str
               ) -> list[str]:
    """The scripts that bring a database of version ``found`` to ``expected``:
    ``steps[n]`` takes version n to n + 1. None (no tables yet) needs none.
    A version with no way forward (or a newer one) is refused, not half-understood.
    """
    if found is None or found == expected:
        return []
    if found < expected and all(n in steps for n in range(found, expected)):
        return [steps[n] for n in range(found, expected)]
    check_schema_version(found, expected, where)
    return []


def check_schema_version(found: int | None, expected: int, where: str) -> None:
    """Refuse a database made by another version, rather than half-understand it.

    ``found`` is None for a database without our tables (a new one).
    """
    if found is not None and found != expected:
        raise IncompatibleStore(
            f"{where} has schema version {found}, this version uses {expected}: export its "
            "domains with the version that made it (autocompeter export), then load them "
            "into a new database"
        )


class SqlStore(ABC):
    """The `core.store.Store` methods that are the same SQL on both databases."""

    def __init__(self, click_boost: float = CLICK_BOOST, click_half: float = CLICK_HALF
                 ) -> None:
        # key hash -> when this process last wrote the key's last_used_at
        self._key_use_written: dict[str, datetime] = {}
        self.click_boost = click_boost
        self.click_half = click_half

    @abstractmethod
    async def _fetch(self, sql: str, *args: Any) -> list[Row]:
        """The rows of one read."""

    @abstractmethod
    async def _execute(self, *statements: Statement) -> list[int]:
        """Run ``statements`` in one transaction; the rows each changed."""

    @abstractmethod
    async def _execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run ``sql`` once per row, in one transaction."""

    @abstractmethod
    async def _execute_batches(self, *batches: tuple[str, Sequence[Sequence[Any]]]) -> None:
        """Run each batch's ``sql`` once per row, batch after batch, in one transaction
        that no other `_execute_batches` or `_counts_locked` runs beside: the counts'
        summaries are read and rewritten in it."""

    def _counts_locked(self) -> list[Statement]:
        """Statements that, first in `_execute`'s transaction, keep other writers of the
        counts' summaries out until it ends (nothing where writes are serial anyway)."""
        return []

    async def _fetch_value(self, sql: str, *args: Any) -> Any:
        rows = await self._fetch(sql, *args)
        return rows[0][0] if rows else None

    async def ping(self) -> bool:
        return await self._fetch_value("SELECT 1") == 1

    # -- keys ---------------------------------------------------------------------------

    async def create_key(self, domain: str, note: str = "") -> str:
        key = new_key()
        await self._execute(
            (ENSURE_DOMAIN, (domain,)),
            (INSERT_KEY, (domain, hash_key(key), key_prefix(key), note, now())),
        )
        return key

    async def domain_for_key(self, key: str) -> str | None:
        wanted = hash_key(key)
        rows = await self._fetch(KEY_DOMAIN, wanted)
        if rows and hmac.compare_digest(rows[0][0], wanted):
            await self._record_key_use(wanted)
            return rows[0][1]
        return None

    async def _record_key_use(self, key_hash: str) -> None:
        at = now()
        last = self._key_use_written.get(key_hash)
        if last is not None and at - last < KEY_USE_RESOLUTION:
            return
        self._key_use_written[key_hash] = at
        await self._execute((KEY_USED, (at, key_hash, at - KEY_USE_RESOLUTION)))

    async def list_keys(self) -> list[KeyInfo]:
        return [
            KeyInfo(key_id, domain, prefix, note, as_datetime(created), as_datetime(revoked),
                    as_datetime(used))
            for key_id, domain, prefix, note, created, revoked, used
            in await self._fetch(LIST_KEYS)
        ]

    async def revoke_key(self, key: str) -> bool:
        return await self._execute((REVOKE_BY_HASH, (now(), hash_key(key)))) == [1]

    async def revoke_key_by_id(self, key_id: int) -> bool:
        return await self._execute((REVOKE_BY_ID, (now(), key_id))) == [1]

    # -- private groups and token secrets ------------------------------------------------

    def _access_changed(self, domain: str) -> list[Statement]:
        """Statements that tell other processes' cached answers the domain's private
        groups or token secret changed (the embedded store bumps its generation)."""
        return []

    async def private_groups(self, domain: str) -> list[str]:
        private, _secret = await self.access(domain)
        return sorted(private)

    async def set_private_groups(self, domain: str, groups: Sequence[str]) -> None:
        """Make exactly ``groups`` the domain's private groups, in one transaction."""
        await self._execute(
            (PRIVATE_GROUPS_CLEAR, (domain,)),
            *[(PRIVATE_GROUP_ADD, (domain, group)) for group in sorted(set(groups))],
            *self._access_changed(domain),
        )

    async def access(self, domain: str) -> tuple[frozenset[str], str | None]:
        """The domain's private groups and its token secret (None until one is made)."""
        rows = await self._fetch(ACCESS, domain, domain)
        secret = [value for kind, value in rows if kind == "secret"]
        return (frozenset(value for kind, value in rows if kind == "group"),
                secret[0] if secret else None)

    async def token_secret(self, domain: str) -> str | None:
        """The domain's token secret, made on first use; None for an unknown domain."""
        secret = await self._fetch_value(TOKEN_SECRET, domain)
        if secret is None:
            await self._execute(
                (ADD_TOKEN_SECRET.format(action="DO NOTHING"),
                 (new_token_secret(), now(), domain)),
                *self._access_changed(domain),
            )
            secret = await self._fetch_value(TOKEN_SECRET, domain)
        return secret

    async def rotate_token_secret(self, domain: str) -> str | None:
        """A new secret for the domain: tokens signed with the old one grant nothing."""
        action = "DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at"
        changed = await self._execute(
            (ADD_TOKEN_SECRET.format(action=action), (new_token_secret(), now(), domain)),
            *self._access_changed(domain),
        )
        return await self._fetch_value(TOKEN_SECRET, domain) if changed[0] else None

    # -- documents ------------------------------------------------------------------------

    async def domain_exists(self, domain: str) -> bool:
        return await self._fetch_value("SELECT 1 FROM domains WHERE name = ?", domain) == 1

    async def count(self, domain: str) -> int:
        return await self._fetch_value(
            f"SELECT count(*) FROM documents WHERE domain_id = {DOMAIN_ID}", domain
        )

    async def count_all(self) -> int:
        return await self._fetch_value("SELECT count(*) FROM documents")

    async def documents(self, domain: str) -> AsyncIterator[Document]:
        # In pages by id, so exporting a large domain never holds all of it and
        # no transaction stays open while the caller works through it.
        last = 0
        while True:
            page = await self._fetch(DOCUMENTS_PAGE, domain, last, PAGE_SIZE)
            for _id, url, title, group, popularity in page:
                yield Document(url, title, group, popularity)
            if len(page) < PAGE_SIZE:
                return
            last = page[-1][0]

    async def document_page(self, domain: str, after: int = 0, limit: int = 50,
                            words: Sequence[str] = (), url: str | None = None) -> DocumentPage:
        filters = TITLE_WORD_FILTER * len(words) + (URL_FILTER if url is not None else "")
        args: list[Any] = [domain, after, *map(like_prefix_of_word, words)]
        if url is not None:
            args.append(url)
        # One more row than asked tells whether another page follows.
        rows = await self._fetch(DOCUMENTS_AFTER.format(filters=filters), *args, limit + 1)
        page = rows[:limit]
        return DocumentPage(
            documents=[Document(url, title, group, popularity)
                       for _id, url, title, group, popularity in page],
            after=page[-1][0] if len(rows) > limit else None,
        )

    # -- search counters ------------------------------------------------------------------

    async def add_fetches(self, counts: FetchCounts) -> None:
        await self._execute_many(
            ADD_FETCHES, [(year, month, n, domain) for (domain, year, month), n in counts.items()]
        )

    async def fetches(self, domain: str) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {}
        for year, month, count in await self._fetch(FETCHES, domain):
            result.setdefault(str(year), {})[str(month)] = count
        return result

    async def add_queries(self, counts: QueryCounts) -> None:
        """Merge ``counts`` into the days' Space-Saving summaries (MAX_QUERIES_PER_DAY):
        known queries add up, new ones fill the room left, then each further one takes
        the place of its day's least searched. Most searched first, so that the
        batch's own rare queries are the ones that give way to each other."""
        await self._add_to_summaries(counts, QUERY_COUNTED, QUERY_INSERTED, QUERY_REPLACING)

    async def add_intents(self, counts: QueryCounts) -> None:
        """As `add_queries`, into the intents' summaries."""
        await self._add_to_summaries(counts, INTENT_COUNTED, INTENT_INSERTED, INTENT_REPLACING)

    async def _add_to_summaries(self, counts: QueryCounts, counted: str, inserted: str,
                                replacing: str) -> None:
        items = sorted(counts.items(), key=lambda item: -item[1][0])
        await self._execute_batches(
            (counted, [(searches, misses, domain, day, query)
                       for (domain, day, query), (searches, misses) in items]),
            (inserted, [(day, query, searches, misses, domain, day, query, day)
                        for (domain, day, query), (searches, misses) in items]),
            (replacing, [(query, searches, misses, domain, day, domain, day, query, domain, day)
                         for (domain, day, query), (searches, misses) in items]),
        )

    async def save_intent_parts(self, worker: str, parts: Sequence[IntentPart]) -> None:
        await self._execute_many(INTENT_PART_SAVED, [
            (p.visitor, worker, p.first_at, p.last_at, p.domain, p.first_query, p.query,
             int(p.found)) for p in parts])

    async def take_intent_parts(self, ended_before: int) -> list[IntentPart]:
        return [IntentPart(visitor, first_at, last_at, domain, first_query, query,
                           bool(found))
                for visitor, first_at, last_at, domain, first_query, query, found
                in await self._take(INTENT_PARTS_TAKEN, ended_before)]

    @abstractmethod
    async def _take(self, sql: str, *args: Any) -> list[Row]:
        """The rows a writing statement (``... RETURNING``) gives, alone among the
        writers of the counts' summaries (`_counts_locked`)."""

    async def prune_queries(self, before: date) -> int:
        pruned, _intents = await self._execute(
            ("DELETE FROM query_counts WHERE day < ?", (before,)),
            ("DELETE FROM intent_counts WHERE day < ?", (before,)))
        return pruned

    async def top_queries(self, domain: str, since: date, limit: int) -> TopQueries:
        return await self._top(TOP_QUERIES, domain, since, limit)

    async def top_intents(self, domain: str, since: date, limit: int) -> TopQueries:
        return await self._top(TOP_INTENTS, domain, since, limit)

    async def _top(self, sql: str, domain: str, since: date, limit: int) -> TopQueries:
        async def top(column: str) -> list[tuple[str, int]]:
            rows = await self._fetch(sql.format(column=column), domain, since, limit)
            return [(query, n) for query, n in rows]

        return TopQueries(queries=await top("searches"), misses=await top("misses"))

    async def daily_searches(self, domain: str, since: date) -> dict[date, int]:
        # SQLite hands the day back as the ISO text it was stored as.
        return {day if isinstance(day, date) else date.fromisoformat(day): n
                for day, n in await self._fetch(DAILY_SEARCHES, domain, since)}

    # -- clicks ---------------------------------------------------------------------------

    async def add_clicks(self, clicks: Sequence[Click]) -> None:
        # One transaction: a failed batch leaves no fingerprint behind, so it can be
        # sent again; a fingerprint another worker holds makes its click not count.
        owner = uuid.uuid4().hex
        statements: list[Statement] = []
        for click in clicks:
            domain, url, query, day = click.domain, click.url, click.query, click.day
            is_new = (click.fingerprint, owner, domain, url)
            absent = (domain, url, query, day)
            least = (domain, day)
            statements += [
                (MARK_CLICK_SEEN, (click.fingerprint, click.minute, owner)),
                (CLICK_COUNTED, (domain, url, query, day, *is_new)),
                (CLICK_INSERTED, (url, query, day, domain, *is_new, *absent, domain, day)),
                (CLICK_FOLDED, (domain, day, *least, *is_new, *absent)),
                (CLICK_REPLACING, (url, query, domain, day, *least, *is_new, *absent)),
            ]
        if statements:
            await self._execute(*self._counts_locked(), *statements)

    async def prune_clicks(self, before_day: date, before_minute: int) -> int:
        pruned, _seen = await self._execute(
            ("DELETE FROM click_counts WHERE day < ?", (before_day,)),
            ("DELETE FROM clicks_seen WHERE minute < ?", (before_minute,)),
        )
        return pruned

    async def top_clicks(self, domain: str, since: date, limit: int) -> list[ClickedTitle]:
        return [ClickedTitle(url, title, n)
                for url, title, n in await self._fetch(TOP_CLICKS, domain, since, limit)]

    async def query_clicks(self, domain: str, since: date, queries: Sequence[str]
                           ) -> dict[str, int]:
        if not queries:
            return {}
        sql = QUERY_CLICKS.format(marks=", ".join("?" * len(queries)))
        return {query: n for query, n in await self._fetch(sql, domain, since, *queries)}

    def changed_rankings(self, rows: Sequence[Row]) -> list[tuple[Row, float]]:
        """Of CHANGED_CLICKS' ``rows``, those whose clicks or ranking value must change,
        each with its new ranking value."""
        changed = []
        for row in rows:
            _id, _domain_id, _url, popularity, ranking, clicks, window_clicks = row[:7]
            value = self.ranking_value(popularity, window_clicks)
            if value != ranking or clicks != window_clicks:
                changed.append((row, value))
        return changed

    def ranking_value(self, popularity: float, clicks: int) -> float:
        return ranking_value(popularity, clicks, self.click_boost, self.click_half)
