"""A domain's titles in memory, answering every tier exactly as the FTS5 path does.

Where: `core.search.TieredEngine` decides which tiers run and when;
`embedded.engine.Fts5Engine` asks the domain's `DomainIndex` first while it is
fresh (`embedded.memory.MemoryIndexes.fresh`), and each tier here answers as the
`Fts5Engine` method of the same name. What an index holds, and why its answers
are FTS5's by construction: `embedded.indexed_titles`.
"""

import re
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from heapq import merge
from itertools import groupby
from typing import Any

from core.engine import Hit
from core.search import Fixes
from core.typo_index import TypoIndex
from core.typos import allowed_edits, chosen
from embedded.indexed_titles import Docs, IndexedTitles, Pause, no_pause


class DomainIndex(IndexedTitles):
    """One domain's titles at one generation, answering the tiers of a search
    (`IndexedTitles` holds the titles and the steps the tiers are made of)."""

    def __init__(self, *args: Any, pause: Pause = no_pause, **kwargs: Any) -> None:
        super().__init__(*args, pause=pause, **kwargs)
        # Built with the index, in its reader thread: a search never waits for the
        # typo candidates of a letter (`core.typo_index`), and they count in its bytes.
        self.typos = TypoIndex(self.words, pause)
        self.nbytes += self.typos.nbytes

    def exact(self, words: tuple[str, ...], groups: tuple[str, ...], size: int) -> list[Hit]:
        """Tiers 1 and 2, as `embedded.engine.Fts5Engine.exact`."""
        allowed = self.allowed_groups(groups)
        if len(words) == 1:
            docs = self.prefix_docs(words[0])
            matches = docs if allowed is None else self._having(docs, (), allowed)
            return self._ranked(self._select(matches, size), words, size)
        phrase = self._phrase_docs(words, allowed)
        if phrase is None:
            return self._exact_walking(words, allowed, size)
        hits = self._ranked(self._select(phrase, size), words, size)
        wanted = size - len(hits)
        if wanted > 0:  # tier 2: all the words, not as that phrase
            docs, others = self._shortest(words)
            matches = self._having(docs, others, allowed, set(phrase))
            hits += self._ranked(self._select(matches, wanted), words, wanted)
        return hits

    def _shortest(self, words: Sequence[str]) -> tuple[Docs, list[str]]:
        """The documents of the word that has fewest, and the other words (whose
        documents are not merged: the walk tests the titles for them)."""
        ends = self.posting_ends
        bounds = [(ends[high] - ends[low], number)
                  for number, (low, high) in enumerate(map(self._word_range, words))]
        _bound, number = min(bounds)
        return (self.prefix_docs(words[number]),
                [word for other, word in enumerate(words) if other != number])

    def _phrase_docs(self, words: tuple[str, ...], allowed: set[int] | None
                     ) -> list[int] | None:
        """Tier 1 whole, ascending, from the neighbours of whichever of the first two
        words begins fewer words; None when both begin too many for that to be quick."""
        first, second = self._phrase_range(words[0]), self._phrase_range(words[1])
        if first[1] - first[0] <= second[1] - second[0]:
            found = self.followers.of(first, second)
        else:
            found = self.preceders.of(second, first)
        if found is None:
            return None
        if len(words) > 2:
            # A title without one of the other words is no phrase of them: that test
            # is cheap, and most of a long query's titles fail it.
            texts = self.texts
            found = [doc for doc in self._with_all(found, words[2:])
                     if is_phrase(texts[doc].split(), words)]
        if allowed is not None:
            found = list(self._having(found, (), allowed))
        return found

    def _exact_walking(self, words: tuple[str, ...], allowed: set[int] | None, size: int
                       ) -> list[Hit]:
        """Tiers 1 and 2 in one walk over the documents with all the words,
        until tier 1 has enough (and its tie)."""
        phrase: list[int] = []  # tier 1: the words as an in-order phrase of prefixes
        others: list[int] = []  # tier 2: the first `size` others, and their tie
        phrase_end = others_end = None
        texts, tie_end, limit = self.texts, self.tie_end, size + self.max_tie_rows
        docs, rest = self._shortest(words)
        for doc in self._having(docs, rest, allowed):
            if is_phrase(texts[doc].split(), words):
                if phrase_end is None:
                    phrase.append(doc)
                    if len(phrase) == size:
                        phrase_end = tie_end[doc]
                elif doc < phrase_end and len(phrase) < limit:
                    phrase.append(doc)
                else:
                    break
            elif others_end is None:
                others.append(doc)
                if len(others) == size:
                    others_end = tie_end[doc]
            elif others_end and doc < others_end and len(others) < limit:
                others.append(doc)
            else:
                others_end = 0  # complete
        hits = self._ranked(phrase, words, size)
        wanted = size - len(hits)
        if wanted > 0 and others:
            # The first `size` and their tie hold the first `wanted` and theirs.
            hits += self._ranked(self._select(others, wanted), words, wanted)
        return hits

    def corrections(self, words: tuple[str, ...], groups: tuple[str, ...]) -> Fixes:
        """As `embedded.fts5_vocabulary.Vocabulary.corrections`, from this domain's words."""
        allowed = self.allowed_groups(groups)
        site = SearchedWords(self, allowed)
        fixes = {}
        for word in words:
            if not allowed_edits(word):
                continue
            # A visitor goes on typing after a mistyped word ("pyhton t", "pyhton te"):
            # its corrections are found once, not at every keystroke.
            key = (id(self), "fixes", word, None if allowed is None else frozenset(allowed))
            found = self._caches.forms.get(key)
            if found is None:
                found = chosen(word, self.typos.matches(word), site)
                self._caches.forms.put(key, found, self._fixes_size(found))
            if found:
                fixes[word] = list(found)
        return fixes

    def _fixes_size(self, found: list[str]) -> int:
        """Bytes a word's corrections add: the list, and the beginnings of words among
        them (a whole word is the index's own string)."""
        words = self.words
        return sys.getsizeof(found) + sum(
            sys.getsizeof(form) for form in found
            if words[min(bisect_left(words, form), len(words) - 1)] is not form)

    def corrected(self, words: tuple[str, ...], fixes: Fixes, groups: tuple[str, ...],
                  size: int) -> list[Hit]:
        """Tier 3: every word or one of its corrections, not all the words as typed."""
        alternatives = [(word, *fixes.get(word, ())) for word in words]
        # Only the word with the fewest titles is merged; the others are tested.
        shortest = min(range(len(words)), key=lambda at: self._bound(words[at], fixes))
        texts = self.texts
        typed = [f" {word}" for word in words]
        others = [[f" {form}" for form in forms]
                  for number, forms in enumerate(alternatives) if number != shortest]
        matches = (doc for doc in self._in_groups(self._walk_any(words[shortest], fixes),
                                                  self.allowed_groups(groups))
                   if all(any(needle in texts[doc] for needle in needles) for needles in others)
                   and not all(needle in texts[doc] for needle in typed))
        return self._ranked(self._select(matches, size), words, size)

    def _walk_any(self, word: str, fixes: Fixes) -> Iterator[int]:
        """`_docs_of_any`, ascending, merged only as far as it is walked: a page of
        corrected titles is found in the first few, and a correction such as "for"
        has tens of thousands (their union took milliseconds)."""
        forms = (word, *fixes.get(word, ()))
        if len(forms) == 1:
            return iter(self.prefix_docs(word))
        # Each form's documents ascend; merged, a title with two forms comes twice in a row.
        return (doc for doc, _same in groupby(merge(*map(self.prefix_docs, forms))))

    def _in_groups(self, docs: Iterator[int], allowed: set[int] | None) -> Iterator[int]:
        """Those of ``docs`` in the searched groups (`IndexedTitles._having`'s test)."""
        if allowed is None:
            return docs
        doc_groups = self.doc_groups
        if not allowed or doc_groups is None:
            return iter(())  # no searched group exists in the domain
        return (doc for doc in docs if doc_groups[doc] in allowed)

    def joined(self, words: tuple[str, ...], readings: list[tuple[str, ...]],
               groups: tuple[str, ...], size: int) -> list[Hit]:
        """Tier 3a, as `embedded.fts5_expressions.joined_expression`: every word of one of the
        readings as a prefix; ranked for the query's ``words``."""
        allowed = self.allowed_groups(groups)
        streams = [self._having(*self._shortest(reading), allowed) for reading in readings]
        # Each stream ascends; merged, a title found by two readings comes twice in a row.
        matches = (doc for doc, _same in groupby(merge(*streams)))
        return self._ranked(self._select(matches, size), words, size)

    def leading_match(self, words: tuple[str, ...], fixes: Fixes, groups: tuple[str, ...]
                      ) -> int:
        """As `core.search.TieredEngine.leading_match`: the titles with the first two
        words are found from the shorter list of the two, then narrowed word by word."""
        allowed = self.allowed_groups(groups)
        needles = [[f" {form}" for form in (word, *fixes.get(word, ()))] for word in words]
        def titles_of(word: str) -> Iterator[int]:  # merged only when walked
            return self._having(self._docs_of_any(word, fixes), (), allowed)

        if len(words) > 1 and self._bound(words[1], fixes) < self._bound(words[0], fixes):
            docs = self._with_any(titles_of(words[1]), needles[0])
            if not docs:
                return 1 if next(titles_of(words[0]), None) is not None else 0
            matched, rest = 2, needles[2:]
        else:
            docs = list(titles_of(words[0]))
            if not docs:
                return 0
            matched, rest = 1, needles[1:]
        for alternatives in rest:
            docs = self._with_any(docs, alternatives)
            if not docs:
                break
            matched += 1
        return matched

    def _with_all(self, docs: Iterable[int], words: Sequence[str]) -> list[int]:
        """Those of ``docs`` with a word starting with each of ``words``."""
        found = list(docs)
        for word in words:
            found = self._with_any(found, [f" {word}"])
        return found

    def _with_any(self, docs: Iterable[int], needles: list[str]) -> list[int]:
        """Those of ``docs`` whose text holds one of ``needles``."""
        texts = self.texts
        if len(needles) == 1:
            (needle,) = needles
            return [doc for doc in docs if needle in texts[doc]]
        # One scan of each text for all the needles, in C, not a test per needle.
        search = re.compile("|".join(map(re.escape, needles))).search
        return [doc for doc in docs if search(texts[doc])]

    def _bound(self, word: str, fixes: Fixes) -> int:
        """At most how many titles `_docs_of_any` finds, known without merging them."""
        ends = self.posting_ends
        return sum(ends[high] - ends[low] for low, high in
                   map(self._word_range, (word, *fixes.get(word, ()))))

    def _docs_of_any(self, word: str, fixes: Fixes) -> Docs:
        """The documents with a word starting with ``word`` or one of its fixes."""
        forms = (word, *fixes.get(word, ()))
        if len(forms) == 1:
            return self.prefix_docs(word)
        key = (id(self), "any", forms)  # a visitor typing on after a typo asks again
        docs = self._caches.prefixes.get(key)
        if docs is None:
            docs = array("I", sorted(set().union(*map(self.prefix_docs, forms))))
            self._caches.prefixes.put(key, docs, sys.getsizeof(docs))
        return docs

    def present(self, forms: list[str], groups: tuple[str, ...]) -> set[str]:
        """Those of ``forms`` that a word of a searched title starts with."""
        site = SearchedWords(self, self.allowed_groups(groups))
        return {form for form in forms if site.has_prefix(form)}


