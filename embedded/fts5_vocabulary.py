"""Typo corrections on the FTS5 path: a domain's words by first letter and the typo
forms made from them (`Vocabulary`)."""

import sqlite3
import sys
from collections.abc import Callable
from typing import Any

from core.typos import WordList, allowed_edits, corrections, form_parts, length_forms
from embedded.caches import FreshCache, strings_size
from embedded.domain_words import DomainWords

VOCABULARY_CACHE_BYTES = 16 * 1024 * 1024
"""The FTS5 path's words and typo forms kept per worker (`Vocabulary`)."""


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
        self.cache = FreshCache(limit_bytes)

    def _fresh(self, conn: sqlite3.Connection, domain_id: int, generation: int | None
               ) -> None:
        if generation is None:
            row = conn.execute("SELECT generation FROM domains WHERE id = ?", (domain_id,))
            (generation,) = row.fetchone()
        self.cache.fresh(domain_id, generation)

    def _cached(self, key: tuple[Any, ...], make: Callable[[], Any],
                size: Callable[[Any], int]) -> Any:
        found = self.cache.get(key)
        if found is None:
            found = make()
            self.cache.put(key, found, size(found))
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
