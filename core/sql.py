"""What both SQL stores do alike, written once: keys, counts, paging, analytics.

`SqlStore` is most of the `core/store.py:Store` port. `embedded/store.py:SqliteStore`
and `scaled/store.py:PostgresStore` subclass it and supply the three ways of running
SQL (`_fetch`, `_execute`, `_execute_many`, with variants for the counts' summaries);
it runs the statements of `core/sql_statements.py` on the tables of
`core/sql_schema.py`. Each store keeps what is truly its own beside its schema:
document writes (the FTS5 rank keys; the outbox) and migrations.
"""

import hmac
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core import sql_statements as statements
from core.keys import hash_key, key_prefix, new_key
from core.ranking import CLICK_BOOST, CLICK_HALF, ranking_value
from core.store import (
    Click,
    ClickedTitle,
    Document,
    DocumentPage,
    FetchCounts,
    IntentPart,
    KeyInfo,
    QueryCounts,
    TopQueries,
)
from core.tokens import new_token_secret

PAGE_SIZE = 1000
Row = Sequence[Any]
Statement = tuple[str, Sequence[Any]]
# How stale "last used" may be: one write per key and process per interval at most.
KEY_USE_RESOLUTION = timedelta(minutes=1)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def as_datetime(value: datetime | str | None) -> datetime | None:
    """SQLite hands timestamps back as the ISO text they were stored as."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


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
            (statements.ENSURE_DOMAIN, (domain,)),
            (statements.INSERT_KEY, (domain, hash_key(key), key_prefix(key), note, now())),
        )
        return key

    async def domain_for_key(self, key: str) -> str | None:
        wanted = hash_key(key)
        rows = await self._fetch(statements.KEY_DOMAIN, wanted)
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
        await self._execute((statements.KEY_USED, (at, key_hash, at - KEY_USE_RESOLUTION)))

    async def list_keys(self) -> list[KeyInfo]:
        return [
            KeyInfo(key_id, domain, prefix, note, as_datetime(created), as_datetime(revoked),
                    as_datetime(used))
            for key_id, domain, prefix, note, created, revoked, used
            in await self._fetch(statements.LIST_KEYS)
        ]

    async def revoke_key(self, key: str) -> bool:
        return await self._execute((statements.REVOKE_BY_HASH, (now(), hash_key(key)))) == [1]

    async def revoke_key_by_id(self, key_id: int) -> bool:
        return await self._execute((statements.REVOKE_BY_ID, (now(), key_id))) == [1]

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
            (statements.PRIVATE_GROUPS_CLEAR, (domain,)),
            *[(statements.PRIVATE_GROUP_ADD, (domain, group)) for group in sorted(set(groups))],
            *self._access_changed(domain),
        )

    async def access(self, domain: str) -> tuple[frozenset[str], str | None]:
        """The domain's private groups and its token secret (None until one is made)."""
        rows = await self._fetch(statements.ACCESS, domain, domain)
        secret = [value for kind, value in rows if kind == "secret"]
        return (frozenset(value for kind, value in rows if kind == "group"),
                secret[0] if secret else None)

    async def token_secret(self, domain: str) -> str | None:
        """The domain's token secret, made on first use; None for an unknown domain."""
        secret = await self._fetch_value(statements.TOKEN_SECRET, domain)
        if secret is None:
            await self._execute(
                (statements.ADD_TOKEN_SECRET.format(action="DO NOTHING"),
                 (new_token_secret(), now(), domain)),
                *self._access_changed(domain),
            )
            secret = await self._fetch_value(statements.TOKEN_SECRET, domain)
        return secret

    async def domain_rules(self, domain: str, name: str) -> str | None:
        return await self._fetch_value(statements.DOMAIN_RULES, domain, name)

    async def set_domain_rules(self, domain: str, name: str, rules: str) -> None:
        await self._execute((statements.SET_DOMAIN_RULES, (name, rules, domain)),
                            *self._access_changed(domain))

    async def rotate_token_secret(self, domain: str) -> str | None:
        """A new secret for the domain: tokens signed with the old one grant nothing."""
        action = "DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at"
        changed = await self._execute(
            (statements.ADD_TOKEN_SECRET.format(action=action),
             (new_token_secret(), now(), domain)),
            *self._access_changed(domain),
        )
        return await self._fetch_value(statements.TOKEN_SECRET, domain) if changed[0] else None

    # -- documents ------------------------------------------------------------------------

    async def domain_exists(self, domain: str) -> bool:
        return await self._fetch_value("SELECT 1 FROM domains WHERE name = ?", domain) == 1

    async def count(self, domain: str) -> int:
        return await self._fetch_value(
            f"SELECT count(*) FROM documents WHERE domain_id = {statements.DOMAIN_ID}", domain
        )

    async def count_all(self) -> int:
        return await self._fetch_value("SELECT count(*) FROM documents")

    async def documents(self, domain: str) -> AsyncIterator[Document]:
        # In pages by id, so exporting a large domain never holds all of it and
        # no transaction stays open while the caller works through it.
        last = 0
        while True:
            page = await self._fetch(statements.DOCUMENTS_PAGE, domain, last, PAGE_SIZE)
            for _id, url, title, group, popularity in page:
                yield Document(url, title, group, popularity)
            if len(page) < PAGE_SIZE:
                return
            last = page[-1][0]

    async def document_page(self, domain: str, after: int = 0, limit: int = 50,
                            words: Sequence[str] = (), url: str | None = None) -> DocumentPage:
        filters = (statements.TITLE_WORD_FILTER * len(words)
                   + (statements.URL_FILTER if url is not None else ""))
        args: list[Any] = [domain, after, *map(statements.like_prefix_of_word, words)]
        if url is not None:
            args.append(url)
        # One more row than asked tells whether another page follows.
        rows = await self._fetch(statements.DOCUMENTS_AFTER.format(filters=filters), *args,
                                 limit + 1)
        page = rows[:limit]
        return DocumentPage(
            documents=[Document(url, title, group, popularity)
                       for _id, url, title, group, popularity in page],
            after=page[-1][0] if len(rows) > limit else None,
        )

    # -- search counters ------------------------------------------------------------------

    async def add_fetches(self, counts: FetchCounts) -> None:
        await self._execute_many(
            statements.ADD_FETCHES,
            [(year, month, n, domain) for (domain, year, month), n in counts.items()]
        )

    async def fetches(self, domain: str) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {}
        for year, month, count in await self._fetch(statements.FETCHES, domain):
            result.setdefault(str(year), {})[str(month)] = count
        return result

    async def add_queries(self, counts: QueryCounts) -> None:
        """Merge ``counts`` into the days' Space-Saving summaries (MAX_QUERIES_PER_DAY):
        known queries add up, new ones fill the room left, then each further one takes
        the place of its day's least searched. Most searched first, so that the
        batch's own rare queries are the ones that give way to each other."""
        await self._add_to_summaries(counts, statements.QUERY_COUNTED,
                                     statements.QUERY_INSERTED, statements.QUERY_REPLACING)

    async def add_intents(self, counts: QueryCounts) -> None:
        """As `add_queries`, into the intents' summaries."""
        await self._add_to_summaries(counts, statements.INTENT_COUNTED,
                                     statements.INTENT_INSERTED, statements.INTENT_REPLACING)

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
        await self._execute_many(statements.INTENT_PART_SAVED, [
            (p.visitor, worker, p.first_at, p.last_at, p.domain, p.first_query, p.query,
             int(p.found)) for p in parts])

    async def take_intent_parts(self, ended_before: int) -> list[IntentPart]:
        return [IntentPart(visitor, first_at, last_at, domain, first_query, query,
                           bool(found))
                for visitor, first_at, last_at, domain, first_query, query, found
                in await self._take(statements.INTENT_PARTS_TAKEN, ended_before)]

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
        return await self._top(statements.TOP_QUERIES, domain, since, limit)

    async def top_intents(self, domain: str, since: date, limit: int) -> TopQueries:
        return await self._top(statements.TOP_INTENTS, domain, since, limit)

    async def found_intents(self, domain: str, since: date, min_count: int, limit: int
                            ) -> list[tuple[str, int]]:
        return [(query, n) for query, n in
                await self._fetch(statements.FOUND_INTENTS, domain, since, min_count, limit)]

    async def _top(self, sql: str, domain: str, since: date, limit: int) -> TopQueries:
        async def top(column: str) -> list[tuple[str, int]]:
            rows = await self._fetch(sql.format(column=column), domain, since, limit)
            return [(query, n) for query, n in rows]

        return TopQueries(queries=await top("searches"), misses=await top("misses"))

    async def daily_searches(self, domain: str, since: date) -> dict[date, int]:
        # SQLite hands the day back as the ISO text it was stored as.
        return {day if isinstance(day, date) else date.fromisoformat(day): n
                for day, n in await self._fetch(statements.DAILY_SEARCHES, domain, since)}

    # -- clicks ---------------------------------------------------------------------------

    async def add_clicks(self, clicks: Sequence[Click]) -> None:
        # One transaction: a failed batch leaves no fingerprint behind, so it can be
        # sent again; a fingerprint another worker holds makes its click not count.
        owner = uuid.uuid4().hex
        writes: list[Statement] = []
        for click in clicks:
            domain, url, query, day = click.domain, click.url, click.query, click.day
            is_new = (click.fingerprint, owner, domain, url)
            absent = (domain, url, query, day)
            least = (domain, day)
            writes += [
                (statements.MARK_CLICK_SEEN, (click.fingerprint, click.minute, owner)),
                (statements.CLICK_COUNTED, (domain, url, query, day, *is_new)),
                (statements.CLICK_INSERTED,
                 (url, query, day, domain, *is_new, *absent, domain, day)),
                (statements.CLICK_FOLDED, (domain, day, *least, *is_new, *absent)),
                (statements.CLICK_REPLACING, (url, query, domain, day, *least, *is_new, *absent)),
            ]
        if writes:
            await self._execute(*self._counts_locked(), *writes)

    async def prune_clicks(self, before_day: date, before_minute: int) -> int:
        pruned, _seen = await self._execute(
            ("DELETE FROM click_counts WHERE day < ?", (before_day,)),
            ("DELETE FROM clicks_seen WHERE minute < ?", (before_minute,)),
        )
        return pruned

    async def top_clicks(self, domain: str, since: date, limit: int) -> list[ClickedTitle]:
        return [ClickedTitle(url, title, n)
                for url, title, n in await self._fetch(statements.TOP_CLICKS, domain, since, limit)]

    async def query_clicks(self, domain: str, since: date, queries: Sequence[str]
                           ) -> dict[str, int]:
        if not queries:
            return {}
        sql = statements.QUERY_CLICKS.format(marks=", ".join("?" * len(queries)))
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
