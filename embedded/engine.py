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
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
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
from embedded.domain_words import DomainWords, token_sequence
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
SITE_CACHE_BYTES = 16 * 1024 * 1024
"""The FTS5 path's rare words' titles kept per worker (`RareRows`)."""
RARE_TITLES = 256
"""A word that at most this many searched titles have is rare (`RareRows`)."""
COUNTED_WORDS = 32
"""The domain's words read at most for a query word (`SiteTerms`); of a prefix that
begins more, only the titles are summed, over at most SUMMED_WORDS words."""
SUMMED_WORDS = 1024
"""A prefix that begins more words is not counted (`SiteTerms`): not rare, and
FTS5 answers for it."""
WORDS_CACHE_BYTES = 8 * 1024 * 1024
"""What the FTS5 path learnt of query words, kept per worker apart from the rare words'
titles (which would push it out): their terms (`SiteTerms`), their titles as sets
(`TitleBits`: at least 1,000 common words of a domain of 64k titles), that no title
has some of them together, and one word's answer."""
STEP_BITS_TITLES = 1024
"""A word that at most this many searched titles have may have its titles read as a
set by any step (`TitleBits`; half a millisecond at most, once); a commoner one only
by a miss's `leading_match`."""
FEW_EXPECTED = 256
"""Words of which fewer titles are expected to have all (were they drawn independently,
from their counts) have those titles read in one walk (`Searched.few_together`)..."""
FEW_TOGETHER = 256
WALK_RATIO = 10
"""A step with a rare word has the titles of all its words read in one walk only when
the other words have at most this many times its titles: a walk of their doclists
(about 0.15 us a title) then costs less than reading the rare word's titles with their
text (about 5 us a title, `RareRows`)."""
"""... if there are at most this many; else FTS5 answers the tiers as before."""
COMMON_BITS_TITLES = 16384
"""A word that more titles have (a one- or two-letter prefix of a big domain) never
has its titles read as a set (a read of 5 ms at most): FTS5 answers for it."""

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

# A term's titles in the domain (every group), by sequence number (`TitleBits`).
SEQUENCES_SQL = """
SELECT rowid & ? FROM documents_fts
WHERE documents_fts MATCH ? AND rowid >= ? AND rowid < ?
LIMIT ?
"""

PRESENT_SQL = """
SELECT 1 FROM documents_fts f JOIN documents d ON d.rank_key = f.rowid
WHERE documents_fts MATCH ? AND f.rowid >= ? AND f.rowid < ? AND d.grp IN ({groups})
LIMIT 1
"""


@cache
def for_groups(sql: str, groups: int) -> str:
    """A statement of this module for a number of searched groups (made once)."""
    return sql.format(groups=", ".join("?" * groups))


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


def either_lists(words: tuple[str, ...], fixes: Fixes, terms: Terms = prefix_term
                 ) -> list[list[str]]:
    """For each word, the terms of it and of its corrections, as prefixes."""
    return [list(dict.fromkeys(term for form in (word, *fixes.get(word, []))
                               for term in terms(form)))
            for word in words]


def either_terms(words: tuple[str, ...], fixes: Fixes, terms: Terms = prefix_term
                 ) -> list[str | None]:
    """For each word, an expression for it or one of its corrections as a prefix
    (None: neither matches anything)."""
    return [any_of(found) for found in either_lists(words, fixes, terms)]


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


Row = tuple[int, str, str, float, str]
"""A title as MATCH_SQL reads it: rank key, url, title, ranking, search text."""


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

    def get(self, key: tuple[Any, ...]) -> Any:
        return self._cache.get(key)

    def put(self, key: tuple[Any, ...], value: Any, size: int) -> None:
        self._cache.put(key, value, size)

    @property
    def size(self) -> int:
        return self._cache.size


TermTitles = dict[str, int | None]
"""FTS5 term -> at most how many searched titles have it (None: many, or not known)."""


