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

An engine whose steps are round trips (`scaled.cluster`) saves most of them: it
guesses from word lists it holds anyway which words match nothing
(`likely_present`), so the corrections of those are made before the survey and
the survey also learns which of them the titles hold; and it searches the step
the flow then likely takes (`Guess`: the first word alone, the words kept, or the
corrected words) beside the survey, whose answer the flow uses when that is the
step it takes. A miss then costs it two round trips: the exact step and the
survey. The flow and its answers are the same whether or not a guess is right.

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
from dataclasses import dataclass, field, replace
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


@dataclass(frozen=True)
class Guess:
    """The step the flow likely takes after its survey, which an engine that batches
    searches beside it: the exact step (tiers 1, 2 and 3a) of ``words``, or, with
    ``fixes``, the corrected step of ``words``; for the query's size."""

    words: tuple[str, ...]
    fixes: Fixes | None = None
    then: "Guess | None" = None
    """The step after this one if it finds nothing, searched beside it too: for the
    corrected step of every word, the first word alone (`first_word_step`)."""


@dataclass
class Survey:
    """What one survey of a miss learned (`TieredEngine.survey`)."""

    present: set[str]
    leading: int | None = None
    """`leading_match` of the query's words with ``leading_fixes``; None if not asked."""
    leading_fixes: Fixes = field(default_factory=dict)
    guess: Guess | None = None
    """The step searched beside the survey, if any, and below its answer."""
    exact: tuple[list[Hit], list[Hit]] | None = None
    corrected: list[Hit] | None = None
    asked: frozenset[str] = frozenset()
    """The forms whose presence the survey learned (`present` holds those found)."""
    then: "Survey | None" = None
    """The answer of ``guess.then``, if searched (its ``guess``, ``exact`` or ``corrected``)."""

    def finds_nothing(self, words: tuple[str, ...]) -> bool:
        """Whether the exact step of ``words`` is known to find no title: one word
        that no searched title has (tiers 1 and 2 need it; no joined reading)."""
        return len(words) == 1 and words[0] in self.asked and words[0] not in self.present

    def exact_of(self, words: tuple[str, ...]) -> tuple[list[Hit], list[Hit]] | None:
        """The exact step's hits and joined hits for ``words``, if searched already."""
        if self.guess and self.guess.fixes is None and self.guess.words == words:
            return self.exact
        return self.then.exact_of(words) if self.then else None

    def corrected_of(self, words: tuple[str, ...], fixes: Fixes) -> list[Hit] | None:
        """The corrected step's hits for ``words`` and ``fixes``, if searched already."""
        if self.guess and self.guess.fixes == fixes and self.guess.words == words:
            return self.corrected
        return self.then.corrected_of(words, fixes) if self.then else None


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

    async def _tiers(self, query: SearchQuery, fixes: Fixes | None = None,
                     survey: Survey | None = None) -> tuple[list[Hit], list[str], str]:
        """Tiers 1 to 3 for the query's words: hits, terms and which tier answered.
        ``fixes``: the corrections known already, if any; ``survey``: a survey whose
        guessed step may be one of these."""
        readings = joined_readings(query.words)
        prepared = survey.exact_of(query.words) if survey else None
        if survey and survey.finds_nothing(query.words):
            prepared = [], []
        hits, joined = ((list(prepared[0]), prepared[1]) if prepared is not None
                        else await self.exact_and_joined(query, readings, query.size))
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
            hits = await self._corrected(query, fixes, survey)
            terms += found_in(corrections_of(fixes), hits)
        return hits, terms, "corrected" if hits else "none"

    async def _corrected(self, query: SearchQuery, fixes: Fixes, survey: Survey | None
                         ) -> list[Hit]:
        prepared = survey.corrected_of(query.words, fixes) if survey else None
        return prepared if prepared is not None else await self.corrected(query, fixes,
                                                                            query.size)

    async def _fewer_words(self, query: SearchQuery) -> tuple[list[Hit], list[str], str]:
        """Tier 3b for a query of several words, then tier 4: see the module docstring.
        Tiers 1, 2 and 3a found nothing for all the words."""
        words = query.words
        joined = joined_forms(joined_readings(words))
        synonyms = synonyms_of(query)
        survey, guessed, guessed_typos = await self._survey(query, joined, synonyms)
        missing = unmatched_words(words, joined, synonyms, survey.present)
        unmatched = missing[:MAX_CORRECTED]
        if guessed is not None and unmatched == guessed[:MAX_CORRECTED]:
            # Made already: those the searched titles hold (issue 25 item 10).
            typos = held(guessed_typos, survey.present)
        else:
            typos = (await self.corrections(replace(query, words=unmatched))
                     if unmatched else {})
        fixes = with_synonyms(typos, synonyms)
        kept = tuple(word for word in words if word not in missing or word in typos)
        if not kept:
            return [], list(words), "none"
        if typos and len(kept) == len(words):
            hits = await self._corrected(query, fixes, survey)
            if hits:
                return hits, [*words, *found_in(corrections_of(fixes), hits)], "corrected"
        if len(kept) < len(words):  # the words that match nothing dropped
            hits, terms, _tier = await self._tiers(replace(query, words=kept), fixes, survey)
            if hits or len(kept) == 1:
                return hits, terms, "fewer words" if hits else "none"
        # Then words dropped from the right, down to those the titles hold together.
        leading = (survey.leading if survey.leading is not None and kept == words
                   and survey.leading_fixes == fixes
                   else await self.leading_match(query, kept, fixes))
        hits, terms, _tier = await self._tiers(replace(query, words=kept[:max(1, leading)]),
                                               fixes, survey)
        return hits, terms, "fewer words" if hits else "none"

    async def _survey(self, query: SearchQuery, joined: list[str], synonyms: Fixes
                      ) -> tuple[Survey, tuple[str, ...] | None, Fixes]:
        """The survey of a miss of several words: which words, joined forms and synonyms
        the searched titles hold, with the engine's guess of the words that match nothing
        (None if it has none) and of their corrections, which the survey checks too."""
        words = query.words
        forms = list(dict.fromkeys([*words, *joined, *corrections_of(synonyms)]))
        expected = await self.likely_present(query, forms)
        guessed = None if expected is None else unmatched_words(words, joined, synonyms,
                                                                expected)
        typos = (await self.corrections(replace(query, words=guessed[:MAX_CORRECTED]))
                 if guessed else {})
        asked = list(dict.fromkeys([*forms, *corrections_of(typos)]))
        guess = likeliest_step(words, guessed or (), typos, synonyms)
        survey = await self.survey(query, asked, guess)
        return replace(survey, asked=frozenset(asked)), guessed, typos

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

    async def survey(self, query: SearchQuery, forms: list[str], guess: Guess | None = None
                     ) -> Survey:
        """`present` of ``forms``; and, if the engine can ask them in the same round trip,
        the `leading_match` of the query's words (with the fixes of ``guess``, if any)
        and the answer of ``guess`` (not asked by default: an engine that answers in
        memory has no round trip to save, and would walk titles for them)."""
        return Survey(await self.present(query, forms))

    async def likely_present(self, query: SearchQuery, forms: list[str]) -> set[str] | None:
        """Those of ``forms`` the engine expects some searched title to have a word
        starting with, judged without a round trip per search (from word lists it holds
        for the typo tier anyway); None if it cannot tell so cheaply (the default). Only
        a guess: the flow uses what the survey learns."""
        return None

    @abstractmethod
    async def leading_match(self, query: SearchQuery, words: tuple[str, ...], fixes: Fixes
                            ) -> int:
        """The largest k such that some searched title has a word starting with each of
        ``words[:k]`` or one of its ``fixes`` (in any order); 0 if not even the first.
        One round trip at most."""


