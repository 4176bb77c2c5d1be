"""Caches bounded by the bytes their entries hold, least recently used out first.

Why: a worker's memory is a budget in bytes (`embedded.memory.MemoryIndexes`), so
what searches leave behind counts in bytes too, not in entries: the merged
prefixes and typo corrections of the in-memory indexes (`QueryCaches`,
`embedded.domain_index`), and the FTS5 path's words and typo forms
(`embedded.fts5_vocabulary.Vocabulary`).
"""

import sys
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any


def strings_size(strings: list[str]) -> int:
    """Bytes a list of strings holds, the strings included."""
    return sys.getsizeof(strings) + sum(map(sys.getsizeof, strings))


class ByteBoundedCache:
    """Least recently used entries go first once their sizes add up to more than ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        if size > self.limit:
            return
        self.discard(key)
        self._entries[key] = (value, size)
        self.size += size
        while self.size > self.limit:
            _key, (_value, evicted) = self._entries.popitem(last=False)
            self.size -= evicted

    def discard(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.size -= entry[1]

    def discard_where(self, test: Callable[[Hashable], bool]) -> None:
        for key in [key for key in self._entries if test(key)]:
            self.discard(key)


FIXES_SHARE = 8
"""Of the query caches' bound, the share of each typed word's corrections (a tuple
of a few strings each: 1 MiB holds those of about 18,000 words); the merged
prefixes get the rest."""


@dataclass(frozen=True)
class QueryCaches:
    """What queries leave behind, each kind bounded on its own, so that many typos
    never push out the merged prefixes that most searches use. ``forms``: each typed
    word's corrections (`embedded.domain_index.DomainIndex.corrections`)."""

    prefixes: ByteBoundedCache
    forms: ByteBoundedCache

    @classmethod
    def within(cls, limit: int) -> "QueryCaches":
        fixes = limit // FIXES_SHARE
        return cls(ByteBoundedCache(limit - fixes), ByteBoundedCache(fixes))

    @property
    def limit(self) -> int:
        return self.prefixes.limit + self.forms.limit

    @property
    def size(self) -> int:
        return self.prefixes.size + self.forms.size

    def discard_where(self, test: Callable[[Hashable], bool]) -> None:
        self.prefixes.discard_where(test)
        self.forms.discard_where(test)
