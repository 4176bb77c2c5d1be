"""Rate limits: writes per key, searches per client address, and the engine time
each client address's searches take.

Limits are counted in each worker's memory (the `limits` library's fixed
windows), so with N workers a client may reach up to N times the limit; the
point is to stop runaway scripts and floods, not to bill precisely.

A count of requests alone lets one address keep a worker busy with searches
that each cost tens of milliseconds (many common words no title has together),
far under the request limit. So searches the engine runs are also charged
their measured time, in microseconds, against SEARCH_TIME_BUDGET (milliseconds
per window): an address whose time is spent is refused until its window ends.
The time is known only afterwards, so the check comes before a search and the
charge after it: an address overshoots by at most the searches it has in flight
(on the embedded engine, which searches on the worker's loop, one). Cached
answers cost no engine time and are not charged.
"""

import time
from typing import NoReturn

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter
from sanic import Request

from app.http.errors import ApiError
from app.shared.settings import parse_limit


def client_address(request: Request) -> str:
    """The visitor's address: the connection's, or with TRUSTED_PROXIES the one the
    proxies name (Sanic's PROXIES_COUNT, see app/http/server.py)."""
    return request.remote_addr or request.ip


def in_microseconds(milliseconds: RateLimitItem | None) -> RateLimitItem | None:
    """A budget of milliseconds per window as the same budget of microseconds, the
    unit searches are charged in: most take less than a millisecond."""
    if milliseconds is None:
        return None
    return type(milliseconds)(milliseconds.amount * 1000, milliseconds.multiples,
                              milliseconds.namespace)


class RateLimits:
    def __init__(self, searches: str, writes: str, search_time: str = "off") -> None:
        self._limiter = FixedWindowRateLimiter(MemoryStorage())
        self._searches = parse_limit(searches)
        self._writes = parse_limit(writes)
        self._search_time = in_microseconds(parse_limit(search_time))

    async def check_search(self, request: Request) -> None:
        if self._searches is None:
            return  # not even the client's address is worth working out
        await self._check(self._searches, "search", client_address(request),
                          "too many searches from this address")

    async def check_click(self, request: Request) -> None:
        """Clicks have a budget of their own, as large as the searches'."""
        if self._searches is None:
            return
        await self._check(self._searches, "click", client_address(request),
                          "too many clicks from this address")

    async def check_write(self, key_domain: str) -> None:
        await self._check(self._writes, "write", key_domain, "too many writes for this domain")

    async def check_search_time(self, request: Request) -> str | None:
        """Before the engine searches: a 429 when the client address has spent its
        engine time. Returns the address to `charge_search_time`, None without a budget."""
        if self._search_time is None:
            return None
        who = client_address(request)
        if not await self._limiter.test(self._search_time, "search-time", who):
            await self._refuse(self._search_time, "search-time", who,
                               "searches from this address took too much time")
        return who

    async def charge_search_time(self, who: str | None, seconds: float) -> None:
        """After the engine searched for ``who``: its time, counted even past the budget."""
        if who is not None and self._search_time is not None:
            await self._limiter.hit(self._search_time, "search-time", who,
                                    cost=max(1, round(seconds * 1_000_000)))

    async def _check(self, limit: RateLimitItem | None, kind: str, who: str, message: str) -> None:
        if limit is None or await self._limiter.hit(limit, kind, who):
            return
        await self._refuse(limit, kind, who, message)

    async def _refuse(self, limit: RateLimitItem, kind: str, who: str, message: str) -> NoReturn:
        """A 429 whose Retry-After is the end of ``who``'s window."""
        stats = await self._limiter.get_window_stats(limit, kind, who)
        retry_after = max(1, int(stats.reset_time - time.time() + 0.999))
        raise ApiError(429, f"{message}; retry in {retry_after} s",
                       headers={"Retry-After": str(retry_after)})
