"""The embedded engine: SQLite FTS5 over the store's own file.

The index is maintained by the store's triggers (see `embedded.store`); this
module decides what the index holds and asks it questions.

The tiers and when each runs are `core.search`'s; this engine answers each
tier with an FTS5 expression (`embedded.fts5_expressions`) through one step's look
at the searched titles (`embedded.fts5_searched.Searched`, which asks FTS5 less
with what `embedded.fts5_shortcuts` learns of the domain's words) and finds typo
corrections in the domain's words (`embedded.fts5_vocabulary.Vocabulary`).

Speed: a one-letter query matches thousands of titles, and sorting them all
by popularity on every keystroke is too slow. So the FTS5 rowid is a *rank
key* (`embedded.rank_keys`): the domain, then the popularity (most popular first), then the order of
writing. A domain's titles are one rowid range that FTS5 can seek to, and FTS5
hands matches over in rowid order, so reading stops once it has enough titles
and the popularity tie at the cut-off is complete.

Faster still: each worker keeps the domains it serves in memory
(`embedded.memory`), which answers every step exactly as the FTS5 path here
does while the domain's generation is the one it was built at; FTS5 answers
meanwhile, and for domains that do not fit the memory budget.
"""

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from core.engine import Hit, SearchQuery
from core.search import Fixes, TieredEngine
from embedded import fts5_shortcuts as shortcuts
from embedded.caches import FreshCache
from embedded.database import SqliteDatabase
from embedded.domain_index import DomainIndex
from embedded.fts5_expressions import (
    Terms,
    either_lists,
    joined_expression,
    prefix_term,
    tier_expressions,
    typo_expression,
)
from embedded.fts5_searched import Searched
from embedded.fts5_shortcuts import (
    Plan,
    corrected_plan,
    exact_plan,
    hits_size,
)
from embedded.fts5_vocabulary import Vocabulary
from embedded.loading import release_freed_memory
from embedded.memory import DEFAULT_MEMORY_BUDGET, MemoryIndexes
from embedded.rank_keys import MAX_TIE_ROWS, SEQUENCE_BITS

# Domains with titles, the most searched this month first, then the smallest.
WARM_SQL = """
SELECT d.name, (SELECT count(*) FROM documents WHERE domain_id = d.id) AS titles
FROM domains AS d LEFT JOIN fetches AS f ON f.domain_id = d.id AND f.year = ? AND f.month = ?
WHERE titles > 0
ORDER BY coalesce(f.count, 0) DESC, titles, d.id
LIMIT ?
"""
WARM_DOMAINS = 100
"""At most this many domains are built before a worker starts: a start stays quick."""