class SiteTerms:
    """`Terms` for one search, from the domain's words (`embedded.domain_words`): a
    word that no searched title has a word starting with matches nothing, and a word
    longer than the prefix index stands for the few words it begins, so FTS5 seeks
    their entries instead of merging every domain's. A word FTS5 would not index as
    itself (not plain ASCII) stays a prefix term for FTS5 to read.

    Each term also gets a bound of the titles that have it, from the same rows, so a
    step can tell a rare word (`RareRows`). With ``cache``, what a word found is kept
    for the domain's generation (``cache`` must be fresh for it)."""

    def __init__(self, words: DomainWords, cache: FreshCache | None = None) -> None:
        self.words = words
        self.cache = cache
        self.titles: TermTitles = {}
        self._found: dict[str, list[str]] = {}

    def __call__(self, word: str) -> list[str]:
        found = self._found.get(word)
        if found is None:
            terms, titles = self._cached(word)
            self.titles.update(titles)
            found = self._found[word] = terms
        return found

    def _cached(self, word: str) -> tuple[list[str], TermTitles]:
        if self.cache is None:
            return self._terms(word)
        key = (self.words.domain_id, self.words.groups, "terms", word)
        found = self.cache.get(key)
        if found is None:
            found = self._terms(word)
            self.cache.put(key, found, 2 * strings_size(found[0]) + sys.getsizeof(word) + 200)
        return found  # type: ignore[no-any-return]

    def _terms(self, word: str) -> tuple[list[str], TermTitles]:
        if not word.isascii():
            return prefix_term(word), {}
        rows = self.words.counted(word, COUNTED_WORDS + 1)
        complete = len(rows) <= COUNTED_WORDS
        if len(word) <= PREFIX_INDEX_LENGTH:
            if not rows:
                return [], {}
            return prefix_term(word), {prefix_term(word)[0]: self._titles(word, rows, complete)}
        titles: dict[str, int] = {}
        for found, count in rows:  # a word of several searched groups comes once for each
            titles[found] = titles.get(found, 0) + count
        if not complete and len(titles) <= MAX_EXPANDED:
            # Rows of several groups: more words may follow the rows read.
            begun = self.words.starting_with(word, MAX_EXPANDED + 1)
            if len(begun) > MAX_EXPANDED:
                return prefix_term(word), {}
            return [f'"{found}"' for found in begun], {}
        if len(titles) > MAX_EXPANDED:
            return prefix_term(word), {prefix_term(word)[0]: self._titles(word, rows, complete)}
        return [f'"{found}"' for found in titles], {f'"{found}"': count
                                                  for found, count in titles.items()}

    def _titles(self, word: str, rows: list[tuple[str, int]], complete: bool) -> int | None:
        """At most how many searched titles have a word starting with ``word``, whose
        first ``rows`` were read (all of them if ``complete``)."""
        return total(rows) if complete else self.words.titles_at_most(word, SUMMED_WORDS)

    def present(self, form: str) -> bool:
        """Some searched title has a word that starts with ``form``."""
        return bool(self(form))

    def at_most(self, terms: list[str]) -> int | None:
        """At most how many searched titles have one of ``terms`` (of words asked of this
        object); None if not known to be few."""
        counts = [self.titles.get(term) for term in terms]
        return None if None in counts else sum(counts)  # type: ignore[arg-type]


def total(rows: list[tuple[str, int]]) -> int:
    return sum(count for _word, count in rows)


class WordTest:
    """Whether a title has a token that matches one of a word's FTS5 terms (`"w"` or
    `"w"*`), as FTS5 decides for plain ASCII terms: the token itself, or a token that
    starts with it. A title is its tokens spaced, with a space before and after
    (`spaced_tokens`), so a test is a substring search."""

    def __init__(self, terms: list[str]) -> None:
        self.needles = tuple(f" {term[1:-2]}" if term.endswith("*") else f" {term[1:-1]} "
                             for term in terms)
        self.whole = frozenset(term[1:-1] for term in terms if not term.endswith("*"))
        self.starts = tuple(term[1:-2] for term in terms if term.endswith("*"))

    def in_title(self, spaced: str) -> bool:
        # A loop, not any(): a generator costs more than the search (per title).
        for needle in self.needles:  # noqa: SIM110
            if needle in spaced:
                return True
        return False

    def __call__(self, token: str) -> bool:
        return token in self.whole or token.startswith(self.starts)


def spaced_tokens(search_text: str) -> str:
    """A title's tokens (`embedded.domain_words.token_sequence`), spaced, with a space
    before and after: what `WordTest.in_title` searches."""
    return f" {' '.join(token_sequence(search_text))} "


def has_all(spaced: str, tests: list[WordTest]) -> bool:
    """Every word matches some token: FTS5's `a AND b`."""
    for test in tests:  # noqa: SIM110 (see WordTest.in_title)
        if not test.in_title(spaced):
            return False
    return True


