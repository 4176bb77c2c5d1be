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
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import islice, product
from math import prod
from typing import Any

from core.engine import Hit, SearchQuery
from core.ranking import order_key
from core.search import Fixes, TieredEngine
from core.typos import WordList, allowed_edits, corrections, form_parts, length_forms
from embedded.caches import ByteBoundedCache, strings_size
from embedded.database import SqliteDatabase
from embedded.domain_index import DomainIndex
from embedded.domain_words import DomainWords
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


PREFIX_INDEX_LENGTH = 6
"""The longest prefix documents_fts indexes (embedded/store.py `prefix='1 2 3 4 5 6'`):
a longer prefix term makes FTS5 merge every domain's words that start with it."""
MAX_EXPANDED = 16
"""A prefix longer than that stands for the domain's words that start with it, when
there are at most this many; otherwise it stays a prefix term."""
MAX_PHRASES = 16
"""Phrases of the words' alternatives written out at most, in tier 1."""

Terms = Callable[[str], list[str]]
"""Query word -> FTS5 terms for it as a prefix, any of which may match (none: no
searched title has a word starting with it)."""


def prefix_term(word: str) -> list[str]:
    # Words come from core.text.words (letters and digits only); quoting
    # them anyway keeps FTS5 operators such as AND or NEAR literal.
    return [f'"{word}"*']


def prefix_terms(words: tuple[str, ...]) -> list[str]:
    return [term for word in words for term in prefix_term(word)]


def any_of(terms: list[str]) -> str | None:
    if len(terms) < 2:
        return terms[0] if terms else None
    return f"({' OR '.join(terms)})"


def all_of(words: tuple[str, ...], terms: Terms) -> str | None:
    """Every word as a prefix, in any order; None if one of them matches nothing."""
    alternatives = [any_of(terms(word)) for word in words]
    return None if None in alternatives else " AND ".join(map(str, alternatives))


def phrase(words: tuple[str, ...], terms: Terms) -> str | None:
    """The words as an in-order phrase of prefixes. FTS5 has no OR inside a phrase, so
    words of several alternatives make one phrase per combination, while few."""
    alternatives = [terms(word) for word in words]
    if not all(alternatives):
        return None
    phrases = prod(map(len, alternatives))
    # A long prefix term costs a merge of every domain's words each time it is written:
    # once in one phrase of prefixes rather than once in each of many phrases.
    merges = any(len(word) > PREFIX_INDEX_LENGTH and found == prefix_term(word)
                 for word, found in zip(words, alternatives, strict=True))
    if phrases > MAX_PHRASES or (phrases > 1 and merges):
        alternatives = [found if len(found) == 1 else prefix_term(word)
                        for word, found in zip(words, alternatives, strict=True)]
    phrases = [" + ".join(combination) for combination in product(*alternatives)]
    return phrases[0] if len(phrases) == 1 else " OR ".join(f"({p})" for p in phrases)


def tier_expressions(words: tuple[str, ...], terms: Terms = prefix_term) -> list[str]:
    """FTS5 expressions for the title column, best tier first, each excluding the ones
    before; none when a word matches nothing."""
    in_order = phrase(words, terms)
    if in_order is None:
        return []
    if len(words) == 1:
        return [in_order]
    return [in_order, f"({all_of(words, terms)}) NOT ({in_order})"]


def either_terms(words: tuple[str, ...], fixes: Fixes, terms: Terms = prefix_term
                 ) -> list[str | None]:
    """For each word, an expression for it or one of its corrections as a prefix
    (None: neither matches anything)."""
    return [any_of(list(dict.fromkeys(term for form in (word, *fixes.get(word, []))
                                      for term in terms(form))))
            for word in words]


def typo_expression(words: tuple[str, ...], fixes: Fixes, terms: Terms = prefix_term
                    ) -> str | None:
    """Every word or one of its corrections, excluding what the first tiers matched."""
    alternatives = either_terms(words, fixes, terms)
    if None in alternatives:
        return None
    either = f"({' AND '.join(map(str, alternatives))})"
    typed = all_of(words, terms)
    return either if typed is None else f"{either} NOT ({typed})"


