"""Caches bounded by the bytes their entries hold, least recently used out first.

Why: a worker's memory is a budget in bytes (`embedded.memory.MemoryIndexes`), so
what searches leave behind counts in bytes too, not in entries: the merged
prefixes and typo corrections of the in-memory indexes (`QueryCaches`,
`embedded.domain_index`), and the FTS5 path's words and typo forms
(`embedded.fts5_vocabulary.Vocabulary`); those of the FTS5 path are kept per domain
while its generation stands (`FreshCache`).
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


class FreshCache:
    """Entries of each domain, kept while its generation stands, within ``limit_bytes``:
    keys start with the domain's id. Keys come from what strangers type, so the bound
    is in bytes."""

    def __init__(self, limit_bytes: int) -> None:
        self._generations: dict[int, int] = {}
        self._cache = ByteBoundedCache(limit_bytes)

    def fresh(self, domain_id: int, generation: int) -> None:
        """Drops the domain's entries if its generation moved since they were made."""
        if self._generations.get(domain_id) != generation:
            self._generations[domain_id] = generation
            self._cache.discard_where(lambda key: key[0] == domain_id)  # type: ignore[index]

    def holds(self, domain_id: int) -> bool:
        """Whether the domain may have entries (it was looked at since `forget`)."""
        return domain_id in self._generations

    def forget(self, domain_id: int) -> None:
        """Drop the domain's entries: its in-memory index answers for it now."""
        if self._generations.pop(domain_id, None) is not None:
            self._cache.discard_where(lambda key: key[0] == domain_id)  # type: ignore[index]

    def get(self, key: tuple[Any, ...]) -> Any:
        return self._cache.get(key)

    def put(self, key: tuple[Any, ...], value: Any, size: int) -> None:
        self._cache.put(key, value, size)

    @property
    def size(self) -> int:
        return self._cache.size
