"""The one search flow, the same on every engine; engines supply its steps.

Tiers, best first, popularity deciding within each (`core.ranking`):
1. the query's words as an in-order phrase of prefixes ("pyth te" → "Python testing"),
2. all the words as prefixes in any order ("testing pyth" → "Python testing"),
3. only when those find nothing, two ways of reading the query otherwise, the
   first that finds titles answering:
   a. joined words: two neighbouring query words written as one, for titles that
      write them together ("spider man" → "Spiderman", "java script" →
      "JavaScript", "node.js" → "NodeJS"); the joined forms found join `terms`;
   b. typos: titles that match once mistyped words are corrected (`core.typos`);
      the corrections join the query's words in `terms`.
4. only when tiers 1-3 find nothing for a query of two or more words: the words
   that match nothing in the searched titles (no title word starts with them,
   alone or joined with a neighbour, nor with a correction) are dropped, never all
   of them, and tiers 1-3 answer for the rest ("python zzzz" answers as
   "python"); `terms` holds only the words used.

Words written together in a title but split by punctuation ("Node.js",
"Spider-Man") need no tier of their own: the index holds them joined as well
(`core.text.joined_words`), so `nodejs` and `spiderman` find them in tiers 1
and 2, at no cost to the search. The widget highlights prefixes of the title's
words, and "Node.js" has no word starting with "nodejs": so `terms` also gets
the parts a query word spans in the titles found ("node", "js").

Typos only when the exact tiers find nothing (as Typesense does by default):
a query that finds titles as typed is answered from them, and the typo work,
which costs several times an exact search, is spent only where it can help.
The relevance suite passes the same cases either way (`make relevance`). The
same holds for tiers 3a and 4: a search that tiers 1 and 2 answer costs no more
steps than before they existed.

An engine answers each step in its own way (FTS5 expressions, an Elasticsearch
query); the order of the steps, when each tier runs and what `terms` holds are
decided here only.
"""

from abc import ABC, abstractmethod
from dataclasses import replace
from itertools import pairwise

from core.engine import Hit, SearchQuery, SearchResult
from core.text import MAX_WORD_LENGTH, spanned_parts

Fixes = dict[str, list[str]]
"""Query word -> its corrections, closest first."""


def joined_readings(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The query read with one pair of neighbouring words written as one, for each
    pair (at most MAX_QUERY_WORDS - 1): ("java", "script") -> [("javascript",)]."""
    return [(*words[:at], (first + second)[:MAX_WORD_LENGTH], *words[at + 2:])
            for at, (first, second) in enumerate(pairwise(words))]


def joined_forms(readings: list[tuple[str, ...]]) -> list[str]:
    """The word each of `joined_readings` joins: ("javascript",) for "java script"."""
    return [reading[at] for at, reading in enumerate(readings)]


class TieredEngine(ABC):
    """A `core.engine.SearchEngine` whose `search` is this module's flow."""

    async def search(self, query: SearchQuery) -> SearchResult:
        hits, terms, fixes = await self._tiers(query, None)
        if not hits and len(query.words) > 1:
            hits, terms = await self._without_unmatched(query, fixes, terms)
        # Corrections and joined words may span a title's joined words too.
        terms += [part for part in spanned_parts(terms, [hit.search_text for hit in hits])
                  if part not in terms]
        return SearchResult(hits=hits, terms=terms)

    async def _tiers(self, query: SearchQuery, fixes: Fixes | None
                     ) -> tuple[list[Hit], list[str], Fixes]:
        """Tiers 1 to 3: the hits, the terms, and the corrections (if they were needed;
        ``fixes`` are those known already)."""
        hits = await self.exact(query, query.size)
        terms = list(query.words)
        if hits:
            return hits, terms, fixes or {}
        if len(query.words) > 1:
            readings = joined_readings(query.words)
            if hits := await self.joined(query, readings, query.size):
                return hits, terms + used_joined(readings, query.words, hits), fixes or {}
        if fixes is None:
            fixes = await self.corrections(query)
        fixes = {word: found for word, found in fixes.items() if word in query.words}
        if fixes:
            hits = await self.corrected(query, fixes, query.size)
            terms.extend(fix for found in fixes.values() for fix in found)
        return hits, terms, fixes

    async def _without_unmatched(self, query: SearchQuery, fixes: Fixes, terms: list[str]
                                 ) -> tuple[list[Hit], list[str]]:
        """Tier 4: tiers 1 to 3 again, for the words that match something."""
        joined = joined_forms(joined_readings(query.words))
        present = await self.present(query, [*query.words, *joined])
        matched = set(fixes) | (present & set(query.words))
        for at, form in enumerate(joined):
            if form in present:  # "java script": "script" alone may match nothing
                matched.update(query.words[at:at + 2])
        kept = tuple(word for word in query.words if word in matched)
        if not kept or len(kept) == len(query.words):
            return [], terms
        hits, terms, _fixes = await self._tiers(replace(query, words=kept), fixes)
        return hits, terms

    @abstractmethod
    async def exact(self, query: SearchQuery, size: int) -> list[Hit]:
        """Tiers 1 and 2: at most ``size`` titles, best first."""

    @abstractmethod
    async def joined(self, query: SearchQuery, readings: list[tuple[str, ...]], size: int
                     ) -> list[Hit]:
        """Tier 3a: titles that have every word of one of ``readings`` as a prefix (in
        any order); at most ``size``, best first, ranked for the query's own words."""

    @abstractmethod
    async def corrections(self, query: SearchQuery) -> Fixes:
        """The corrections of the query's mistyped-looking words (`core.typos.corrections`),
        judged by the searched titles only: one domain, its asked-for groups."""

    @abstractmethod
    async def corrected(self, query: SearchQuery, fixes: Fixes, size: int) -> list[Hit]:
        """Tier 3b: titles with every word or one of its corrections as a prefix,
        none already found by tiers 1 and 2; at most ``size``, best first."""

    @abstractmethod
    async def present(self, query: SearchQuery, forms: list[str]) -> set[str]:
        """Those of ``forms`` that some searched title (the query's domain and groups)
        has a word starting with; one round trip at most."""


def used_joined(readings: list[tuple[str, ...]], words: tuple[str, ...], hits: list[Hit]
                ) -> list[str]:
    """The joined forms of ``readings`` that some hit has a word starting with."""
    texts = [f" {hit.search_text}" for hit in hits]
    return [form for form in dict.fromkeys(joined_forms(readings)) if form not in words
            and any(f" {form}" in text for text in texts)]
