"""Query strings already parsed into searches: a repeated search skips validation and
folding, most of what a cached answer (response_cache.py) would otherwise cost.

Each worker keeps its own, bounded, since strangers choose the query strings.
"""

from typing import NamedTuple

from core.engine import SearchQuery


class AskedSearch(NamedTuple):
    """A search as its query string asks for it, before app/http/access.py narrows its
    groups to what ``token`` allows (which may change while the string does not)."""

    query: SearchQuery
    token: str = ""
    suggestions: int = 0
    """How many query suggestions to add (app/http/suggestions.py): not part of the
    query, so the cached answer is shared by searches asking any number."""


class ParsedSearches:
    """One worker's query strings and the searches they ask for.

    Bounded: only query strings up to MAX_KEY_LENGTH characters are kept, at most
    ``max_entries`` of them (about 1 kB each at worst), the oldest dropped first.
    Only valid searches are kept; an invalid one is parsed again, to say why.
    """

    MAX_KEY_LENGTH = 400

    def __init__(self, max_entries: int = 2048) -> None:
        self._max_entries = max_entries
        self._entries: dict[str, AskedSearch] = {}

    def get(self, query_string: str) -> AskedSearch | None:
        return self._entries.get(query_string)

    def put(self, query_string: str, search: AskedSearch) -> None:
        if len(query_string) > self.MAX_KEY_LENGTH or self._max_entries <= 0:
            return
        if len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[query_string] = search