def joined_expression(readings: list[tuple[str, ...]], terms: Terms = prefix_term
                      ) -> str | None:
    """Every word of one of the readings as a prefix (`core.search` tier 3a)."""
    found = [f"({expression})" for reading in readings
             if (expression := all_of(reading, terms)) is not None]
    return " OR ".join(found) if found else None


class SiteTerms:
    """`Terms` for one search, from the domain's words (`embedded.domain_words`): a
    word that no searched title has a word starting with matches nothing, and a word
    longer than the prefix index stands for the few words it begins, so FTS5 seeks
    their entries instead of merging every domain's. A word FTS5 would not index as
    itself (not plain ASCII) stays a prefix term for FTS5 to read."""

    def __init__(self, words: DomainWords) -> None:
        self.words = words
        self._found: dict[str, list[str]] = {}

    def __call__(self, word: str) -> list[str]:
        found = self._found.get(word)
        if found is None:
            found = self._found[word] = self._terms(word)
        return found

    def _terms(self, word: str) -> list[str]:
        if not word.isascii():
            return prefix_term(word)
        if len(word) <= PREFIX_INDEX_LENGTH:
            return prefix_term(word) if self.words.has_prefix(word) else []
        begun = self.words.starting_with(word, MAX_EXPANDED + 1)
        if len(begun) > MAX_EXPANDED:
            return prefix_term(word)
        return [f'"{found}"' for found in begun]

    def present(self, form: str) -> bool:
        """Some searched title has a word that starts with ``form``."""
        return bool(self(form))


class Vocabulary:
    """A domain's words by first letter (of the searched groups), the typo forms made
    from them and the corrections found, cached while the domain's generation stands,
    within ``limit_bytes``.

    They come from the domain's own words (`embedded.domain_words`), one range of an
    index, so a domain costs the same beside many others. Keys come from what strangers
    type (a first letter, a word): without a bound in bytes, CJK letters alone would
    fill a worker.
    """

    def __init__(self, limit_bytes: int = VOCABULARY_CACHE_BYTES) -> None:
        self._generations: dict[int, int] = {}
        self._cache = ByteBoundedCache(limit_bytes)

    def _fresh(self, conn: sqlite3.Connection, domain_id: int) -> None:
        row = conn.execute("SELECT generation FROM domains WHERE id = ?", (domain_id,))
        (generation,) = row.fetchone()
        if self._generations.get(domain_id) != generation:
            self._generations[domain_id] = generation
            self._cache.discard_where(lambda key: key[0] == domain_id)  # type: ignore[index]

    def _cached(self, key: tuple[Any, ...], make: Callable[[], Any],
                size: Callable[[Any], int]) -> Any:
        found = self._cache.get(key)
        if found is None:
            found = make()
            self._cache.put(key, found, size(found))
        return found

    def starting_with(self, words: DomainWords, letter: str) -> WordList:
        """The searched titles' words that start with ``letter``."""
        def size(found: WordList) -> int:
            return sys.getsizeof(found.words) + sum(map(sys.getsizeof, found.words))

        return self._cached((words.domain_id, words.groups, "words", letter),
                            lambda: WordList(words.starting_with(letter)), size)

    def forms(self, words: DomainWords, word: str) -> list[str]:
        """`core.typos.candidate_forms` of the word, from parts cached apart: words of
        neighbouring lengths share them."""
        letter = self.starting_with(words, word[0])
        forms: list[str] = []
        for whole, length in form_parts(word, allowed_edits(word)):
            forms += self._cached(
                (words.domain_id, words.groups, "forms", word[0], whole, length),
                lambda whole=whole, length=length: length_forms(letter.words, whole, length),
                strings_size)
        return forms

    def corrections(self, conn: sqlite3.Connection, words: tuple[str, ...],
                    domain_id: int, groups: tuple[str, ...]) -> dict[str, list[str]]:
        self._fresh(conn, domain_id)
        site = DomainWords(conn, domain_id, tuple(sorted(set(groups))))
        fixes = {}
        for word in words:
            if not allowed_edits(word):
                continue
            # A visitor goes on typing after a mistyped word ("pyhton t", "pyhton te"):
            # its corrections are found once, not at every keystroke.
            found = self._cached(
                (domain_id, site.groups, "fixes", word),
                lambda word=word: tuple(corrections(
                    word, (), self.starting_with(site, word[0]), forms=self.forms(site, word))),
                sys.getsizeof)
            if found:
                fixes[word] = list(found)
        return fixes


