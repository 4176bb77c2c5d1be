"""The embedded engine: SQLite FTS5 over the store's own file.

The index is maintained by the store's triggers (see `embedded.store`); this
module decides what the index holds and asks it questions.

The tiers and when each runs are `core.search`'s; this engine answers each
tier with an FTS5 expression (`tier_expressions`, `typo_expression`) and finds
typo corrections in the FTS5 vocabulary (`Vocabulary`).

Speed: a one-letter query matches thousands of titles, and sorting them all
by popularity on every keystroke is too slow. So the FTS5 rowid is a *rank
key*: the domain, then the popularity (most popular first), then the order of
writing. A domain's titles are one rowid range that FTS5 can seek to, and FTS5
hands matches over in rowid order, so reading stops once it has enough titles
and the popularity tie at the cut-off is complete.

Faster still: each worker keeps the domains it serves in memory
(`embedded.memory`), which answers every step exactly as the FTS5 path here
does while the domain's generation is the one it was built at; FTS5 answers
meanwhile, and for domains that do not fit the memory budget.
"""

import sqlite3
import struct
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from core.engine import Hit, SearchQuery
from core.ranking import order_key
from core.search import Fixes, TieredEngine
from core.typos import allowed_edits, candidate_forms, corrections
from embedded.caches import ByteBoundedCache, strings_size
from embedded.database import SqliteDatabase
from embedded.domain_index import DomainIndex
from embedded.memory import DEFAULT_MEMORY_BUDGET, MemoryIndexes

DOMAIN_BITS = 20
POPULARITY_BITS = 20
SEQUENCE_BITS = 23
MAX_DOMAIN_ID = (1 << DOMAIN_BITS) - 1
MAX_SEQUENCE = 1 << SEQUENCE_BITS
FLOAT32_MAX = 3.4028234663852886e38
# Among more equally popular matches than this at the cut-off, the earliest
# written win, so a one-letter query on a corpus without popularity stays fast.
MAX_TIE_ROWS = 500
VOCABULARY_CACHE_BYTES = 16 * 1024 * 1024
"""The FTS5 path's words and typo forms kept per worker (`Vocabulary`)."""

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

# `ranking`: the popularity plus the click bonus (core.ranking.ranking_value).
MATCH_SQL = """
SELECT f.rowid, d.url, d.title, d.ranking, d.search_text
FROM documents_fts f JOIN documents d ON d.rank_key = f.rowid
WHERE documents_fts MATCH ? AND f.rowid >= ? AND f.rowid < ? AND d.grp IN ({groups})
ORDER BY f.rowid
"""

PRESENT_SQL = """
SELECT 1 FROM documents_fts f JOIN documents d ON d.rank_key = f.rowid
WHERE documents_fts MATCH ? AND f.rowid >= ? AND f.rowid < ? AND d.grp IN ({groups})
LIMIT 1
"""


def popularity_key(popularity: float) -> int:
    """A key of POPULARITY_BITS that sorts the most popular first (about 3 digits)."""
    clamped = max(-FLOAT32_MAX, min(FLOAT32_MAX, popularity))
    (bits,) = struct.unpack(">I", struct.pack(">f", clamped))
    ascending = bits ^ 0xFFFFFFFF if bits & 0x80000000 else bits | 0x80000000
    return (0xFFFFFFFF - ascending) >> (32 - POPULARITY_BITS)


def rank_key(domain_id: int, popularity: float, sequence: int) -> int:
    """The FTS5 rowid of a title; see the module docstring."""
    if not 0 < domain_id <= MAX_DOMAIN_ID:
        raise ValueError(f"domain id {domain_id} does not fit in a rank key")
    return (domain_id << (POPULARITY_BITS + SEQUENCE_BITS)
            | popularity_key(popularity) << SEQUENCE_BITS
            | sequence)


def domain_range(domain_id: int) -> tuple[int, int]:
    shift = POPULARITY_BITS + SEQUENCE_BITS
    return domain_id << shift, (domain_id + 1) << shift


def prefix_terms(words: tuple[str, ...]) -> list[str]:
    # Words come from core.text.words (letters and digits only); quoting
    # them anyway keeps FTS5 operators such as AND or NEAR literal.
    return [f'"{word}"*' for word in words]


def tier_expressions(words: tuple[str, ...]) -> list[str]:
    """FTS5 expressions for the title column, best tier first, each excluding the ones before."""
    terms = prefix_terms(words)
    phrase = " + ".join(terms)
    if len(terms) == 1:
        return [phrase]
    return [phrase, f"({' AND '.join(terms)}) NOT ({phrase})"]