def in_order(spaced: str, tests: list[WordTest]) -> bool:
    """The words match tokens one after the other: FTS5's phrase `a + b`."""
    tokens = spaced.split()
    return any(all(test(tokens[at + offset]) for offset, test in enumerate(tests))
               for at in range(len(tokens) - len(tests) + 1))


TitleTest = Callable[[str], bool]
"""A title's `spaced_tokens` -> whether it matches."""


@dataclass
class Plan:
    """A step answered in Python from the titles of its rarest word (`RareRows`): the
    words' terms, all of which a title must have (``together`` tells), and one test
    per FTS5 expression of the step of the titles that have them (the same titles, in
    the same order)."""

    words: list[list[str]]
    together: TitleTest
    tests: list[TitleTest]


RowTokens = tuple[tuple[Row, str], ...]
"""Titles with their `spaced_tokens`: a tuple of tuples of strings and numbers, which
the garbage collector stops tracking, so that a full collection does not walk every
cached title (a pause of 10-20 ms in a search)."""


class RareRows:
    """The searched titles of a domain's rare words, with their tokens, read once and
    kept for the domain's generation (``cache``): a step whose words include one that
    at most RARE_TITLES titles have reads those and tests the other words in Python,
    instead of FTS5 walking the doclists of every word (for a word as common as "the",
    thousands of entries per statement; a two-word miss used to walk them three times).
    Only for ASCII terms, whose matches Python tells as FTS5 does."""

    def __init__(self, conn: sqlite3.Connection, site: SiteTerms, cache: FreshCache,
                 sql: str, bounds: tuple[object, ...]) -> None:
        self.conn, self.site, self.cache = conn, site, cache
        self.sql, self.bounds = sql, bounds

    def rarest(self, words: list[list[str]]) -> list[str] | None:
        """The terms of the rarest of ``words`` (each word's terms; none empty), if one
        is rare and all are ASCII."""
        if not all(term.isascii() for terms in words for term in terms):
            return None
        counted = [(titles, terms) for terms in words
                   if (titles := self.site.at_most(terms)) is not None]
        if not counted:
            return None
        titles, terms = min(counted, key=lambda found: found[0])
        return terms if titles <= RARE_TITLES else None

    def of(self, words: list[list[str]], fetch: bool = True) -> RowTokens | None:
        """The titles of the rarest of ``words`` (each word's terms; none empty), if one
        is rare; with ``fetch`` False, only if they were read before."""
        terms = self.rarest(words)
        if terms is None:
            return None
        key = (self.site.words.domain_id, self.site.words.groups, "rows", tuple(terms))
        found: RowTokens | None = self.cache.get(key)
        if found is None and fetch:
            rows = self.conn.execute(self.sql, (any_of(terms), *self.bounds))
            found = tuple([(row, spaced_tokens(row[4])) for row in rows])
            self.cache.put(key, found, rows_size(found))
        return found


TitleSet = array | bytes | None
"""The titles that have a word, by sequence number (`TitleBits`): few, as an array of
them; many, as a bit set; None: not read (too many), so any title may have it."""