class SearchedWords:
    """`core.typos.Site` from memory: the domain's words, in the searched groups."""

    def __init__(self, index: IndexedTitles, allowed: set[int] | None) -> None:
        self.index = index
        self.allowed = allowed

    def _searched(self, low: int, high: int) -> bool:
        if self.allowed is None:
            return high > low
        if not self.allowed:  # no searched group exists in the domain
            return False
        doc_groups, allowed = self.index.doc_groups, self.allowed
        assert doc_groups is not None  # some groups searched, not all: there are several
        ends = self.index.posting_ends
        return any(doc_groups[doc] in allowed
                   for doc in self.index.documents_of[ends[low]:ends[high]])

    def has_prefix(self, form: str) -> bool:
        return self._searched(*self.index._word_range(form))

    def has_word(self, form: str) -> bool:
        low = bisect_left(self.index.words, form)
        found = low < len(self.index.words) and self.index.words[low] == form
        return found and self._searched(low, low + 1)


def is_phrase(title_words: list[str], words: tuple[str, ...]) -> bool:
    """FTS5's ``"a"* + "b"*``: consecutive title words starting with the query words in order."""
    first, rest = words[0], words[1:]
    for start in range(len(title_words) - len(words) + 1):
        if title_words[start].startswith(first) and all(
            title_words[start + 1 + offset].startswith(word) for offset, word in enumerate(rest)
        ):
            return True
    return False
