"""The one search flow, the same on every engine; engines supply its steps.

Tiers, best first, popularity deciding within each (`core.ranking`):
1. the query's words as an in-order phrase of prefixes ("pyth te" → "Python testing"),
2. all the words as prefixes in any order ("testing pyth" → "Python testing"),
3. a. joined words, beside tiers 1 and 2 while they leave room: two neighbouring
      query words written as one, for titles that write them together ("spider
      man" → "The Amazing Spider-Man" from tier 1, then "Spiderman: Homecoming";
      "java script" → "JavaScript"); the joined forms found join `terms`;
   b. synonyms, beside the tiers above while they leave room: titles with each
      word or, for a word the domain's synonyms name, one of the forms that stand
      for it (`core.synonyms`: "js" → "JavaScript"); the forms found join `terms`;
   c. typos, when nothing above finds a title: titles that match once the words
      that match nothing as typed are corrected (`core.typos`); the corrections
      join the query's words in `terms`, and a word's synonyms stand beside them.
4. no dead ends, for a query of several words that still finds nothing: first
   the words that match nothing in the searched titles (as typed, joined with a
   neighbour, or corrected) are dropped; then, while the words left find no
   title together, words are dropped from the right, as Typesense's
   `drop_tokens_threshold` does ("gnome sx", where both words match alone
   but no title has both, answers as "gnome"; "python zzzz" as "python").
   Tiers 1-3 answer for the words kept; `terms` holds only the words used, so
   the widget highlights nothing that was dropped.

A miss costs about what a hit costs: after the exact step (tiers 1, 2 and 3a,
one round trip where the engine can batch them), one survey learns which words
(and joined forms) the searched titles hold (`present`); only the words that
match nothing are corrected (the typo work is the dearest step), at most
MAX_CORRECTED of them; the words left are searched; if they still find nothing
together, one step learns how many leading words the titles hold together
(`leading_match`), and those are searched, which is known to find titles. So a
query of several words costs at most eleven steps whatever its length, and a
query whose words all match alone ("gnome sx") five or six.

Words written together in a title but split by punctuation ("Node.js",
"Spider-Man") need no tier of their own: the index holds them joined as well
(`core.text.joined_words`), so `nodejs` and `spiderman` find them in tiers 1
and 2, at no cost to the search. The widget highlights prefixes of the title's
words, and "Node.js" has no word starting with "nodejs": so `terms` also gets
the parts a query word spans in the titles found ("node", "js").

An engine answers each step in its own way (FTS5 expressions, an Elasticsearch
query, the in-memory index); the order of the steps, when each tier runs and
what `terms` holds are decided here only.
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


TIERS = ("exact", "joined", "synonym", "corrected", "fewer words", "none")
"""What `SearchResult.tier` says answered: tiers 1-2, 3a, 3b, 3c, 4, or nothing."""
MAX_CORRECTED = 3
"""Words of one query corrected at most (the first that match nothing): each costs
a scan of the candidate forms, and eight mistyped words cost eight."""


class TieredEngine(ABC):
    """A `core.engine.SearchEngine` whose `search` is this module's flow."""

    async def search(self, query: SearchQuery) -> SearchResult:
        hits, terms, tier = await self._tiers(query)
        if not hits and len(query.words) > 1:
            hits, terms, tier = await self._fewer_words(query)
        # Corrections and joined words may span a title's joined words too.
        terms += [part for part in spanned_parts(terms, [hit.search_text for hit in hits])
                  if part not in terms]
        return SearchResult(hits=hits, terms=terms, tier=tier)

    async def _tiers(self, query: SearchQuery, fixes: Fixes | None = None
                     ) -> tuple[list[Hit], list[str], str]:
        """Tiers 1 to 3 for the query's words: hits, terms and which tier answered.
        ``fixes``: the corrections known already, if any."""
        readings = joined_readings(query.words)
        hits, joined = await self.exact_and_joined(query, readings, query.size)
        terms = list(query.words)
        tier = "exact"
        found = {hit.url for hit in hits}
        if more := [hit for hit in joined if hit.url not in found][:query.size - len(hits)]:
            terms += used_joined(readings, query.words, more)
            tier = tier if hits else "joined"
            hits += more
        synonyms = synonyms_of(query)
        if synonyms and len(hits) < query.size:
            found = {hit.url for hit in hits}
            more = [hit for hit in await self.corrected(query, synonyms, query.size)
                    if hit.url not in found][:query.size - len(hits)]
            terms += found_in(corrections_of(synonyms), more)
            tier = tier if hits else "synonym"
            hits += more
        if hits:
            return hits, terms, tier
        if fixes is None:
            fixes = await self.corrections(query) if len(query.words) == 1 else {}
            if not fixes:  # the synonyms alone were asked above
                return hits, terms, "none"
            fixes = with_synonyms(fixes, synonyms)
        fixes = {word: found for word, found in fixes.items() if word in query.words}
        if fixes:
            hits = await self.corrected(query, fixes, query.size)
            terms += found_in(corrections_of(fixes), hits)
        return hits, terms, "corrected" if hits else "none"

    async def _fewer_words(self, query: SearchQuery) -> tuple[list[Hit], list[str], str]:
        """Tier 3b for a query of several words, then tier 4: see the module docstring.
        Tiers 1, 2 and 3a found nothing for all the words."""
        words = query.words
        joined = joined_forms(joined_readings(words))
        synonyms = synonyms_of(query)
        forms = [*words, *joined, *corrections_of(synonyms)]
        present, typed_leading = await self.survey(query, list(dict.fromkeys(forms)))
        matched = present & set(words)
        for at, form in enumerate(joined):
            if form in present:  # "java script": "script" alone may match nothing
                matched.update(words[at:at + 2])
        matched.update(word for word, stand_ins in synonyms.items()
                       if not present.isdisjoint(stand_ins))
        unmatched = [word for word in words if word not in matched][:MAX_CORRECTED]
        typos = (await self.corrections(replace(query, words=tuple(unmatched)))
                 if unmatched else {})
        fixes = with_synonyms(typos, synonyms)
        kept = tuple(word for word in words if word in matched or word in typos)
        if not kept:
            return [], list(words), "none"
        if typos and len(kept) == len(words):
            hits = await self.corrected(query, fixes, query.size)
            if hits:
                return hits, [*words, *found_in(corrections_of(fixes), hits)], "corrected"
        if len(kept) < len(words):  # the words that match nothing dropped
            hits, terms, _tier = await self._tiers(replace(query, words=kept), fixes)
            if hits or len(kept) == 1:
                return hits, terms, "fewer words" if hits else "none"
        # Then words dropped from the right, down to those the titles hold together.
        known = typed_leading is not None and not fixes and kept == words
        leading = typed_leading if known else await self.leading_match(query, kept, fixes)
        hits, terms, _tier = await self._tiers(replace(query, words=kept[:max(1, leading)]),
                                               fixes)
        return hits, terms, "fewer words" if hits else "none"

    async def exact_and_joined(self, query: SearchQuery, readings: list[tuple[str, ...]],
                               size: int) -> tuple[list[Hit], list[Hit]]:
        """Tiers 1 and 2, and tier 3a for ``readings`` (if any) when they leave room.
        An engine that can ask both at once (one `_msearch`) does."""
        hits = await self.exact(query, size)
        if not readings or len(hits) >= size:
            return hits, []
        return hits, await self.joined(query, readings, size)

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

    async def survey(self, query: SearchQuery, forms: list[str]) -> tuple[set[str], int | None]:
        """`present` of ``forms``, and the `leading_match` of the query's words as typed
        if the engine can ask both in one round trip (None if not: an engine that
        answers in memory has no round trip to save, and would walk titles for it)."""
        return await self.present(query, forms), None

    @abstractmethod
    async def leading_match(self, query: SearchQuery, words: tuple[str, ...], fixes: Fixes
                            ) -> int:
        """The largest k such that some searched title has a word starting with each of
        ``words[:k]`` or one of its ``fixes`` (in any order); 0 if not even the first.
        One round trip at most."""


