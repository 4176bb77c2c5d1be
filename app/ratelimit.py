"""Rate limits: writes per key, searches per client address.

Limits are counted in each worker's memory (the `limits` library's fixed
windows), so with N workers a client may reach up to N times the limit; the
point is to stop runaway scripts and floods, not to bill precisely.
"""

import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter
from sanic import Request

from app.errors import ApiError


def parse_limit(text: str) -> RateLimitItem | None:
    """'50/second', '1000 per minute'; 'off' or '' for no limit. ValueError otherwise."""
    if text.strip().lower() in ("", "off", "none", "0"):
        return None
    return parse(text)


def client_address(request: Request) -> str:
    """The visitor's address: the connection's, or with TRUSTED_PROXIES the one the
    proxies name (Sanic's PROXIES_COUNT, see app/server.py)."""
    return request.remote_addr or request.ip


class RateLimits:
    def __init__(self, searches: str, writes: str) -> None:
        self._limiter = FixedWindowRateLimiter(MemoryStorage())
        self._searches = parse_limit(searches)
        self._writes = parse_limit(writes)

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

    async def _check(self, limit: RateLimitItem | None, kind: str, who: str, message: str) -> None:
        if limit is None or await self._limiter.hit(limit, kind, who):
            return
        stats = await self._limiter.get_window_stats(limit, kind, who)
        retry_after = max(1, int(stats.reset_time - time.time() + 0.999))
        raise ApiError(429, f"{message}; retry in {retry_after} s",
                       headers={"Retry-After": str(retry_after)})
