"""The `Store` port: what the HTTP layer and the CLI need from a database."""

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Document:
    """One title of a domain; (domain, url) identifies it."""

    url: str
    title: str
    group: str = ""
    popularity: float = 0.0


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What may be shown of a key: never the key itself."""

    key_id: int
    domain: str
    prefix: str
    note: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None = None
    """When the key last opened a request, to the minute (see `KEY_USE_RESOLUTION`)."""


def last_wins(documents: Sequence[Document]) -> list[Document]:
    """One document per URL: the last one sent, at the place its URL first appeared
    (a bulk that sends a URL twice means the later title)."""
    by_url: dict[str, Document] = {}
    for document in documents:
        by_url[document.url] = document
    return list(by_url.values())


# (domain, year, month) -> number of searches
FetchCounts = Mapping[tuple[str, int, int], int]
# (domain, day, folded query text) -> (searches, searches without results)
QueryCounts = Mapping[tuple[str, date, str], tuple[int, int]]


@dataclass(slots=True)
class IntentPart:
    """What one worker saw of a visitor's burst of searches (app/http/counters.py
    `IntentTracker`): its first and last query and when (epoch milliseconds), and
    whether the last one found anything."""

    visitor: str
    first_at: int
    last_at: int
    domain: str
    first_query: str
    query: str
    found: bool


@dataclass(frozen=True, slots=True)
class TopQueries:
    """A domain's most frequent queries and most frequent queries that found nothing."""

    queries: list[tuple[str, int]]
    misses: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class Click:
    """A visitor's pick of ``url`` among the results for ``query`` (folded words)."""

    fingerprint: str
    """Who clicked which title on which day, hashed: one address adds one click to a
    title a day at most (`app.http.counters.ClickCounter`)."""
    minute: int
    """Minutes since the epoch (UTC) when it was clicked: how long its fingerprint is kept."""
    domain: str
    day: date
    url: str
    query: str


@dataclass(frozen=True, slots=True)
class ClickedTitle:
    url: str
    title: str
    clicks: int


@dataclass(frozen=True, slots=True)
class DocumentPage:
    """One page of a domain's documents in id order; ``after`` is the id to pass for the
    next page, None when this page is the last."""

    documents: list[Document]
    after: int | None


class StoreUnavailable(Exception):
    """The database cannot be reached or is too busy; the request may be retried."""


class IncompatibleStore(Exception):
    """The database was made by a version whose tables this one cannot use."""