def either_terms(words: tuple[str, ...], fixes: Fixes) -> list[str]:
    """For each word, an expression for it or one of its corrections as a prefix."""
    return ["(" + " OR ".join(prefix_terms((word, *fixes.get(word, [])))) + ")" for word in words]


def typo_expression(words: tuple[str, ...], fixes: Fixes) -> str:
    """Every word or one of its corrections, excluding what the first tiers matched."""
    alternatives = either_terms(words, fixes)
    return f"({' AND '.join(alternatives)}) NOT ({' AND '.join(prefix_terms(words))})"


def joined_expression(readings: list[tuple[str, ...]]) -> str:
    """Every word of one of the readings as a prefix (`core.search` tier 3a)."""
    return " OR ".join(f"({' AND '.join(prefix_terms(reading))})" for reading in readings)


class Vocabulary:
    """The indexed words by first letter, and the candidate forms made from them,
    cached until a domain's documents change, within ``limit_bytes``.

    Listing the words from fts5vocab costs tens of milliseconds on a large
    index, and making the forms a few more, so both are kept until any domain's
    generation moves (search counters and other writes that leave documents
    alone do not count). Keys come from what strangers type (a first letter, a
    length): without a bound in bytes, CJK letters alone would fill a worker.
    """

    def __init__(self, limit_bytes: int = VOCABULARY_CACHE_BYTES) -> None:
        self._version: dict[int, float] = {}
        self._cache = ByteBoundedCache(limit_bytes)

    def _fresh(self, conn: sqlite3.Connection) -> None:
        (version,) = conn.execute("SELECT total(generation) FROM domains").fetchone()
        if self._version.get(id(conn)) != version:
            self._version[id(conn)] = version
            self._cache.discard_where(lambda key: key[0] == id(conn))  # type: ignore[index]

    def _cached(self, key: tuple[Any, ...], make: Callable[[], list[str]]) -> list[str]:
        found = self._cache.get(key)
        if found is None:
            found = make()
            self._cache.put(key, found, strings_size(found))
        return found

    def starting_with(self, conn: sqlite3.Connection, letter: str) -> list[str]:
        def read() -> list[str]:
            rows = conn.execute(
                "SELECT term FROM documents_vocab WHERE term >= ? AND term < ?",
                (letter, letter + "\U0010ffff"),
            )
            return [term for (term,) in rows]

        return self._cached((id(conn), "words", letter), read)

    def forms(self, conn: sqlite3.Connection, word: str) -> list[str]:
        edits = allowed_edits(word)
        return self._cached(
            (id(conn), "forms", word[0], len(word), edits),
            lambda: list(candidate_forms(word, self.starting_with(conn, word[0]), edits)))

    def corrections(self, conn: sqlite3.Connection, words: tuple[str, ...],
                    domain_id: int, groups: tuple[str, ...]) -> dict[str, list[str]]:
        self._fresh(conn)
        site = SearchedTitles(conn, domain_id, groups)
        fixes = {}
        for word in words:
            if allowed_edits(word) and (
                found := corrections(word, (), site, forms=self.forms(conn, word))
            ):
                fixes[word] = found
        return fixes


class SearchedTitles:
    """`core.typos.Site` for one search: the vocabulary is every domain's,
    and other sites' words must neither take this site's places nor show in
    its terms, so each candidate is looked up in the domain's searched groups."""

    def __init__(self, conn: sqlite3.Connection, domain_id: int, groups: tuple[str, ...]) -> None:
        self.conn = conn
        self.low, self.high = domain_range(domain_id)
        self.groups = groups
        self.sql = PRESENT_SQL.format(groups=", ".join("?" * len(groups)))

    def matches(self, expression: str) -> bool:
        """Some searched title matches the FTS5 ``expression``."""
        row = self.conn.execute(self.sql, (expression, self.low, self.high, *self.groups))
        return row.fetchone() is not None

    def has_prefix(self, form: str) -> bool:
        return self.matches(f'"{form}"*')

    def has_word(self, form: str) -> bool:
        return self.matches(f'"{form}"')


Row = tuple[int, str, str, float, str]


def top_matches(rows: sqlite3.Cursor, size: int) -> list[Row]:
    """The first ``size`` rows in rank order, plus the rest of the tie at the cut-off."""
    best = list(islice(rows, size))
    if len(best) == size:
        cut_off = best[-1][0] >> SEQUENCE_BITS
        for row in islice(rows, MAX_TIE_ROWS):
            if row[0] >> SEQUENCE_BITS != cut_off:
                break
            best.append(row)
    return best


