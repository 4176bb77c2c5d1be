"""Each worker's copy of the domains' synonyms, trusted while the engine's generation
for a domain stays the same, as private groups are (app/http/access.py): the embedded
store bumps the generation when they change, so the next search on any worker
reads them again; the scaled engine's generation is a half-second bucket
(`scaled.cluster.CACHE_SECONDS`): there a domain's rules are read at most twice a
second per worker, one small round trip each. The owner's API for them:
app/http/rules_api.py.
"""

from cachetools import LRUCache

from app.shared.rules import SYNONYMS
from core.store import Store, StoreUnavailable
from core.synonyms import Synonyms

MAX_CACHED_DOMAINS = 10_000
"""Domains whose rules a worker keeps; only domains with keys have any."""


class SynonymBook:
    """Each domain's synonyms, as of the engine's generation for it."""

    def __init__(self, max_domains: int = MAX_CACHED_DOMAINS) -> None:
        self._entries: LRUCache[str, tuple[int, Synonyms]] = LRUCache(max_domains)

    def cached(self, domain: str, generation: int) -> Synonyms | None:
        """The rules known at ``generation``, without a round trip; None if not known."""
        found = self._entries.get(domain)
        return found[1] if found is not None and found[0] == generation else None

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
        self._entries[domain] = (generation, rules)
        return rules

    def forget(self, domain: str) -> None:
        """This worker changed the domain's rules: read them again on the next search."""
        self._entries.pop(domain, None)
