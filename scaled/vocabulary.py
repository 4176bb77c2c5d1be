"""The typo tier's vocabulary on ES/OpenSearch: a domain's words by first letter.

The embedded engine reads the FTS5 vocabulary (`embedded.fts5_vocabulary.Vocabulary`);
here each document carries its title's distinct folded words in the `words`
field (`scaled.mapping.source`), and a terms aggregation over the documents
of the domain and the groups searched lists those starting with a letter. The
vocabulary is then the search's own, so every correction occurs where the
search looks and none comes from another site or a group not asked for.

Answers are cached per (domain, groups, letter), in the engine's generation
buckets (`SearchCluster.generation`, CACHE_SECONDS = 0.5 s). One fetched fewer
than REFRESH_BUCKETS ago (10 s) is used as it is; an older one, up to
STALE_BUCKETS (60 s), is used too while a request in the background fetches the
letter again; an answer older than that is fetched before the search. The
aggregation takes the engine 5-80 ms for a letter of the Debian corpus (`l` the
most): fetched again every bucket, as it was while a bucket was one second, a
stream of typos over every letter would have each worker ask for 26 of them
twice a second, more work than the searches themselves. The cost is that a
word new to a domain becomes a correction up to 10 s after its title is
searchable (it is found as typed at once).

A cached list may hold words the searched titles no longer have (a title moved
into a private group, edited or deleted since). A correction made from such a
word costs no check of its own: the corrected search is filtered by the domain
and groups searched, so it finds no title the search may not see, and only the
corrections some hit has go to `terms` (`core.search.found_in`), so no search is
offered a word its groups lost, whichever instance cached the list (issue 25,
item 10). A search of several words learns in its survey which corrections the
searched titles hold (`core.search`).

A letter's `core.typo_index.TypoIndex`, which finds a typo's candidate forms
from the letters they hold instead of comparing every form of the letter (made
again for every typo search, the forms had taken a third of a worker's time
under load; compared all, 1.3 ms of CPU a typo search), and its `WordList` are
kept as long as the words they were made from are unchanged. The cache holds at
most MAX_ENTRIES entries and MAX_CACHED_WORDS words, least recently used going
first.
"""

import asyncio
import bisect
import itertools
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.typo_index import TypoIndex
from core.typos import WordList, allowed_edits, chosen
from scaled.mapping import MAX_GRAM

log = logging.getLogger("autocompeter")

# More distinct words than this starting with one letter in one domain: the
# most frequent are kept (a terms aggregation orders by document count).
MAX_WORDS = 20_000
MAX_ENTRIES = 256
MAX_CACHED_WORDS = 200_000
"""Words and forms held in the cache at once, all entries together (about 15 MB)."""
REFRESH_BUCKETS = 20
"""Generation buckets (0.5 s each) a letter's words are used for before they are
fetched again in the background: 10 s."""
STALE_BUCKETS = 120
"""How many generation buckets old a letter's words may be and still be used while they
are fetched again: 60 s."""
FIRST_FETCH_SECONDS = 0.25
"""How long a search waits for the words of a letter it has none of. The aggregation
takes 5-80 ms on a warm node; on a three-node cluster just loaded, the first one on
each copy took 1-1.3 s, past the search timeout, and every typo search of the letter
answered 503 until the copies were warm. Past this wait a search is answered without
corrections from that letter, and the fetch goes on for the searches after it."""
# Lucene regular expression operators; a letter of `core.text.words` is
# never one, but a query is outside input all the same.
_REGEX_OPERATORS = frozenset('.?+*|{}[]()"\\#@&<>~^$-')

Key = tuple[object, ...]
Fetch = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def regex_literal(text: str) -> str:
    return "".join(f"\\{ch}" if ch in _REGEX_OPERATORS else ch for ch in text)


def searched_documents(domain: str, groups: tuple[str, ...]) -> list[dict[str, Any]]:
    """The filters of the documents a search looks at: its domain, its groups."""
    return [{"term": {"domain": domain}}, {"terms": {"group": ["", *groups]}}]


def vocabulary_body(domain: str, groups: tuple[str, ...], letters: list[str]
                    ) -> dict[str, Any]:
    """One search, no hits: an aggregation per letter over the searched documents."""
    return {
        "size": 0,
        "track_total_hits": False,
        "query": {"bool": {"filter": searched_documents(domain, groups)}},
        "aggs": {
            f"l{i}": {"terms": {
                "field": "words",
                "include": f"{regex_literal(letter)}.*",
                "size": MAX_WORDS,
                # A domain is usually a small part of the index: collecting its
                # documents' values beats global ordinals over every domain's
                # words (rebuilt after each refresh).
                "execution_hint": "map",
            }}
            for i, letter in enumerate(letters)
        },
    }