class TitleBits:
    """The titles of a domain that have a word, by sequence number (the rank key's last
    bits, unique in a domain), kept for the domain's generation (``cache``): an array
    of the numbers when that is smaller than a bit set over them all (8 KiB for 64k
    titles), else the bit set. A step whose words are all common makes FTS5 walk every
    word's doclist to the end to learn that no title has them together (1-4 ms a
    statement on 16 domains of 64k titles); the sets tell it in microseconds. They hold
    every group's titles (reading the groups too costs three times as much), so no
    title in common proves the searched titles have none; a title in common proves
    nothing (it may be private), and FTS5 or `RareRows` answer as before.

    A word's titles are read (rowids, no text) only within bounds, so that no search
    pays much for the searches after it: a miss's `leading_match` of words that are
    all common reads those met in such a miss before, up to COMMON_BITS_TITLES titles
    each (a word met once costs its miss only the FTS5 walk); any step reads a word of
    at most STEP_BITS_TITLES titles when another of its words is cached, which then
    decides it. A word found to have more titles is not read again this generation."""

    def __init__(self, conn: sqlite3.Connection, site: SiteTerms, cache: FreshCache,
                 bounds: tuple[int, int]) -> None:
        self.conn, self.site, self.cache, self.bounds = conn, site, cache, bounds

    def none_together(self, words: list[list[str]], common: bool = False) -> bool:
        """The sets prove that no title has every word (each word's terms, none empty):
        those cached and those that may be read (see the class; ``common``: for a
        miss's `leading_match`) are compared, the cached and the fewest titles first."""
        if len(words) < 2:
            return False
        costs = [(self._cost(terms), terms) for terms in words]
        bound = COMMON_BITS_TITLES if common else STEP_BITS_TITLES
        if not common and all(cost >= 0 for cost, _terms in costs):
            # None cached: a step that may well be a hit reads none (a word read, a
            # rare one included, is decided against a cached common one).
            bound = -1
        if common:
            # A miss reads a common word's titles the second time it is in one: a
            # word met once costs its miss no more than the FTS5 walk.
            costs = [(cost if cost < 0 or self._met_again(terms) else sys.maxsize, terms)
                     for cost, terms in costs]
        usable = sorted((cost, terms) for cost, terms in costs if cost <= bound)
        if len(usable) < 2:
            return False
        found = [titles for _cost, terms in usable if (titles := self.word(terms)) is not None]
        return len(found) > 1 and not shared(found)

    def _met_again(self, terms: list[str]) -> bool:
        key = (self.site.words.domain_id, "met", *terms)
        if self.cache.get(key) is not None:
            return True
        self.cache.put(key, True, strings_size(terms) + 150)
        return False

    def _cost(self, terms: list[str]) -> int:
        """-1 if the word's set is cached, else at most how many titles it reads."""
        if self.cache.get(self._key(terms)) is not None:
            return -1
        titles = self.site.at_most(terms)
        return sys.maxsize if titles is None else titles

    def word(self, terms: list[str]) -> TitleSet:
        """The titles that have one of a word's terms (one read for all of them)."""
        key = self._key(terms)
        found: tuple[TitleSet] | None = self.cache.get(key)
        if found is None:
            found = (self._read(str(any_of(terms))),)
            self.cache.put(key, found, sys.getsizeof(found[0]) + strings_size(terms) + 150)
        return found[0]

    def _key(self, terms: list[str]) -> tuple[Any, ...]:
        return (self.site.words.domain_id, "bits", *terms)

    def _read(self, term: str) -> TitleSet:
        rows = self.conn.execute(SEQUENCES_SQL, (MAX_SEQUENCE - 1, term, *self.bounds,
                                                 COMMON_BITS_TITLES + 1)).fetchall()
        if len(rows) > COMMON_BITS_TITLES:
            return None
        numbers = array("l", [number for (number,) in rows])
        last = max(numbers, default=0)
        if numbers.itemsize * len(numbers) < last // 8:
            return numbers
        bits = bytearray(last // 8 + 1)
        for number in numbers:
            bits[number >> 3] |= 1 << (number & 7)
        return bytes(bits)


def shared(sets: list[array | bytes]) -> bool:
    """Some title is in every one of ``sets``: the fewest numbers tested against the
    others, or the bit sets ANDed."""
    numbers = sorted((found for found in sets if isinstance(found, array)), key=len)
    bit_sets = [found for found in sets if isinstance(found, bytes)]
    if not numbers:
        together = -1
        for bits in bit_sets:
            together &= int.from_bytes(bits, "little")
        return together != 0
    left = set(numbers[0]).intersection(*numbers[1:])
    return any(all(number >> 3 < len(bits) and bits[number >> 3] >> (number & 7) & 1
                   for bits in bit_sets) for number in left)


def rows_size(rows: RowTokens) -> int:
    return sys.getsizeof(rows) + sum(
        200 + sum(map(sys.getsizeof, row[1:3])) + sys.getsizeof(row[4]) + sys.getsizeof(spaced)
        for row, spaced in rows)


def hits_size(hits: tuple[Hit, ...]) -> int:
    return sys.getsizeof(hits) + sum(
        100 + sys.getsizeof(hit.url) + sys.getsizeof(hit.title) + sys.getsizeof(hit.search_text)
        for hit in hits)


def exact_plan(words: tuple[str, ...], terms: Terms) -> Plan | None:
    """`tier_expressions` as a `Plan`."""
    found = [terms(word) for word in words]
    if not all(found):
        return None
    tests = [WordTest(each) for each in found]
    if len(words) == 1:
        return Plan(found, lambda _title: True, [lambda _title: True])
    return Plan(found, lambda title: has_all(title, tests),
                [lambda title: in_order(title, tests),
                 lambda title: not in_order(title, tests)])


def corrected_plan(words: tuple[str, ...], fixes: Fixes, terms: Terms) -> Plan | None:
    """`typo_expression` as a `Plan`."""
    either = either_lists(words, fixes, terms)
    if not all(either):
        return None
    typed = [terms(word) for word in words]
    either_tests = [WordTest(each) for each in either]
    typed_tests = [WordTest(each) for each in typed] if all(typed) else None
    return Plan(either, lambda title: has_all(title, either_tests), [lambda title: not (
        typed_tests is not None and has_all(title, typed_tests))])


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

    def _fresh(self, conn: sqlite3.Connection, domain_id: int, generation: int | None
               ) -> None:
        if generation is None:
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
                    domain_id: int, groups: tuple[str, ...], generation: int | None = None
                    ) -> dict[str, list[str]]:
        """``generation``: the domain's, if read for this search already
        (`Fts5Engine.generation`)."""
        self._fresh(conn, domain_id, generation)
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
        self.sql = for_groups(PRESENT_SQL, len(groups))

    def matches(self, expression: str) -> bool:
        """Some searched title matches the FTS5 ``expression``."""
        row = self.conn.execute(self.sql, (expression, self.low, self.high, *self.groups))
        return row.fetchone() is not None



