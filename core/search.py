"""The one search flow, the same on every engine; engines supply its steps.

Tiers, best first, popularity deciding within each (`core.ranking`):
1. the query's words as an in-order phrase of prefixes ("pyth te" → "Python testing"),
2. all the words as prefixes in any order ("testing pyth" → "Python testing"),
3. only when those find nothing: titles that match once mistyped words are
   corrected (`core.typos`); the corrections join the query's words in `terms`.

Typos only when the exact tiers find nothing (as Typesense does by default):
a query that finds titles as typed is answered from them, and the typo work,
which costs several times an exact search, is spent only where it can help.
The relevance suite passes the same cases either way (`make relevance`).

An engine answers each step in its own way (FTS5 expressions, an Elasticsearch
query); the order of the steps, when the typo tier runs and what `terms`
holds are decided here only.
"""

from abc import ABC, abstractmethod

from core.engine import Hit, SearchQuery, SearchResult

Fixes = dict[str, list[str]]
"""Query word -> its corrections, closest first."""


class TieredEngine(ABC):
    """A `core.engine.SearchEngine` whose `search` is this module's flow."""

    async def search(self, query: SearchQuery) -> SearchResult:
        hits = await self.exact(query, query.size)
        terms = list(query.words)
        if not hits and (fixes := await self.corrections(query)):
            hits += await self.corrected(query, fixes, query.size - len(hits))
            terms.extend(fix for found in fixes.values() for fix in found)
        return SearchResult(hits=hits, terms=terms)

    @abstractmethod
    async def exact(self, query: SearchQuery, size: int) -> list[Hit]:
        """Tiers 1 and 2: at most ``size`` titles, best first."""

    @abstractmethod
    async def corrections(self, query: SearchQuery) -> Fixes:
        """The corrections of the query's mistyped-looking words (`core.typos.corrections`),
        judged by the searched titles only: one domain, its asked-for groups."""

    @abstractmethod
    async def corrected(self, query: SearchQuery, fixes: Fixes, size: int) -> list[Hit]:
        """Tier 3: titles with every word or one of its corrections as a prefix,
        none already found by tiers 1 and 2; at most ``size``, best first."""
