"""Cached search answers, reused while the domain's titles have not changed.

Bounded in bytes, not entries: one answer may be 50 bytes or 50 kB (a
hundred long titles), and a stranger chooses which queries and groups fill it.

An answer is kept the second time its search misses, not the first (a
"doorkeeper", as in TinyLFU): most searches are prefixes typed once, and
keeping each of those cost a twentieth of a worker's time on never-seen
queries and pushed out the answers that are asked for again.
"""

from collections import OrderedDict
from typing import NamedTuple

from app.http.metrics import CACHE_HITS, CACHE_MISSES, TALLY
from core.engine import SearchQuery

# What a cached entry costs beyond its body and its key's text: the query, the
# tuples, the bytes object's header, the LRU's bookkeeping. Measured with
# tracemalloc on CPython 3.11: 512 bytes for two short words.
ENTRY_OVERHEAD_BYTES = 500
SEEN_ONCE_LIMIT = 16_384
"""Searches remembered as missed once (their hashes: about 1 MB at most); the
memory starts afresh when full."""


class Answer(NamedTuple):
    body: bytes
    found: bool
    """Whether it had any results: the query analytics count misses, cached or not."""


class Cached(NamedTuple):
    generation: int
    answer: Answer
    size: int


def entry_size(query: SearchQuery, answer: Answer) -> int:
    text = len(query.domain) + sum(map(len, query.words)) + sum(map(len, query.groups))
    return ENTRY_OVERHEAD_BYTES + len(answer.body) + text


class ResponseCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        # Least recently used first. An OrderedDict, not cachetools' LRUCache: a hit
        # there is five Python calls and three hashes of the query, a twentieth of a
        # cached search's time; here one look-up and a move, both in C.
        self._entries: OrderedDict[SearchQuery, Cached] = OrderedDict()
        self._bytes = 0
        self._seen_once: set[int] = set()

    def get(self, query: SearchQuery, generation: int) -> Answer | None:
        entry = self._entries.get(query)
        if entry is not None and entry.generation == generation:
            self._entries.move_to_end(query)
            TALLY.inc(CACHE_HITS)
            return entry.answer
        TALLY.inc(CACHE_MISSES)
        return None

    def put(self, query: SearchQuery, generation: int, answer: Answer) -> None:
        if self.max_bytes <= 0 or not self._seen_before(query):
            return
        # orjson's bytes keep the buffer they were written in (4 kB for a 600-byte
        # answer); a copy of the exact length is what is worth keeping.
        answer = answer._replace(body=bytes(memoryview(answer.body)))
        size = entry_size(query, answer)
        if size > self.max_bytes:  # larger than the whole cache: not kept
            return
        replaced = self._entries.pop(query, None)
        if replaced is not None:
            self._bytes -= replaced.size
        self._entries[query] = Cached(generation, answer, size)
        self._bytes += size
        while self._bytes > self.max_bytes:
            _query, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size

    def _seen_before(self, query: SearchQuery) -> bool:
        """Whether ``query`` missed before (or was kept, for an older generation);
        remembers that it has now."""
        key = hash(query)
        if key in self._seen_once or query in self._entries:
            return True
        if len(self._seen_once) >= SEEN_ONCE_LIMIT:
            self._seen_once.clear()
        self._seen_once.add(key)
        return False