def unmatched_words(words: tuple[str, ...], joined: list[str], synonyms: Fixes,
                    present: set[str]) -> tuple[str, ...]:
    """The words that match nothing when ``present`` are the forms the titles hold:
    neither as typed, nor joined with a neighbour, nor through a synonym."""
    matched = present & set(words)
    for at, form in enumerate(joined):
        if form in present:  # "java script": "script" alone may match nothing
            matched.update(words[at:at + 2])
    matched.update(word for word, stand_ins in synonyms.items()
                   if not present.isdisjoint(stand_ins))
    return tuple(word for word in words if word not in matched)


def likeliest_step(words: tuple[str, ...], unmatched: tuple[str, ...], typos: Fixes,
                   synonyms: Fixes) -> Guess | None:
    """The step `TieredEngine._fewer_words` takes after its survey if ``unmatched`` are
    the words that match nothing and ``typos`` their corrections: the words corrected
    when every word is kept, else the words kept; and when all match alone, the first
    word (what two words that match alone but not together answer with).

    The corrected step of every word finds nothing when no title has them together
    ("cxlc gnome": "calc" and "gnome" match alone); the flow then searches the first
    word alone (`TieredEngine._fewer_words`, the leading words the titles hold), so
    that step is guessed beside it (`Guess.then`): without it, such a miss cost a
    third round trip (issue 24)."""
    kept = tuple(word for word in words if word not in unmatched or word in typos)
    if not kept:
        return None
    if unmatched and kept == words:
        fixes = with_synonyms(typos, synonyms)
        return Guess(words, fixes, then=first_word_step(words, unmatched, fixes))
    return Guess(kept if unmatched else words[:1])


def first_word_step(words: tuple[str, ...], unmatched: tuple[str, ...], fixes: Fixes
                    ) -> Guess:
    """The step `TieredEngine._tiers` takes for the first of ``words`` alone: its
    corrected step when it matches nothing as typed (its exact step is known to find
    nothing), else its exact step."""
    first = words[0]
    if first in unmatched and fixes.get(first):
        return Guess(words[:1], {first: fixes[first]})
    return Guess(words[:1])


def held(typos: Fixes, present: set[str]) -> Fixes:
    """``typos`` without the corrections the searched titles do not hold (a word list
    cached before a title moved into a private group may still have them)."""
    kept = {word: [fix for fix in found if fix in present] for word, found in typos.items()}
    return {word: found for word, found in kept.items() if found}


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