def used_joined(readings: list[tuple[str, ...]], words: tuple[str, ...], hits: list[Hit]
                ) -> list[str]:
    """The joined forms of ``readings`` that some hit has a word starting with."""
    return found_in([form for form in dict.fromkeys(joined_forms(readings))
                     if form not in words], hits)


def synonyms_of(query: SearchQuery) -> Fixes:
    """The query's synonyms (`SearchQuery.synonyms`) as fixes: word -> forms."""
    return {word: list(forms) for word, forms in query.synonyms if word in query.words}


def with_synonyms(fixes: Fixes, synonyms: Fixes) -> Fixes:
    """Corrections and synonyms together: a word's synonyms first, then its corrections."""
    if not synonyms:
        return fixes
    return {word: list(dict.fromkeys([*synonyms.get(word, ()), *fixes.get(word, ())]))
            for word in dict.fromkeys([*synonyms, *fixes])}


def corrections_of(fixes: Fixes) -> list[str]:
    return list(dict.fromkeys(fix for found in fixes.values() for fix in found))


def found_in(forms: list[str], hits: list[Hit]) -> list[str]:
    """Those of ``forms`` that some hit has a word starting with: only they go to
    `terms`. A correction no title found is not shown, which also keeps a word
    from a stale word list (a title since moved into a private group) out of
    sight (issue 25, item 10)."""
    texts = [f" {hit.search_text}" for hit in hits]
    return [form for form in forms if any(f" {form}" in text for text in texts)]
