"""Each worker's copy of the domains' synonyms, trusted while the engine's generation
for a domain stays the same, as private groups are (app/http/access.py): the embedded
store bumps the generation when they change, so the next search on any worker
reads them again; the scaled engine's generation is a half-second bucket
(`scaled.cluster.CACHE_SECONDS`): there a domain's rules are read at most twice a
second per worker, one small round trip each. The owner's API for them:
app/http/rules_api.py.
"""

from app.http.per_generation import PerGeneration
from app.shared.rules import SYNONYMS
from core.store import Store
from core.synonyms import Synonyms


class SynonymBook(PerGeneration[Synonyms]):
    """Each domain's synonyms, as of the engine's generation for it."""

    async def get(self, store: Store, domain: str, generation: int) -> Synonyms:
        """The domain's rules at ``generation``. With the database away, the last
        known ones (or none): synonyms widen a search, they never open a title."""
        if (known := self.cached(domain, generation)) is not None:
            return known
        found = await self.read(domain, generation, lambda: read_synonyms(store, domain))
        return found if found is not None else Synonyms()


async def read_synonyms(store: Store, domain: str) -> Synonyms:
    return SYNONYMS.stored(await store.domain_rules(domain, SYNONYMS.name))