def top_matches(rows: Iterable[Row], size: int) -> list[Row]:
    """The first ``size`` rows in rank order, plus the rest of the tie at the cut-off."""
    rows = iter(rows)
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


class Searched:
    """One step's look at a domain's searched titles (its groups asked for): the
    query words' terms, the rare words' titles, and FTS5."""

    def __init__(self, conn: sqlite3.Connection, domain_id: int, generation: int,
                 groups: tuple[str, ...], cache: FreshCache, words_cache: FreshCache,
                 titles: int) -> None:
        """``cache``: the rare words' titles; ``words_cache``: the rest (see
        WORDS_CACHE_BYTES); ``titles``: at most how many titles the domain has."""
        self.conn = conn
        self.domain_titles = max(1, titles)
        self.groups = groups
        self.generation = generation
        self.cache = words_cache
        self.low, self.high = domain_range(domain_id)
        self.sql = for_groups(MATCH_SQL, len(groups))
        key_groups = tuple(sorted(set(groups)))
        self.terms = SiteTerms(DomainWords(conn, domain_id, key_groups), words_cache)
        self.titles = SearchedTitles(conn, domain_id, groups)
        self.rare = RareRows(conn, self.terms, cache, self.sql, (self.low, self.high, *groups))
        self.bits = TitleBits(conn, self.terms, words_cache, (self.low, self.high))

    def by_fts5(self, expressions: Sequence[str | None], words: tuple[str, ...], size: int
                ) -> list[Hit]:
        """The best ``size`` titles of each expression in turn, until there are enough."""
        hits: list[Hit] = []
        for expression in expressions:
            wanted = size - len(hits)
            if wanted <= 0:
                break
            if expression is None:
                continue
            rows = self.conn.execute(self.sql, (expression, self.low, self.high, *self.groups))
            hits.extend(ranked(top_matches(rows, wanted), words, wanted))
        return hits

    def in_python(self, plan: Plan, rows: RowTokens, words: tuple[str, ...], size: int
                  ) -> list[Hit]:
        """`by_fts5` of the plan's expressions, from the titles of its rarest word."""
        hits: list[Hit] = []
        rows = tuple([pair for pair in rows if plan.together(pair[1])])  # a miss: none
        for test in plan.tests:
            wanted = size - len(hits)
            if wanted <= 0:
                break
            matching = (row for row, title in rows if test(title))
            hits.extend(ranked(top_matches(matching, wanted), words, wanted))
        return hits

    def together(self, words: list[list[str]]) -> bool:
        """Some searched title has every word (each word's terms, none empty)."""
        if len(words) == 1 and all(term.isascii() for term in words[0]):
            return True  # the domain's words list it (`SiteTerms`)
        if self.bits.none_together(words):
            return False
        rare = self.rare.rarest(words) is not None
        if rare and self.cache.get(self._together_key(words)) is False:
            return False  # noted by the exact step, which read no rare titles
        rows = self.rare.of(words) if rare else None
        if rows is None:
            # No rare word: FTS5 would walk every word's doclist, and would again in
            # the next miss of these words; their sets are read instead (see
            # `TitleBits`), even when the exact step noted the answer, for that miss.
            if self.bits.none_together(words, common=True):
                return False
            return self.any_together(words)
        tests = [WordTest(terms) for terms in words]
        return any(has_all(title, tests) for _row, title in rows)

    def any_together(self, words: list[list[str]]) -> bool:
        """Some searched title has every word, as FTS5 finds (one walk of the words'
        doclists when none has), kept for the domain's generation: the exact step of
        a miss learns it, and the miss's `leading_match` asks it again."""
        key = self._together_key(words)
        found: bool | None = self.cache.get(key)
        if found is None:
            found = self.titles.matches(" AND ".join(map(str, map(any_of, words))))
            self.cache.put(key, found, sum(map(strings_size, words)) + 200)
        return found

    def few_together(self, words: list[list[str]]) -> RowTokens | None:
        """The searched titles that have every word, when they are expected to be few
        (fewer than FEW_EXPECTED were the words drawn independently) and are (at most
        FEW_TOGETHER): read in one walk of the words' doclists, where tiers 1 and 2
        walk them twice when they find nothing, and a rare word's titles are read
        whole (see WALK_RATIO). None otherwise (a partial read lost)."""
        if not all(term.isascii() for terms in words for term in terms):
            return None
        counts = [self.terms.at_most(terms) for terms in words]
        if None in counts or prod(counts) >= (  # type: ignore[arg-type]
                FEW_EXPECTED * self.domain_titles ** (len(words) - 1)):
            return None
        fewest: int = min(counts)  # type: ignore[type-var, assignment]
        if fewest <= RARE_TITLES and sum(counts) - fewest > WALK_RATIO * fewest:  # type: ignore[arg-type]
            return None  # reading the rare word's titles costs less than the walk
        expression = " AND ".join(map(str, map(any_of, words)))
        found = self.conn.execute(self.sql, (expression, self.low, self.high, *self.groups))
        rows = list(islice(found, FEW_TOGETHER + 1))
        if len(rows) > FEW_TOGETHER:
            return None
        return tuple([(row, spaced_tokens(row[4])) for row in rows])

    def note_none(self, words: list[list[str]]) -> None:
        """No searched title has every word (learnt by a step): `any_together` knows."""
        self.cache.put(self._together_key(words), False, sum(map(strings_size, words)) + 200)

    def _together_key(self, words: list[list[str]]) -> tuple[Any, ...]:
        return (self.terms.words.domain_id, self.groups, "together",
                *(tuple(terms) for terms in words))