class SearchedTitles:
    """FTS5 look-ups in the searched titles of one domain (its groups asked for)."""

    def __init__(self, conn: sqlite3.Connection, domain_id: int, groups: tuple[str, ...]) -> None:
        self.conn = conn
        self.low, self.high = domain_range(domain_id)
        self.groups = groups
        self.sql = PRESENT_SQL.format(groups=", ".join("?" * len(groups)))

    def matches(self, expression: str) -> bool:
        """Some searched title matches the FTS5 ``expression``."""
        row = self.conn.execute(self.sql, (expression, self.low, self.high, *self.groups))
        return row.fetchone() is not None


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

    async def _matches(self, query: SearchQuery,
                       expressions: Callable[[Terms], Sequence[str | None]], size: int
                       ) -> list[Hit]:
        """The best ``size`` titles of each expression in turn, until there are enough;
        ``expressions`` are made with the domain's `SiteTerms` (None: matches nothing)."""
        groups = ("", *query.groups)
        sql = MATCH_SQL.format(groups=", ".join("?" * len(groups)))

        def run(conn: sqlite3.Connection) -> list[Hit]:
            hits: list[Hit] = []
            domain_id = self._domain_id(conn, query.domain)
            if domain_id is None:
                return hits
            low, high = domain_range(domain_id)
            for expression in expressions(SiteTerms(DomainWords(conn, domain_id, groups))):
                wanted = size - len(hits)
                if wanted <= 0:
                    break
                if expression is None:
                    continue
                rows = conn.execute(sql, (expression, low, high, *groups))
                hits.extend(ranked(top_matches(rows, wanted), query.words, wanted))
            return hits

        return self.db.read_inline(run)

    async def exact(self, query: SearchQuery, size: int) -> list[Hit]:
        if index := self._in_memory(query):
            return index.exact(query.words, query.groups, size)
        return await self._matches(
            query, lambda terms: tier_expressions(query.words, terms), size)

    async def joined(self, query: SearchQuery, readings: list[tuple[str, ...]], size: int
                     ) -> list[Hit]:
        if index := self._in_memory(query):
            return index.joined(query.words, readings, query.groups, size)
        return await self._matches(
            query, lambda terms: [joined_expression(readings, terms)], size)

    async def present(self, query: SearchQuery, forms: list[str]) -> set[str]:
        if index := self._in_memory(query):
            return index.present(forms, query.groups)
        groups = ("", *query.groups)

        def find(conn: sqlite3.Connection) -> set[str]:
            domain_id = self._domain_id(conn, query.domain)
            if domain_id is None:
                return set()
            terms = SiteTerms(DomainWords(conn, domain_id, groups))
            site = SearchedTitles(conn, domain_id, groups)
            # A form FTS5 would not index as itself is asked of FTS5, as before.
            return {form for form in forms if (terms.present(form) if form.isascii()
                                               else site.matches(prefix_term(form)[0]))}

        return self.db.read_inline(find)

    async def leading_match(self, query: SearchQuery, words: tuple[str, ...], fixes: Fixes
                            ) -> int:
        if index := self._in_memory(query):
            return index.leading_match(words, fixes, query.groups)
        groups = ("", *query.groups)

        def count(conn: sqlite3.Connection) -> int:
            domain_id = self._domain_id(conn, query.domain)
            if domain_id is None:
                return 0
            terms = SiteTerms(DomainWords(conn, domain_id, groups))
            alternatives = either_terms(words, fixes, terms)
            site = SearchedTitles(conn, domain_id, groups)
            matched = 0  # each look stops at its first title; the first miss ends them
            while matched < len(words) and alternatives[matched] is not None and site.matches(
                    " AND ".join(map(str, alternatives[:matched + 1]))):
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
        return await self._matches(
            query, lambda terms: [typo_expression(query.words, fixes, terms)], size)

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
