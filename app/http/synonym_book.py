"""Each worker's copy of the domains' synonyms, trusted while the engine's generation
for a domain stays the same, as private groups are (app/http/access.py): the embedded
store bumps the generation when they change, the scaled engine's generation is a
half-second bucket (`scaled.cluster.CACHE_SECONDS`). Every search reads them, so a
domain's rules are read again at most every MIN_READ_SECONDS, whatever the generation
does: a change made on another worker or instance holds within about a second. The
owner's API for them: app/http/rules_api.py.
"""

import time

from cachetools import LRUCache

from app.shared.rules import SYNONYMS
from core.store import Store, StoreUnavailable
from core.synonyms import Synonyms

MAX_CACHED_DOMAINS = 10_000
"""Domains whose rules a worker keeps; only domains with keys have any."""
MIN_READ_SECONDS = 1.0
"""A domain's rules are read from the store at most this often per worker: on the
scaled setup the generation moves twice a second, and each read is a round trip."""


class SynonymBook:
    """Each domain's synonyms, as of the engine's generation for it."""

    def __init__(self, max_domains: int = MAX_CACHED_DOMAINS) -> None:
        # domain -> (generation, rules, when read)
        self._entries: LRUCache[str, tuple[int, Synonyms, float]] = LRUCache(max_domains)

    def cached(self, domain: str, generation: int) -> Synonyms | None:
        """The rules known at ``generation`` (or read under MIN_READ_SECONDS ago), without
        a round trip; None if not known."""
        found = self._entries.get(domain)
        if found is None:
            return None
        known_at, rules, read_at = found
        if known_at == generation or time.monotonic() - read_at < MIN_READ_SECONDS:
            return rules
        return None

    async def get(self, store: Store, domain: str, generation: int) -> Synonyms:
        """The domain's rules at ``generation``. With the database away, the last
        known ones (or none): synonyms widen a search, they never open a title."""
        if (known := self.cached(domain, generation)) is not None:
            return known
        try:
            stored = await store.domain_rules(domain, SYNONYMS.name)
        except StoreUnavailable:
            last = self._entries.get(domain)
            return last[1] if last is not None else Synonyms()
        rules = SYNONYMS.stored(stored)
        self._entries[domain] = (generation, rules, time.monotonic())
        return rules

    def forget(self, domain: str) -> None:
        """This worker changed the domain's rules: read them again on the next search."""
        self._entries.pop(domain, None)
