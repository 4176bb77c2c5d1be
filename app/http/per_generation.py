"""A value per domain that a worker reads from the store and trusts while the engine's
generation for the domain stays the same: the embedded store bumps the generation
when the value changes, the scaled engine's generation is a half-second bucket
(`scaled.cluster.CACHE_SECONDS`). Private groups and token keys (app/http/access.py)
and synonyms (app/http/synonym_book.py) are kept so.
"""

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from cachetools import LRUCache

from core.store import StoreUnavailable

T = TypeVar("T")

MAX_CACHED_DOMAINS = 10_000
"""Domains a worker keeps a value for; only domains with keys exist, so strangers
cannot grow this."""


class PerGeneration(Generic[T]):
    """Each domain's value, as of the engine's generation for it."""

    def __init__(self, max_domains: int = MAX_CACHED_DOMAINS) -> None:
        self._entries: LRUCache[str, tuple[int, T]] = LRUCache(max_domains)

    def cached(self, domain: str, generation: int) -> T | None:
        """The value known at ``generation``, without a round trip; None if not known."""
        found = self._entries.get(domain)
        return found[1] if found is not None and found[0] == generation else None

    async def read(self, domain: str, generation: int, load: Callable[[], Awaitable[T]]
                   ) -> T | None:
        """``load()``'s value, kept for ``generation``. With the store away, the last
        value this worker read (better than none), or None if it never read one."""
        try:
            value = await load()
        except StoreUnavailable:
            last = self._entries.get(domain)
            return last[1] if last is not None else None
        self._entries[domain] = (generation, value)
        return value

    def forget(self, domain: str) -> None:
        """This worker changed the domain's value: read it again on the next search."""
        self._entries.pop(domain, None)