def ranked(rows: list[Row], words: tuple[str, ...], size: int) -> list[Hit]:
    """In `core.ranking.order_key` order; the rank key stands for the order of writing."""
    rows.sort(key=lambda r: order_key(words, r[3], r[4], len(r[2]), r[0]))
    return [Hit(url, title, text) for _key, url, title, _pop, text in rows[:size]]


class Fts5Engine(TieredEngine):
    """FTS5 over the file, and the domains this worker serves kept in memory
    (`embedded.memory`), which answer the same while fresh and many times faster;
    ``memory_budget_bytes`` bounds them (0: FTS5 only)."""

    def __init__(self, db: SqliteDatabase,
                 memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET) -> None:
        self.db = db
        self._domain_ids: dict[str, int] = {}
        self._vocabulary = Vocabulary()
        self._data_version: int | None = None
        self._generations: dict[str, int] = {}
        self._looked_mark: bytes | None = None
        self.memory = MemoryIndexes(db, memory_budget_bytes, SEQUENCE_BITS, MAX_TIE_ROWS)

    def _in_memory(self, query: SearchQuery) -> DomainIndex | None:
        return self.memory.fresh(query.domain, self.generation(query.domain), query.words)

    def _domain_id(self, conn: sqlite3.Connection, domain: str) -> int | None:
        if domain not in self._domain_ids:
            row = conn.execute("SELECT id FROM domains WHERE name = ?", (domain,)).fetchone()
            if row is None:
                return None
            self._domain_ids[domain] = row[0]  # domains are never deleted
        return self._domain_ids[domain]

    async def _matches(self, query: SearchQuery, expressions: list[str], size: int
                       ) -> list[Hit]:
        """The best ``size`` titles of each expression in turn, until there are enough."""
        groups = ("", *query.groups)
        sql = MATCH_SQL.format(groups=", ".join("?" * len(groups)))

        def run(conn: sqlite3.Connection) -> list[Hit]:
            hits: list[Hit] = []
            domain_id = self._domain_id(conn, query.domain)
            if domain_id is None:
                return hits
            low, high = domain_range(domain_id)
            for expression in expressions:
                wanted = size - len(hits)
                if wanted <= 0:
                    break
                rows = conn.execute(sql, (expression, low, high, *groups))
                hits.extend(ranked(top_matches(rows, wanted), query.words, wanted))
            return hits

        return self.db.read_inline(run)

    async def exact(self, query: SearchQuery, size: int) -> list[Hit]:
        if index := self._in_memory(query):
            return index.exact(query.words, query.groups, size)
        return await self._matches(query, tier_expressions(query.words), size)

    async def joined(self, query: SearchQuery, readings: list[tuple[str, ...]], size: int
                     ) -> list[Hit]:
        if index := self._in_memory(query):
            return index.joined(query.words, readings, query.groups, size)
        return await self._matches(query, [joined_expression(readings)], size)

    async def present(self, query: SearchQuery, forms: list[str]) -> set[str]:
        if index := self._in_memory(query):
            return index.present(forms, query.groups)
        groups = ("", *query.groups)

        def find(conn: sqlite3.Connection) -> set[str]:
            domain_id = self._domain_id(conn, query.domain)
            if domain_id is None:
                return set()
            site = SearchedTitles(conn, domain_id, groups)
            return {form for form in forms if site.has_prefix(form)}

        return self.db.read_inline(find)

    async def leading_match(self, query: SearchQuery, words: tuple[str, ...], fixes: Fixes
                            ) -> int:
        if index := self._in_memory(query):
            return index.leading_match(words, fixes, query.groups)
        groups = ("", *query.groups)
        alternatives = either_terms(words, fixes)

        def count(conn: sqlite3.Connection) -> int:
            domain_id = self._domain_id(conn, query.domain)
            if domain_id is None:
                return 0
            site = SearchedTitles(conn, domain_id, groups)
            matched = 0  # each look stops at its first title; the first miss ends them
            while matched < len(words) and site.matches(
                    " AND ".join(alternatives[:matched + 1])):
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
            return self._vocabulary.corrections(conn, query.words, domain_id, groups)

        return self.db.read_inline(find)

    async def corrected(self, query: SearchQuery, fixes: Fixes, size: int) -> list[Hit]:
        if index := self._in_memory(query):
            return index.corrected(query.words, fixes, query.groups, size)
        return await self._matches(query, [typo_expression(query.words, fixes)], size)

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
                    "SELECT generation FROM domains WHERE name = ?", (domain,)
                ).fetchone()
                self._generations[domain] = row[0] if row else 0
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
        await self.memory.close()