def searched_groups(groups: tuple[str, ...]) -> tuple[str, ...]:
    """The groups asked for, as the cache keys them: one spelling for one search."""
    return tuple(sorted(set(groups) - {""}))


def words_key(domain: str, groups: tuple[str, ...], letter: str) -> Key:
    return ("words", domain, groups, letter)


@dataclass
class Words:
    """A letter's words, in order, the generation bucket they were fetched in, and a
    version that changes only when the words do (the forms made from them stay valid)."""

    terms: list[str]
    fetched: int
    version: int


Entry = Words | list[str] | WordList | TypoIndex


class ClusterVocabulary:
    def __init__(self, max_entries: int = MAX_ENTRIES,
                 max_words: int = MAX_CACHED_WORDS) -> None:
        self.max_entries = max_entries
        self.max_words = max_words
        self._cache: OrderedDict[Key, Entry] = OrderedDict()
        self._words = 0
        self._versions = itertools.count()
        self.refreshing: dict[Key, asyncio.Task[None]] = {}

    async def starting_with(self, fetch: Fetch, generation: int, domain: str,
                            groups: tuple[str, ...], letters: set[str]) -> dict[str, Words]:
        """The searched documents' words starting with each of ``letters``; a letter none
        are cached of is left out if they could not be had within FIRST_FETCH_SECONDS."""
        groups = searched_groups(groups)
        found: dict[str, Words] = {}
        missing = []
        for letter in sorted(letters):
            cached = self._cached(words_key(domain, groups, letter))
            if isinstance(cached, Words) and generation - cached.fetched <= STALE_BUCKETS:
                found[letter] = cached
                if generation - cached.fetched >= REFRESH_BUCKETS:
                    self._refresh(fetch, generation, domain, groups, letter)
            else:
                missing.append(letter)
        if missing:
            found.update(await self._first_fetch(fetch, generation, domain, groups, missing))
        return found

    async def _first_fetch(self, fetch: Fetch, generation: int, domain: str,
                           groups: tuple[str, ...], letters: list[str]) -> dict[str, Words]:
        """The words of ``letters``, none of them cached: one fetch for the letters no fetch
        is under way for, waited for at most FIRST_FETCH_SECONDS; it goes on after that,
        for the searches to come."""
        keys = {letter: words_key(domain, groups, letter) for letter in letters}
        if new := [letter for letter in letters if keys[letter] not in self.refreshing]:
            self._track([keys[letter] for letter in new], asyncio.create_task(
                self._fetch_quietly(fetch, generation, domain, groups, new)))
        await asyncio.wait({self.refreshing[key] for key in keys.values()
                            if key in self.refreshing}, timeout=FIRST_FETCH_SECONDS)
        found = {}
        for letter, key in keys.items():
            cached = self._cached(key)
            if isinstance(cached, Words) and generation - cached.fetched <= STALE_BUCKETS:
                found[letter] = cached
        return found

    async def _fetch(self, fetch: Fetch, generation: int, domain: str,
                     groups: tuple[str, ...], letters: list[str]) -> dict[str, Words]:
        body = await fetch(vocabulary_body(domain, groups, letters))
        aggregations = body.get("aggregations") or {}
        found = {}
        for i, letter in enumerate(letters):
            buckets = (aggregations.get(f"l{i}") or {}).get("buckets", [])
            # In order, for `likely_present` to find the words that start with a form.
            found[letter] = self._store(words_key(domain, groups, letter),
                                        sorted(bucket["key"] for bucket in buckets), generation)
        return found

    def _store(self, key: Key, terms: list[str], generation: int) -> Words:
        cached = self._cached(key)
        if isinstance(cached, Words) and cached.terms == terms:
            cached.fetched = max(cached.fetched, generation)
            return cached
        words = Words(terms, generation, next(self._versions))
        self._keep(key, words)
        return words

    def _refresh(self, fetch: Fetch, generation: int, domain: str, groups: tuple[str, ...],
                 letter: str) -> None:
        """Fetch a letter's words again in the background, once at a time."""
        key = words_key(domain, groups, letter)
        if key not in self.refreshing:
            self._track([key], asyncio.create_task(
                self._fetch_quietly(fetch, generation, domain, groups, [letter])))

    def _track(self, keys: list[Key], task: "asyncio.Task[None]") -> None:
        """``task`` fetches the words of ``keys``: later searches join it until it is done."""
        for key in keys:
            self.refreshing[key] = task

        def done(_task: "asyncio.Task[None]") -> None:
            for key in keys:
                if self.refreshing.get(key) is task:
                    del self.refreshing[key]

        task.add_done_callback(done)

    async def _fetch_quietly(self, fetch: Fetch, generation: int, domain: str,
                             groups: tuple[str, ...], letters: list[str]) -> None:
        try:
            await self._fetch(fetch, generation, domain, groups, letters)
        except Exception as error:  # stale words, or no corrections, until the next try
            log.debug("fetching the %s words of %s failed: %s", letters, domain, error)

    def close(self) -> None:
        for task in self.refreshing.values():
            task.cancel()

    def _cached(self, key: Key) -> Entry | None:
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        return None

    def _keep(self, key: Key, entry: Entry) -> None:
        if key in self._cache:
            self._words -= _size(self._cache.pop(key))
        self._cache[key] = entry
        self._words += _size(entry)
        while len(self._cache) > self.max_entries or self._words > self.max_words:
            _key, evicted = self._cache.popitem(last=False)
            self._words -= _size(evicted)

    async def corrections(self, fetch: Fetch, generation: int, domain: str,
                          groups: tuple[str, ...], words: tuple[str, ...]
                          ) -> dict[str, list[str]]:
        """Each mistyped-looking word's corrections, as `embedded.engine` finds them."""
        checked = [word for word in words if allowed_edits(word)]
        if not checked:
            return {}
        vocabulary = await self.starting_with(fetch, generation, domain, groups,
                                              {word[0] for word in checked})
        groups = searched_groups(groups)
        fixes = {}
        for word in checked:
            if word[0] not in vocabulary:  # not had in time: no corrections this time
                continue
            site, typos = self._site_and_typos(domain, groups, word, vocabulary[word[0]])
            if found := chosen(word, typos.matches(word), site):
                fixes[word] = found
        return fixes

    async def likely_present(self, fetch: Fetch, generation: int, domain: str,
                             groups: tuple[str, ...], words: tuple[str, ...], forms: list[str]
                             ) -> set[str]:
        """Those of ``forms`` that the searched documents' word lists hold a word starting
        with, or cannot tell about (a list cut at MAX_WORDS, or not had in time): a guess,
        as old as the lists (`starting_with`: a letter's list is fetched once, then in the
        background). Only the letters of the query's ``words`` long enough to be corrected
        have their lists fetched for this, as their corrections would; a form of another
        letter is judged by its letter's list if cached, else taken to match."""
        vocabulary = await self.starting_with(fetch, generation, domain, groups,
                                              {word[0] for word in words if allowed_edits(word)})
        groups = searched_groups(groups)
        found = set()
        for form in forms:
            words = vocabulary.get(form[0]) or self._cached(words_key(domain, groups, form[0]))
            if not isinstance(words, Words) or len(words.terms) >= MAX_WORDS:
                found.add(form)
                continue
            prefix = form[:MAX_GRAM]  # the index holds no longer prefixes
            at = bisect.bisect_left(words.terms, prefix)
            if at < len(words.terms) and words.terms[at].startswith(prefix):
                found.add(form)
        return found

    def _site_and_typos(self, domain: str, groups: tuple[str, ...], word: str,
                        vocabulary: Words) -> tuple[WordList, TypoIndex]:
        """The letter's words as a `core.typos.Site`, and their `core.typo_index.TypoIndex`
        (a typo compared with a few dozen forms, not every form of its letter: 1.3 ms of
        CPU a typo search on the Debian corpus before); both made once per version of the
        words, which are sorted."""
        site_key = ("site", domain, groups, word[0], vocabulary.version)
        typos_key = ("typos", domain, groups, word[0], vocabulary.version)
        site = self._cached(site_key)
        if not isinstance(site, WordList):
            site = WordList(vocabulary.terms)
            self._keep(site_key, site)
        typos = self._cached(typos_key)
        if not isinstance(typos, TypoIndex):
            typos = TypoIndex(vocabulary.terms)
            self._keep(typos_key, typos)
        return site, typos


def _size(entry: Entry) -> int:
    if isinstance(entry, Words):
        return len(entry.terms)
    # A typo index holds a bitset per letter for each length of the words' forms: about
    # as much as the words themselves.
    return len(entry.words) if isinstance(entry, WordList | TypoIndex) else len(entry)
