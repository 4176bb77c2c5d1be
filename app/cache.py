"""Cached search answers, reused while the domain's titles have not changed."""

from collections.abc import Hashable
from typing import NamedTuple

from cachetools import LRUCache

from app.metrics import CACHE_HITS, CACHE_MISSES


class Answer(NamedTuple):
    body: bytes
    found: bool
    """Whether it had any results: the query analytics count misses, cached or not."""


class ResponseCache:
    def __init__(self, size: int) -> None:
        self._entries: LRUCache[Hashable, tuple[int, Answer]] | None = (
            LRUCache(maxsize=size) if size > 0 else None
        )

    def get(self, key: Hashable, generation: int) -> Answer | None:
        entry = self._entries.get(key) if self._entries is not None else None
        if entry is not None and entry[0] == generation:
            CACHE_HITS.inc()
            return entry[1]
        CACHE_MISSES.inc()
        return None

    def put(self, key: Hashable, generation: int, answer: Answer) -> None:
        if self._entries is not None:
            self._entries[key] = (generation, answer)
