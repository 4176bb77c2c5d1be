"""Cached search answers, reused while the domain's titles have not changed."""

from collections.abc import Hashable

from cachetools import LRUCache


class ResponseCache:
    def __init__(self, size: int) -> None:
        self._entries: LRUCache[Hashable, tuple[int, bytes]] | None = (
            LRUCache(maxsize=size) if size > 0 else None
        )
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, generation: int) -> bytes | None:
        entry = self._entries.get(key) if self._entries is not None else None
        if entry is not None and entry[0] == generation:
            self.hits += 1
            return entry[1]
        self.misses += 1
        return None

    def put(self, key: Hashable, generation: int, body: bytes) -> None:
        if self._entries is not None:
            self._entries[key] = (generation, body)