class Store(Protocol):
    async def migrate(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> bool:
        """True when the database answers a trivial query; outages may raise
        StoreUnavailable instead, whose message says what is wrong."""
        ...

    async def create_key(self, domain: str, note: str = "") -> str:
        """Make a new key for ``domain`` (creating the domain) and return it."""
        ...

    async def domain_for_key(self, key: str) -> str | None:
        """The domain a live key belongs to, or None for unknown and revoked keys.

        Also records that the key was used, at most once a minute per key and
        process, so a busy key does not cost a database write per request."""
        ...

    async def list_keys(self) -> list[KeyInfo]: ...

    async def revoke_key(self, key: str) -> bool: ...

    async def revoke_key_by_id(self, key_id: int) -> bool: ...

    async def domain_exists(self, domain: str) -> bool: ...

    async def private_groups(self, domain: str) -> list[str]: ...

    async def set_private_groups(self, domain: str, groups: Sequence[str]) -> None:
        """Make exactly ``groups`` the domain's private groups, in one transaction."""
        ...

    async def access(self, domain: str) -> tuple[frozenset[str], str | None]:
        """The domain's private groups and its token secret (None until one is made),
        in one round trip."""
        ...

    async def token_secret(self, domain: str) -> str | None:
        """The domain's token secret, made on first use; None for an unknown domain."""
        ...

    async def rotate_token_secret(self, domain: str) -> str | None:
        """Replace the domain's token secret; None for an unknown domain."""
        ...

    async def domain_rules(self, domain: str, name: str) -> str | None:
        """The owner's settings of kind ``name`` ("synonyms", "suggestions") for the
        domain, as the JSON text stored; None if never set."""
        ...

    async def set_domain_rules(self, domain: str, name: str, rules: str) -> None:
        """Store ``rules`` (JSON text) for the domain, replacing those of the same
        ``name``; cached answers of the domain are not trusted after (as with
        `set_private_groups`)."""
        ...

    async def upsert(self, domain: str, documents: Sequence[Document]) -> int:
        """Store documents, replacing any with the same URL, in one transaction."""
        ...

    async def delete(self, domain: str, url: str) -> bool: ...

    async def flush(self, domain: str) -> int: ...

    async def count(self, domain: str) -> int: ...

    async def count_all(self) -> int:
        """Documents of every domain, for the metrics."""
        ...

    def documents(self, domain: str) -> AsyncIterator[Document]: ...

    async def document_page(self, domain: str, after: int = 0, limit: int = 50,
                            words: Sequence[str] = (), url: str | None = None) -> DocumentPage:
        """Up to ``limit`` documents with ids above ``after``, in id order (stable under
        writes elsewhere), each with a word of its title starting with each of ``words``
        (folded, as `core.text.words` gives them) and, when given, exactly ``url``."""
        ...

    async def add_fetches(self, counts: FetchCounts) -> None: ...

    async def fetches(self, domain: str) -> dict[str, dict[str, int]]: ...

    async def add_queries(self, counts: QueryCounts) -> None:
        """Add ``counts`` to each domain's day of query counts, a bounded summary in
        which often searched queries stay (`core.sql_statements.MAX_QUERIES_PER_DAY`)."""
        ...

    async def add_intents(self, counts: QueryCounts) -> None:
        """As `add_queries`, for intents: the queries bursts of searches ended on."""
        ...

    async def save_intent_parts(self, worker: str, parts: Sequence[IntentPart]) -> None:
        """Write ``worker``'s parts of bursts, replacing what it wrote of each before."""
        ...

    async def take_intent_parts(self, ended_before: int) -> list[IntentPart]:
        """Remove and return every part of the visitors whose parts all ended before
        ``ended_before`` (epoch milliseconds); each part is taken once."""
        ...

    async def top_intents(self, domain: str, since: date, limit: int) -> TopQueries:
        """As `top_queries`, for intents."""
        ...

    async def found_intents(self, domain: str, since: date, min_count: int, limit: int
                            ) -> list[tuple[str, int]]:
        """Up to ``limit`` intents from ``since`` on that found titles at least
        ``min_count`` times (searches less misses), with that number, most first,
        ties by text: what query suggestions are made of."""
        ...

    async def prune_queries(self, before: date) -> int:
        """Delete query and intent counts of days before ``before``; returns how many
        rows of query counts."""
        ...

    async def top_queries(self, domain: str, since: date, limit: int) -> TopQueries:
        """The ``limit`` most searched queries and misses from ``since`` (a UTC day) on."""
        ...

    async def daily_searches(self, domain: str, since: date) -> dict[date, int]:
        """Searches per UTC day from ``since`` on; days without searches are left out."""
        ...

    async def add_clicks(self, clicks: Sequence[Click]) -> None:
        """Count each click on a known URL whose fingerprint was not counted before,
        in one transaction (a failed batch may be sent again)."""
        ...

    async def prune_clicks(self, before_day: date, before_minute: int) -> int:
        """Delete click counts of days before ``before_day`` and fingerprints of minutes
        before ``before_minute``; returns how many click count rows went."""
        ...

    async def top_clicks(self, domain: str, since: date, limit: int) -> list[ClickedTitle]:
        """The ``limit`` most clicked titles that still exist, from ``since`` on."""
        ...

    async def query_clicks(self, domain: str, since: date, queries: Sequence[str]
                           ) -> dict[str, int]:
        """Clicks on results of each of ``queries`` from ``since`` on (absent: none)."""
        ...

    async def refresh_click_ranking(self, since: date, everything: bool = False) -> int:
        """Give each title whose clicks from ``since`` on changed its new ranking value
        (`core.ranking.ranking_value`) and hand it to the engine; ``everything``: check
        every clicked title (after a start, when the click settings may have changed).
        Returns how many titles moved."""
        ...
