"""What the FTS5 path learns of a domain's words to ask FTS5 less (issue 24, many
sites): the titles each term has (`SiteTerms`), a rare word's titles read once and the
other words tested in Python (`RareRows`), a common word's titles as a set
(`TitleBits`), each kept while the domain's generation stands (`embedded.caches.FreshCache`)."""

import sqlite3
import sys
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.engine import Hit
from core.search import Fixes
from embedded.caches import FreshCache, strings_size
from embedded.domain_words import DomainWords, token_sequence
from embedded.fts5_expressions import (
    MAX_EXPANDED,
    PREFIX_INDEX_LENGTH,
    SEQUENCES_SQL,
    Row,
    Terms,
    any_of,
    either_lists,
    prefix_term,
)
from embedded.rank_keys import MAX_SEQUENCE

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
"""... if there are at most this many; else FTS5 answers the tiers as before."""
WALK_RATIO = 10
"""A step with a rare word has the titles of all its words read in one walk only when
the other words have at most this many times its titles: a walk of their doclists
(about 0.15 us a title) then costs less than reading the rare word's titles with their
text (about 5 us a title, `RareRows`)."""
COMMON_BITS_TITLES = 16384
"""A word that more titles have (a one- or two-letter prefix of a big domain) never
has its titles read as a set (a read of 5 ms at most): FTS5 answers for it."""


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
