"""The FTS5 statements and match expressions of a search step: each query word as a
prefix term, in an in-order phrase, all of them, either of its corrections, joined."""

from collections.abc import Callable
from functools import cache
from itertools import product
from math import prod

from core.search import Fixes

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