class Fts5Engine(TieredEngine):
    """FTS5 over the file, and the domains this worker serves kept in memory
    (`embedded.memory`), which answer the same while fresh and many times faster;
    ``memory_budget_bytes`` bounds them (0: FTS5 only)."""

    def __init__(self, db: SqliteDatabase,
                 memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET) -> None:
        self.db = db
        self._domain_ids: dict[str, int] = {}
        self._vocabulary = Vocabulary()
        self._site_cache = FreshCache(SITE_CACHE_BYTES)
        self._words_cache = FreshCache(WORDS_CACHE_BYTES)
        self._data_version: int | None = None
        self._generations: dict[str, int] = {}
        self._sequences: dict[str, int] = {}
        """Each domain's sequence numbers given out, as of its generation: at most how
        many titles it has (`Searched.few_together`)."""
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
            if planned is not None and searched.bits.none_together(planned.words):
                return []
            rows = searched.rare.of(planned.words, fetch=False) if planned else None
            if planned is not None and rows is None and all_words:
                # Fewer rows than the rare word's, and the same tests.
                rows = searched.few_together(planned.words)
            if planned is not None and rows is None:
                rows = searched.rare.of(planned.words, fetch)
            if planned is not None and rows is not None:
                hits = searched.in_python(planned, rows, query.words, size)
                if not hits and all_words:
                    searched.note_none(planned.words)
                return hits
            hits = searched.by_fts5(expressions(searched.terms), query.words, size)
            if not hits and all_words and planned is not None:
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
        await self.memory.close()