class Fts5Engine(TieredEngine):
    """FTS5 over the file, and the domains this worker serves kept in memory
    (`embedded.memory`), which answer the same while fresh and many times faster;
    ``memory_budget_bytes`` bounds them (0: FTS5 only)."""

    def __init__(self, db: SqliteDatabase,
                 memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET) -> None:
        self.db = db
        self._domain_ids: dict[str, int] = {}
        self._vocabulary = Vocabulary()
        self._site_cache = FreshCache(shortcuts.SITE_CACHE_BYTES)
        self._words_cache = FreshCache(shortcuts.WORDS_CACHE_BYTES)
        self._data_version: int | None = None
        self._generations: dict[str, int] = {}
        self._sequences: dict[str, int] = {}
        """Each domain's sequence numbers given out, as of its generation: at most how
        many titles it has (`Searched.few_together`)."""
        self._looked_mark: bytes | None = None
        self.fts5_caches = (self._vocabulary.cache, self._site_cache, self._words_cache)
        """What the FTS5 path keeps per domain, dropped once memory answers for it."""
        self._trims: set[asyncio.Task[None]] = set()
        self.memory = MemoryIndexes(db, memory_budget_bytes, SEQUENCE_BITS, MAX_TIE_ROWS,
                                    on_kept=self._leave_to_memory)

    def _in_memory(self, query: SearchQuery) -> DomainIndex | None:
        return self.memory.fresh(query.domain, self.generation(query.domain), query.words)

    def _leave_to_memory(self, domain_id: int) -> None:
        """Drop what the FTS5 path kept for a domain whose in-memory index was just kept,
        and give the memory back in a reader thread (a trim takes milliseconds): a worker
        that served a domain by FTS5 while its index built held both (RSS 169 MB, issue
        24's bound is 150 MB)."""
        if not any(cache.holds(domain_id) for cache in self.fts5_caches):
            return
        for cache in self.fts5_caches:
            cache.forget(domain_id)
        trim = asyncio.get_running_loop().create_task(
            self.db.read(lambda _conn: release_freed_memory()))
        self._trims.add(trim)
        trim.add_done_callback(self._trims.discard)

    def _domain_id(self, conn: sqlite3.Connection, domain: str) -> int | None:
        if domain not in self._domain_ids:
            row = conn.execute("SELECT id FROM domains WHERE name = ?", (domain,)).fetchone()
            if row is None:
                return None
            self._domain_ids[domain] = row[0]  # domains are never deleted
        return self._domain_ids[domain]

    def _searched(self, conn: sqlite3.Connection, query: SearchQuery) -> "Searched | None":
        """The query's domain and groups on ``conn``, with its fresh caches; None if the
        domain has no titles yet."""
        domain_id = self._domain_id(conn, query.domain)
        if domain_id is None:
            return None
        generation = self.generation(query.domain)
        self._site_cache.fresh(domain_id, generation)
        self._words_cache.fresh(domain_id, generation)
        return Searched(conn, domain_id, generation, ("", *query.groups), self._site_cache,
                        self._words_cache, self._sequences.get(query.domain, 0))

    async def _matches(self, query: SearchQuery,
                       expressions: Callable[[Terms], Sequence[str | None]], size: int,
                       plan: Callable[[Terms], Plan | None] | None = None,
                       fetch: bool = True, kept: bool = False, all_words: bool = False
                       ) -> list[Hit]:
        """The best ``size`` titles of each expression in turn, until there are enough;
        ``expressions`` are made with the domain's `SiteTerms` (None: matches nothing).
        ``plan``: the same in Python, used when one of its words is rare (`RareRows`;
        with ``fetch`` False, only when its titles were read before). ``kept``: the
        answer is kept for the domain's generation (`FreshCache`). ``all_words``: the
        expressions are tiers 1 and 2 of the plan's words, so finding nothing proves
        no title has them all (`Searched.note_none`)."""

        def run(conn: sqlite3.Connection) -> list[Hit]:
            searched = self._searched(conn, query)
            if searched is None:
                return []
            if not kept:
                return answer(searched)
            key = (searched.terms.words.domain_id, searched.groups, "hits", query.words, size)
            found: tuple[Hit, ...] | None = self._words_cache.get(key)
            if found is None:
                found = tuple(answer(searched))
                self._words_cache.put(key, found, hits_size(found))
            return list(found)

        def answer(searched: Searched) -> list[Hit]:
            planned = plan(searched.terms) if plan else None
            if planned is None:
                return searched.by_fts5(expressions(searched.terms), query.words, size)
            if searched.bits.none_together(planned.words):
                return []
            rows = searched.rare.of(planned.words, fetch=False)
            if rows is None and all_words:  # fewer rows than the rare word's, same tests
                rows = searched.few_together(planned.words)
            if rows is None:
                rows = searched.rare.of(planned.words, fetch)
            if rows is not None:
                hits = searched.in_python(planned, rows, query.words, size)
            else:
                hits = searched.by_fts5(expressions(searched.terms), query.words, size)
            if not hits and all_words:
                # Tiers 1 and 2 found nothing: no title has every word. A miss's
                # `leading_match` asks it again; it need not walk the doclists again.
                searched.note_none(planned.words)
            return hits

        return self.db.read_inline(run)

    async def exact(self, query: SearchQuery, size: int) -> list[Hit]:
        if index := self._in_memory(query):
            return index.exact(query.words, query.groups, size)
        # One word's titles are read whole only if read before: FTS5 stops at a page.
        # Its answer is kept: a miss of several words ends with its first word alone
        # (`core.search`), the same few common words again and again.
        return await self._matches(
            query, lambda terms: tier_expressions(query.words, terms), size,
            lambda terms: exact_plan(query.words, terms), fetch=len(query.words) > 1,
            kept=len(query.words) == 1, all_words=len(query.words) > 1)

    async def joined(self, query: SearchQuery, readings: list[tuple[str, ...]], size: int
                     ) -> list[Hit]:
        if index := self._in_memory(query):
            return index.joined(query.words, readings, query.groups, size)
        return await self._matches(
            query, lambda terms: [joined_expression(readings, terms)], size)

    async def present(self, query: SearchQuery, forms: list[str]) -> set[str]:
        if index := self._in_memory(query):
            return index.present(forms, query.groups)

        def find(conn: sqlite3.Connection) -> set[str]:
            searched = self._searched(conn, query)
            if searched is None:
                return set()
            # A form FTS5 would not index as itself is asked of FTS5, as before.
            return {form for form in forms if (
                searched.terms.present(form) if form.isascii()
                else searched.titles.matches(prefix_term(form)[0]))}

        return self.db.read_inline(find)

    async def leading_match(self, query: SearchQuery, words: tuple[str, ...], fixes: Fixes
                            ) -> int:
        if index := self._in_memory(query):
            return index.leading_match(words, fixes, query.groups)

        def count(conn: sqlite3.Connection) -> int:
            searched = self._searched(conn, query)
            if searched is None:
                return 0
            alternatives = either_lists(words, fixes, searched.terms)
            matched = 0  # each look stops at its first title; the first miss ends them
            while matched < len(words) and alternatives[matched] and searched.together(
                    alternatives[:matched + 1]):
                matched += 1
            return matched

        return self.db.read_inline(count)

    async def corrections(self, query: SearchQuery) -> Fixes:
        if index := self._in_memory(query):
            return index.corrections(query.words, query.groups)
        groups = ("", *query.groups)

        def find(conn: sqlite3.Connection) -> Fixes:
            domain_id = self._domain_id(conn, query.domain)
            if domain_id is None:
                return {}
            return self._vocabulary.corrections(conn, query.words, domain_id, groups,
                                                self.generation(query.domain))

        return self.db.read_inline(find)

    async def corrected(self, query: SearchQuery, fixes: Fixes, size: int) -> list[Hit]:
        if index := self._in_memory(query):
            return index.corrected(query.words, fixes, query.groups, size)
        return await self._matches(
            query, lambda terms: [typo_expression(query.words, fixes, terms)], size,
            lambda terms: corrected_plan(query.words, fixes, terms), fetch=len(query.words) > 1)

    def generation(self, domain: str) -> int:
        # The WAL-index header moves with every commit, by any process: while it
        # stands still, the generations read before still hold. Read before the
        # look, so a commit during the look only costs the next search another one.
        mark = self.db.commit_mark()
        if mark is not None and mark == self._looked_mark and domain in self._generations:
            return self._generations[domain]

        def read(conn: sqlite3.Connection) -> int:
            # data_version moves whenever any other connection, in any process,
            # commits; until it does, the generations read before still hold.
            (version,) = conn.execute("PRAGMA data_version").fetchone()
            if version != self._data_version:
                self._data_version = version
                self._generations.clear()
            if domain not in self._generations:
                row = conn.execute(
                    "SELECT generation, next_sequence FROM domains WHERE name = ?", (domain,)
                ).fetchone()
                self._generations[domain] = row[0] if row else 0
                self._sequences[domain] = row[1] if row else 0
            return self._generations[domain]

        generation = self.db.read_inline(read)
        self._looked_mark = mark  # only once the look succeeded: a failed one is not reused
        return generation

    async def warm(self) -> None:
        """Build the in-memory indexes of the most searched domains while the budget lasts.

        Otherwise the first searches after a start find no index and go to FTS5
        while one is built, several times slower, and a restart under load shows as
        seconds of slow answers.
        """
        today = datetime.now(UTC)

        def most_wanted(conn: sqlite3.Connection) -> list[tuple[str, int]]:
            return conn.execute(WARM_SQL, (today.year, today.month, WARM_DOMAINS)).fetchall()

        await self.memory.warm(await self.db.read(most_wanted))

    async def ping(self) -> bool:
        return await self.db.read(lambda conn: conn.execute("SELECT 1").fetchone() == (1,))

    async def close(self) -> None:
        """The store owns the shared database and closes it."""
        await asyncio.gather(*self._trims, return_exceptions=True)
        await self.memory.close()
