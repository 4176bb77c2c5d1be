"""The typo tier's vocabulary on ES/OpenSearch: a domain's words by first letter.

The embedded engine reads the FTS5 vocabulary (`embedded.engine.Vocabulary`);
here each document carries its title's distinct folded words in the `words`
field (`scaled.mapping.source`), and a terms aggregation over the documents
of the domain and the groups searched lists those starting with a letter. The
vocabulary is then the search's own, so every correction occurs where the
search looks and none comes from another site or a group not asked for.

Answers are cached per (domain, groups, letter) for the engine's generation
bucket (`SearchCluster.generation`, one second): within it a write may not be
searchable yet anyway. So are the candidate forms made from them for a word
length (`core.typos.candidate_forms`), which cost more than the rest of a typo
search (a third of a worker's time under load). The cache is emptied when the
bucket changes and holds at most MAX_ENTRIES lists and MAX_CACHED_WORDS words
and forms in between.
"""

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from core.typos import WordList, allowed_edits, candidate_forms, corrections

# More distinct words than this starting with one letter in one domain: the
# most frequent are kept (a terms aggregation orders by document count).
MAX_WORDS = 20_000
MAX_ENTRIES = 256
MAX_CACHED_WORDS = 200_000
"""Words and forms held in the cache at once, all entries together (about 15 MB)."""
# Lucene regular expression operators; a letter of `core.text.words` is
# never one, but a query is outside input all the same.
_REGEX_OPERATORS = frozenset('.?+*|{}[]()"\\#@&<>~^$-')

Key = tuple[object, ...]
Fetch = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def regex_literal(text: str) -> str:
    return "".join(f"\\{ch}" if ch in _REGEX_OPERATORS else ch for ch in text)


def vocabulary_body(domain: str, groups: tuple[str, ...], letters: list[str]
                    ) -> dict[str, Any]:
    """One search, no hits: an aggregation per letter over the searched documents."""
    return {
        "size": 0,
        "track_total_hits": False,
        "query": {"bool": {"filter": [{"term": {"domain": domain}},
                                      {"terms": {"group": ["", *groups]}}]}},
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


class ClusterVocabulary:
    def __init__(self, max_entries: int = MAX_ENTRIES,
                 max_words: int = MAX_CACHED_WORDS) -> None:
        self.max_entries = max_entries
        self.max_words = max_words
        self._generation: int | None = None
        self._cache: OrderedDict[Key, list[str] | WordList] = OrderedDict()
        self._words = 0

    async def starting_with(self, fetch: Fetch, generation: int, domain: str,
                            groups: tuple[str, ...], letters: set[str]
                            ) -> dict[str, list[str]]:
        """The searched documents' words starting with each of ``letters``."""
        if generation != self._generation:
            self._cache.clear()
            self._words = 0
            self._generation = generation
        groups = searched_groups(groups)
        found: dict[str, list[str]] = {}
        missing = []
        for letter in sorted(letters):
            if isinstance(cached := self._cached(("words", domain, groups, letter)), list):
                found[letter] = cached
            else:
                missing.append(letter)
        if missing:
            body = await fetch(vocabulary_body(domain, groups, missing))
            aggregations = body.get("aggregations") or {}
            for i, letter in enumerate(missing):
                buckets = (aggregations.get(f"l{i}") or {}).get("buckets", [])
                terms = [bucket["key"] for bucket in buckets]
                found[letter] = terms
                if generation == self._generation:  # not emptied while fetching
                    self._keep(("words", domain, groups, letter), terms)
        return found

    def _cached(self, key: Key) -> list[str] | WordList | None:
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        return None

    def _keep(self, key: Key, terms: list[str] | WordList) -> None:
        if key in self._cache:
            self._words -= _size(self._cache.pop(key))
        self._cache[key] = terms
        self._words += _size(terms)
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
            site, forms = self._site_and_forms(domain, groups, word, vocabulary[word[0]])
            if found := corrections(word, (), site, forms=forms):
                fixes[word] = found
        return fixes

    def _site_and_forms(self, domain: str, groups: tuple[str, ...], word: str,
                        vocabulary: list[str]) -> tuple[WordList, list[str]]:
        """The letter's words as a `core.typos.Site`, and the candidate forms for a word
        of this length; both made once per generation bucket."""
        edits = allowed_edits(word)
        site_key = ("site", domain, groups, word[0])
        forms_key = ("forms", domain, groups, word[0], len(word), edits)
        site = self._cached(site_key)
        if not isinstance(site, WordList):
            site = WordList(vocabulary)
            self._keep(site_key, site)
        forms = self._cached(forms_key)
        if not isinstance(forms, list):
            forms = list(candidate_forms(word, vocabulary, edits))
            self._keep(forms_key, forms)
        return site, forms


def _size(entry: list[str] | WordList) -> int:
    return len(entry.words) if isinstance(entry, WordList) else len(entry)
