"""What the site owner's statistics show of the last QUERY_RETENTION_DAYS: top queries
and misses (as intents), every search, and the clicks, read from the store.

Shared because `GET /v1/stats` (app/http/v1.py) and `autocompeter stats` show the same
numbers, and the click counter and `copy` use the same window.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from core.store import ClickedTitle, Store, TopQueries

QUERY_RETENTION_DAYS = 30
"""Query counts older than this are deleted: /v1/stats shows the last 30 days."""
TOP_QUERIES_LIMIT = 10


def window_start() -> date:
    """The first UTC day of the last QUERY_RETENTION_DAYS, today included: the window of
    the top queries, the clicks shown and the clicks that rank."""
    return datetime.now(UTC).date() - timedelta(days=QUERY_RETENTION_DAYS - 1)


async def recent_top_queries(store: Store, domain: str) -> TopQueries:
    """The domain's top queries and misses of the window (`window_start`), as intents
    (app/http/intents.py): what `GET /v1/stats` and `autocompeter stats` show."""
    return await store.top_intents(domain, window_start(), TOP_QUERIES_LIMIT)


async def recent_top_searches(store: Store, domain: str) -> TopQueries:
    """As `recent_top_queries`, counting every search request (each prefix typed)."""
    return await store.top_queries(domain, window_start(), TOP_QUERIES_LIMIT)


@dataclass(frozen=True, slots=True)
class RecentClicks:
    top: list[ClickedTitle]
    by_query: dict[str, int]
    """Clicks on results of each of the top queries (absent: none)."""

    def click_through(self, query: str, searches: int) -> float:
        """Clicks per search of ``query``, rounded to 3 places."""
        return round(self.by_query.get(query, 0) / searches, 3) if searches else 0.0


async def recent_clicks(store: Store, domain: str, top: TopQueries) -> RecentClicks:
    """The most clicked titles of the window, and the clicks of the top ``top`` queries."""
    since = window_start()
    return RecentClicks(
        top=await store.top_clicks(domain, since, TOP_QUERIES_LIMIT),
        by_query=await store.query_clicks(domain, since, [q for q, _n in top.queries]),
    )
