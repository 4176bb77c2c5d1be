"""Each worker's query suggestions per domain (README "Query suggestions"): an index
(`core.suggestions.SuggestionIndex`) of the domain's popular intents that find titles,
built in the background and looked up by every search that asks (`s=`).

Built from the store's intents of the window (`Store.found_intents`), at most
MAX_INTENTS, each checked with the engine as a visitor with no private groups
searches it: only those that find the owner's `min_results` titles in the exact,
joined or synonym tiers are kept, so a suggestion never names a search whose only
titles are private (fail closed: an intent that cannot be checked is not kept).

A build takes up to MAX_INTENTS engine searches, too many for a visitor's search to
wait for (2,000 in-memory searches are over 50 ms, and on the scaled setup each is a
round trip to the cluster): so the first search of a domain on a worker gets no
suggestions and starts the build, and later ones get the last index built while the
next is made. It is rebuilt when older than REBUILD_SECONDS (so new titles and
intents join within a minute), and at once when the owner's rules change: this
worker's own change says so (`forget`); another worker's is seen by reading the
rules again, at most every RULES_CHECK_SECONDS and only once the engine's
generation for the domain has moved (on the scaled setup it is a one-second
bucket, so a rebuild on every move would cost MAX_INTENTS engine searches every
few seconds). One build runs at a time per worker, yielding to searches between
checks. The indexes are bounded in bytes across domains, the least
recently searched dropped first.

The owner's API for the rules: app/http/rules_api.py.
"""

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass

import orjson

from app.http.synonym_book import SynonymBook
from app.shared.analytics import window_start
from app.shared.backends import Backends
from app.shared.rules import SUGGESTIONS
from core.engine import EngineUnavailable, SearchQuery
from core.store import StoreUnavailable
from core.suggestions import EMPTY, MAX_INTENTS, SuggestionIndex

log = logging.getLogger("autocompeter")

REBUILD_SECONDS = 60.0
RULES_CHECK_SECONDS = 5.0
MAX_BOOK_BYTES = 16 * 2**20
"""Bytes of indexes a worker keeps across domains: about 75 domains of MAX_INTENTS."""
CHECKED_TIERS = frozenset({"exact", "joined", "synonym"})
"""The tiers a suggestion's titles must come from: what the words find as typed, not
corrections or fewer words (`core.search.TIERS`)."""


def with_suggestions(body: bytes, suggestions: list[str]) -> bytes:
    """A search answer's JSON object (cached without them) with its suggestions."""
    return b"%b,\"suggestions\":%b}" % (body[:-1], orjson.dumps(suggestions))


@dataclass(slots=True)
class Built:
    index: SuggestionIndex
    generation: int
    at: float
    """`time.monotonic()` when its build started."""
    nbytes: int
    rules: str | None
    """The owner's rules it was built with, as stored."""
    checked: float
    """`time.monotonic()` when those were last compared with the store's."""


class SuggestionBook:
    """One worker's suggestion indexes, by domain."""

    def __init__(self, max_bytes: int = MAX_BOOK_BYTES) -> None:
        self._max_bytes = max_bytes
        self._built: OrderedDict[str, Built] = OrderedDict()
        self._bytes = 0
        self._building: dict[str, asyncio.Task[None]] = {}
        self._changed: set[str] = set()
        self._one_build = asyncio.Lock()

    def suggest(self, backends: Backends, synonyms: SynonymBook, domain: str,
                generation: int, typed: str, most: int) -> list[str]:
        """Up to ``most`` suggestions for ``typed`` (folded words joined by one space)
        from the domain's last index; starts a build when it is due."""
        built = self._built.get(domain)
        if built is None:
            self._start_build(backends, synonyms, domain, generation)
            return []
        self._built.move_to_end(domain)
        now = time.monotonic()
        if now - built.at > REBUILD_SECONDS or domain in self._changed:
            self._start_build(backends, synonyms, domain, generation)
        elif generation != built.generation and now - built.checked > RULES_CHECK_SECONDS:
            built.checked = now
            self._start_build(backends, synonyms, domain, generation, unless_same=built)
        return built.index.suggest(typed, most)

    def forget(self, domain: str) -> None:
        """This worker changed the domain's rules: build again at its next search (the
        last index serves until then)."""
        self._changed.add(domain)

    @property
    def nbytes(self) -> int:
        return self._bytes

    async def stop(self) -> None:
        for task in list(self._building.values()):
            task.cancel()
        await asyncio.gather(*self._building.values(), return_exceptions=True)

    def _start_build(self, backends: Backends, synonyms: SynonymBook, domain: str,
                     generation: int, unless_same: Built | None = None) -> None:
        """Build the domain's index in the background; ``unless_same``: only if the
        stored rules are no longer those it was built with (else it stays, as of
        ``generation``)."""
        if domain not in self._building:
            self._building[domain] = asyncio.create_task(
                self._build(backends, synonyms, domain, generation, unless_same))

    async def _build(self, backends: Backends, synonyms: SynonymBook, domain: str,
                     generation: int, unless_same: Built | None) -> None:
        try:
            async with self._one_build:
                self._changed.discard(domain)
                started = time.monotonic()
                rules = None
                try:
                    rules = await backends.store.domain_rules(domain, SUGGESTIONS.name)
                    if unless_same is not None and rules == unless_same.rules:
                        unless_same.generation = generation
                        return
                    index = await built_index(backends, synonyms, domain, generation, rules)
                except (StoreUnavailable, EngineUnavailable):
                    log.warning("could not build the suggestions of %s; will retry", domain)
                    self._changed.add(domain)  # the last index serves until then
                    if domain in self._built:
                        self._built[domain].at = started
                        return
                    index = EMPTY
                self._keep(domain, Built(index, generation, started, index.nbytes, rules,
                                         started))
        finally:
            self._building.pop(domain, None)

    def _keep(self, domain: str, built: Built) -> None:
        old = self._built.pop(domain, None)
        self._bytes += built.nbytes - (old.nbytes if old is not None else 0)
        self._built[domain] = built
        while self._bytes > self._max_bytes and len(self._built) > 1:
            _domain, dropped = self._built.popitem(last=False)
            self._bytes -= dropped.nbytes


async def built_index(backends: Backends, synonyms: SynonymBook, domain: str,
                      generation: int, stored: str | None) -> SuggestionIndex:
    """The domain's suggestions as its ``stored`` rules, intents and public titles
    stand now."""
    store, engine = backends.store, backends.engine
    rules = SUGGESTIONS.stored(stored)
    if not rules.enabled:
        return EMPTY
    intents = await store.found_intents(domain, window_start(), rules.min_count,
                                        MAX_INTENTS)
    domain_synonyms = await synonyms.get(store, domain, generation)
    kept = []
    for intent, _count in intents:
        if rules.excludes(intent):
            continue
        words = tuple(intent.split(" "))
        # A visitor with no private groups (groups=()): what anyone may see.
        result = await engine.search(SearchQuery(
            domain, words, rules.min_results, (), domain_synonyms.for_query(words)))
        if result.tier in CHECKED_TIERS and len(result.hits) >= rules.min_results:
            kept.append(intent)
        await asyncio.sleep(0)  # an in-memory search may not wait: let searches in
    return SuggestionIndex(kept)
