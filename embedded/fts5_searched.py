"""One step's look at a domain's searched titles through FTS5 (`Searched`), and the
cut-off and ranking of what it reads (`top_matches`, `ranked`)."""

import sqlite3
from collections.abc import Iterable, Sequence
from itertools import islice
from math import prod
from typing import Any

from core.engine import Hit
from core.ranking import order_key
from embedded import fts5_shortcuts as shortcuts
from embedded.caches import FreshCache, strings_size
from embedded.domain_words import DomainWords
from embedded.fts5_expressions import MATCH_SQL, PRESENT_SQL, Row, any_of, for_groups
from embedded.fts5_shortcuts import (
    Plan,
    RareRows,
    RowTokens,
    SiteTerms,
    TitleBits,
    WordTest,
    has_all,
    spaced_tokens,
)
from embedded.rank_keys import MAX_TIE_ROWS, SEQUENCE_BITS, domain_range


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
                shortcuts.FEW_EXPECTED * self.domain_titles ** (len(words) - 1)):
            return None
        fewest: int = min(counts)  # type: ignore[type-var, assignment]
        rare = fewest <= shortcuts.RARE_TITLES
        if rare and sum(counts) - fewest > shortcuts.WALK_RATIO * fewest:  # type: ignore[arg-type]
            return None  # reading the rare word's titles costs less than the walk
        expression = " AND ".join(map(str, map(any_of, words)))
        found = self.conn.execute(self.sql, (expression, self.low, self.high, *self.groups))
        rows = list(islice(found, shortcuts.FEW_TOGETHER + 1))
        if len(rows) > shortcuts.FEW_TOGETHER:
            return None
        return tuple([(row, spaced_tokens(row[4])) for row in rows])

    def note_none(self, words: list[list[str]]) -> None:
        """No searched title has every word (learnt by a step): `any_together` knows."""
        self.cache.put(self._together_key(words), False, sum(map(strings_size, words)) + 200)

    def _together_key(self, words: list[list[str]]) -> tuple[Any, ...]:
        return (self.terms.words.domain_id, self.groups, "together",
                *(tuple(terms) for terms in words))
