"""A domain's titles in memory, answering every tier exactly as the FTS5 path does.

Why: a never-seen query costs FTS5 a few statements and a few hundred
microseconds of CPU; a worker must answer thousands a second. Each worker keeps
the domains it serves in memory (`MemoryIndexes`, bounded in bytes, least
recently used first out) and answers from them while they are fresh; a stale
or missing index is rebuilt in a reader thread while FTS5 answers.

Same answers as `embedded.engine`, by construction:
- documents are numbered in rank-key order, so "FTS5 hands matches over in
  rowid order" becomes "smallest number first", and a popularity tie (titles
  whose rank keys agree above the sequence bits) is a run of numbers;
- the words are the FTS5 tokens of ``search_text``: its space-separated words,
  which FTS5's tokenizer keeps as they are (checked when the index is built;
  a domain with a word the tokenizer would change is served by FTS5, and so is
  a query with such a word) (its `core.text.JOINED_MARK`, a word no query
  word starts with, is ASCII_JOINED_MARK here, which no query word starts with either);
- a prefix ``"w"*`` matches the documents of every vocabulary word starting
  with ``w``: a range of the sorted vocabulary;
- the cut-off tie rule and the ranking are those of `embedded.engine.top_matches`
  and `embedded.engine.ranked` (`core.ranking`), the rank key's place in the
  order taken by the document number.
"""

import asyncio
import ctypes
import ctypes.util
import logging
import re
import sqlite3
import sys
import time
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from heapq import merge
from itertools import accumulate, groupby, islice, pairwise, repeat
from typing import Any

from core.engine import Hit
from core.ranking import closeness_columns
from core.search import Fixes
from core.text import ASCII_JOINED_MARK, JOINED_MARK
from core.typos import allowed_edits, corrections, form_parts, length_forms
from embedded.database import SqliteDatabase

log = logging.getLogger(__name__)

# `ranking`: the popularity plus the click bonus (core.ranking.ranking_value).
ROWS_SQL = """
SELECT rank_key, url, title, grp, ranking, search_text FROM documents
WHERE domain_id = ? ORDER BY rank_key
"""
# The documents table's FTS5 tokenizer (embedded.store.SCHEMA; a test keeps them equal).
TOKENIZER = "unicode61 remove_diacritics 2"
LAST_CHARACTER = "\U0010ffff"
DEFAULT_MEMORY_BUDGET = 64 * 1024 * 1024
# Of the budget, the share kept for what queries leave behind (merged postings
# of prefixes, typo candidate forms); the indexes get the rest. A quarter: the
# typo forms of the Debian corpus's words take about 11 MB in all, and with 4 MiB
# for them a stream of typos rebuilt most lists it used (2.6 ms a typo, 1.4 ms with 8).
QUERY_CACHE_SHARE = 4
# A domain is rebuilt at most this many times its last build's duration after
# it: a domain written to constantly costs a worker at most 1/(1+PAUSE) of a core.
BUILD_PAUSE = 4.0
# Fewer bytes than a row takes in memory (a short URL and title): a domain with
# more rows than the budget holds at this size is not even read.
MIN_ROW_BYTES = 200
# The texts have `core.text.ASCII_JOINED_MARK` for JOINED_MARK: a text all ASCII
# is stored and searched a byte a character (the private-use mark made every text
# that had it two bytes a character, and each test of a word in it a conversion).
# Word and document numbers share a key while the followers are sorted.
DOC_BITS = 24
MAX_DOCUMENTS = 1 << DOC_BITS
DOC_MASK = MAX_DOCUMENTS - 1
# Tier 1 from the neighbours of at most this many words starting with one of
# the first two query words; beyond, walking the documents is quicker.
MAX_PHRASE_STARTS = 64
# Documents tested at once by `DomainIndex._having`, at first and at most.
FIRST_BATCH = 32
MAX_BATCH = 1024

Docs = Sequence[int]
"""Document numbers, ascending."""


def strings_size(strings: list[str]) -> int:
    """Bytes a list of strings holds, the strings included."""
    return sys.getsizeof(strings) + sum(map(sys.getsizeof, strings))


class ByteBoundedCache:
    """Least recently used entries go first once their sizes add up to more than ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        if size > self.limit:
            return
        self.discard(key)
        self._entries[key] = (value, size)
        self.size += size
        while self.size > self.limit:
            _key, (_value, evicted) = self._entries.popitem(last=False)
            self.size -= evicted

    def discard(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.size -= entry[1]

    def discard_where(self, test: Callable[[Hashable], bool]) -> None:
        for key in [key for key in self._entries if test(key)]:
            self.discard(key)


@dataclass(frozen=True)
class QueryCaches:
    """What queries leave behind, each kind bounded on its own, so that typo
    candidate lists (hundreds of kilobytes each) never push out the merged
    prefixes that most searches use."""

    prefixes: ByteBoundedCache
    forms: ByteBoundedCache

    @classmethod
    def within(cls, limit: int) -> "QueryCaches":
        return cls(ByteBoundedCache(limit // 2), ByteBoundedCache(limit - limit // 2))

    @property
    def limit(self) -> int:
        return self.prefixes.limit + self.forms.limit

    @property
    def size(self) -> int:
        return self.prefixes.size + self.forms.size

    def discard_where(self, test: Callable[[Hashable], bool]) -> None:
        self.prefixes.discard_where(test)
        self.forms.discard_where(test)


class Tokenizer:
    """Tells which words FTS5's tokenizer keeps as they are (an in-memory FTS5 table)."""

    CACHED = 4096

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.executescript(f"""
            CREATE VIRTUAL TABLE words USING fts5(word, tokenize='{TOKENIZER}');
            CREATE VIRTUAL TABLE tokens USING fts5vocab(words, 'instance');
        """)
        self._kept: dict[str, bool] = {}

    def changed(self, words: Iterable[str]) -> set[str]:
        """The words FTS5 would index as something else (other letters, several tokens)."""
        batch = list(words)
        if not batch:
            return set()
        with self._conn:
            self._conn.executemany("INSERT INTO words(rowid, word) VALUES (?, ?)",
                                   enumerate(batch))
            found: dict[int, list[str]] = {}
            for doc, term in self._conn.execute("SELECT doc, term FROM tokens"):
                found.setdefault(doc, []).append(term)
            self._conn.execute("DELETE FROM words")
        return {word for number, word in enumerate(batch) if found.get(number) != [word]}

    def keeps(self, word: str) -> bool:
        """``word`` (a `core.text.words` word) is one FTS5 token, itself."""
        if word.isascii():
            return True  # letters and digits, already lower case: kept as they are
        kept = self._kept.get(word)
        if kept is None:
            if len(self._kept) >= self.CACHED:
                self._kept.clear()
            kept = self._kept[word] = not self.changed([word])
        return kept


class Neighbours:
    """For each word, the words next to it (on one side) and in which documents,
    sorted by neighbour, then document."""

    def __init__(self, pairs_by_word: list[Sequence[int]]) -> None:
        """``pairs_by_word``: for each word, (neighbour, document) packed in DOC_BITS each."""
        ordered = [pair for pairs in pairs_by_word if pairs for pair in sorted(pairs)]
        self.words = array("I", [pair >> DOC_BITS for pair in ordered])
        self.docs = array("I", [pair & DOC_MASK for pair in ordered])
        self.starts = array("I", accumulate(map(len, pairs_by_word), initial=0))
        """The neighbours of word w are [starts[w], starts[w + 1])."""

    def of(self, words: tuple[int, int], neighbours: tuple[int, int]) -> list[int] | None:
        """The documents, ascending, where a word of the range ``words`` has one of the
        range ``neighbours`` next to it; None if ``words`` is too wide to be quick."""
        low, high = neighbours
        if words[1] - words[0] > MAX_PHRASE_STARTS:
            return None
        found: list[int] = []
        neighbour_words, docs, starts = self.words, self.docs, self.starts
        for word in range(*words):
            start, end = starts[word], starts[word + 1]
            if start < end:
                at = bisect_left(neighbour_words, low, start, end)
                found += docs[at:bisect_left(neighbour_words, high, at, end)]
        return sorted(set(found))

    def nbytes(self) -> int:
        return sum(map(sys.getsizeof, (self, self.__dict__, self.words, self.docs,
                                       self.starts)))


class TooManyForKeys(Exception):
    """More documents or words than the followers' keys have room for."""


ENTRY_SEPARATOR = "\x00"
"""Between a title's URL and its title: neither may hold a NUL (`app.shared.models`)."""


def title_length(entry: str) -> int:
    return len(entry) - entry.index(ENTRY_SEPARATOR) - 1


class DomainIndex:
    """One domain's titles at one generation; see the module docstring.

    ``tie_shift`` and ``max_tie_rows`` are the FTS5 path's tie rule
    (`embedded.engine.SEQUENCE_BITS`, `embedded.engine.MAX_TIE_ROWS`).
    """

    def __init__(self, domain_id: int, generation: int, rows: Iterable[Sequence[Any]],
                 tie_shift: int, max_tie_rows: int, caches: QueryCaches) -> None:
        """``rows`` as `ROWS_SQL` reads them, read once as they come: a build
        holds little more than the index it makes, so a worker's memory stays
        near what its indexes count."""
        self.domain_id = domain_id
        self.generation = generation
        self.max_tie_rows = max_tie_rows
        self._caches = caches
        # Answers are made of these: URL and title in one string each, which
        # holds a title in about 100 bytes less than a Hit of two strings would.
        self.entries: list[str] = []
        self.popularity = array("d")
        # Each title's search text with a space before and after: " w" in it
        # tells whether a word starts with w, " w " whether w is a whole word.
        self.texts: list[str] = []
        self.group_ids: dict[str, int] = {}
        groups = array("I")
        ties = array("Q")
        vocabulary: set[str] = set()
        for rank_key, url, title, group, popularity, search_text in rows:
            if JOINED_MARK in search_text:
                search_text = search_text.replace(JOINED_MARK, ASCII_JOINED_MARK)
            text = f" {search_text} "
            self.entries.append(f"{url}{ENTRY_SEPARATOR}{title}")
            self.popularity.append(popularity)
            self.texts.append(text)
            groups.append(self.group_ids.setdefault(group, len(self.group_ids)))
            ties.append(rank_key >> tie_shift)
            vocabulary.update(search_text.split())
        count = len(self.entries)
        self.doc_groups: array[int] | None = groups if len(self.group_ids) > 1 else None
        # Each document's number past the last of its popularity tie.
        self.tie_end = array("I")
        for _tie, members in groupby(ties):
            length = sum(1 for _ in members)
            self.tie_end.extend(repeat(len(self.tie_end) + length, length))
        self.words = sorted(vocabulary)
        del vocabulary
        if max(len(self.words), count) >= MAX_DOCUMENTS:
            raise TooManyForKeys(f"{count} documents, {len(self.words)} words")
        self._index_words()
        unusual = [word for word in self.words if not word.isascii()]
        self.changed_words = Tokenizer().changed(unusual) if unusual else set()
        self.nbytes = self._size()

    def _index_words(self) -> None:
        """Each word's documents, and which word follows (and precedes) it in which.

        With those neighbours, tier 1 ("a b" as an in-order phrase of prefixes)
        is a slice per word starting with a (its followers starting with b are
        a range), or per word starting with b, however many titles have both
        words apart.
        """
        # The event loop waits for this reader thread while it holds the GIL: so
        # built a word at a time, never in one long sort (a C call keeps the
        # GIL), and in arrays, which the garbage collector need not walk.
        word_ids = {word: number for number, word in enumerate(self.words)}
        postings = [array("I") for _ in self.words]
        # Phrases of two words or more are of the titles' own words only (each
        # joined word comes after a mark, see `core.text.search_text`): only those
        # have neighbours, so a prefix's count of words that start phrases
        # (MAX_PHRASE_STARTS) is not inflated by the joined words starting with it.
        own_words = {word for text in self.texts
                     for word in text.partition(ASCII_JOINED_MARK)[0].split()}
        self.phrase_words = [word for word in self.words if word in own_words]
        del own_words
        phrase_ids = {word: number for number, word in enumerate(self.phrase_words)}
        followers = [array("Q") for _ in self.phrase_words]
        preceders = [array("Q") for _ in self.phrase_words]
        for number, text in enumerate(self.texts):
            own = text.partition(f" {ASCII_JOINED_MARK} ")[0]
            ids = [word_ids[word] for word in text.split()]
            for word in set(ids):
                postings[word].append(number)
            for first, second in pairwise([phrase_ids[word] for word in own.split()]):
                followers[first].append(second << DOC_BITS | number)
                preceders[second].append(first << DOC_BITS | number)
        # Every word's documents, ascending, one word after another.
        self.posting_docs = array("I", [doc for docs in postings for doc in docs])
        self.documents_of = memoryview(self.posting_docs)
        # Where each word's documents start (and the words before it end): also
        # what a prefix's documents number at most, known without merging them.
        self.posting_ends = array("I", accumulate(map(len, postings), initial=0))
        del postings
        self.followers = Neighbours(followers)
        self.preceders = Neighbours(preceders)

    def _size(self) -> int:
        """Bytes held, each object counted once."""
        size = sys.getsizeof
        containers = (self.entries, self.texts, self.popularity, self.tie_end, self.doc_groups,
                      self.words, self.phrase_words, self.posting_docs, self.posting_ends)
        total = sum(map(size, containers))
        total += self.followers.nbytes() + self.preceders.nbytes()
        for strings in (self.entries, self.texts, self.words):
            if "".join(strings).isascii():  # all the same kind: a header and a byte each
                total += size("") * len(strings) + sum(map(len, strings))
            else:
                total += sum(map(size, strings))
        return total + size(self) + size(self.__dict__)

    # --- what a query needs -------------------------------------------------

    def answers(self, words: Iterable[str], tokenizer: Tokenizer) -> bool:
        """The index can answer for these query words as FTS5 would."""
        return not self.changed_words and all(map(tokenizer.keeps, words))

    def allowed_groups(self, groups: tuple[str, ...]) -> set[int] | None:
        """Group numbers searched (``""`` and ``groups``); None if that is all of them."""
        allowed = {self.group_ids[name] for name in ("", *groups) if name in self.group_ids}
        return None if len(allowed) == len(self.group_ids) else allowed

    def _word_range(self, prefix: str) -> tuple[int, int]:
        low = bisect_left(self.words, prefix)
        return low, bisect_left(self.words, prefix + LAST_CHARACTER, low)

    def _phrase_range(self, prefix: str) -> tuple[int, int]:
        """`_word_range` of the words that have neighbours (`_index_words`)."""
        low = bisect_left(self.phrase_words, prefix)
        return low, bisect_left(self.phrase_words, prefix + LAST_CHARACTER, low)

    def prefix_docs(self, prefix: str) -> Docs:
        """The documents with a word that starts with ``prefix``."""
        low, high = self._word_range(prefix)
        if high - low <= 1:
            return self.documents_of[self.posting_ends[low]:self.posting_ends[high]]
        key = (id(self), "prefix", prefix)
        docs = self._caches.prefixes.get(key)
        if docs is None:
            ends = self.posting_ends
            docs = array("I", sorted(set(self.documents_of[ends[low]:ends[high]])))
            self._caches.prefixes.put(key, docs, sys.getsizeof(docs))
        return docs

    def _select(self, docs: Iterable[int], size: int) -> list[int]:
        """`embedded.engine.top_matches`: the first ``size``, plus the rest of the tie."""
        if isinstance(docs, (array, list, memoryview)):
            best = list(docs[:size])
            if len(best) == size:
                end = bisect_left(docs, self.tie_end[best[-1]], size,
                                  min(len(docs), size + self.max_tie_rows))
                best += docs[size:end]
            return best
        matches = iter(docs)
        best = list(islice(matches, size))
        if len(best) == size:
            end = self.tie_end[best[-1]]
            for doc in islice(matches, self.max_tie_rows):
                if doc >= end:
                    break
                best.append(doc)
        return best

    def _ranked(self, docs: list[int], words: tuple[str, ...], size: int) -> list[Hit]:
        """`embedded.engine.ranked`, sorting only what needs it: titles of different
        popularity ties are in order already (more popular first), so only each
        run of one tie is sorted, and runs from the ``size``-th title on dropped."""
        tie_end, popularity, texts, entries = (self.tie_end, self.popularity, self.texts,
                                               self.entries)
        ordered: list[int] = []
        start = 0
        while start < len(docs) and len(ordered) < size:
            end = bisect_left(docs, tie_end[docs[start]], start)
            if end - start == 1:
                ordered.append(docs[start])
            else:
                tie = docs[start:end]
                wholes, not_starting = closeness_columns([texts[doc] for doc in tie], words)
                keys = sorted(zip([-popularity[doc] for doc in tie], wholes, not_starting,
                                  [title_length(entries[doc]) for doc in tie], tie,
                                  strict=True))
                ordered += [key[-1] for key in keys]
            start = end
        return [Hit(*entries[doc].split(ENTRY_SEPARATOR, 1), texts[doc]) for doc in ordered[:size]]

    def _having(self, docs: Docs, words: Sequence[str], allowed: set[int] | None,
                excluded: Collection[int] = ()) -> Iterator[int]:
        """Of ``docs``, in order, those with a word starting with each of ``words``,
        in the searched groups, not ``excluded``: tested a growing batch at a time,
        so finding the first few costs little and finding all costs little more."""
        texts, doc_groups = self.texts, self.doc_groups
        needles = [f" {word}" for word in words]
        groups = allowed if allowed is not None else ()
        start, batch = 0, FIRST_BATCH
        while start < len(docs):
            chunk = docs[start:start + batch]
            start, batch = start + batch, min(batch * 2, MAX_BATCH)
            for needle in needles:  # the most selective test first
                chunk = [doc for doc in chunk if needle in texts[doc]]
            if groups:
                assert doc_groups is not None
                chunk = [doc for doc in chunk if doc_groups[doc] in groups]
            elif allowed is not None:
                return  # no group searched exists in the domain
            if excluded:
                chunk = [doc for doc in chunk if doc not in excluded]
            yield from chunk

    # --- the tiers ------------------------------------------------------------

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
        """As `embedded.engine.Vocabulary.corrections`, from this domain's words."""
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
            if found is None:  # its few strings are the index's words or the parts' forms
                found = tuple(corrections(word, (), site, forms=self._forms(word)))
                self._caches.forms.put(key, found, sys.getsizeof(found))
            if found:
                fixes[word] = list(found)
        return fixes

    def _forms(self, word: str) -> list[str]:
        """`core.typos.candidate_forms` of the word's letter, from cached parts."""
        low, high = self._word_range(word[0])
        forms: list[str] = []
        for whole, length in form_parts(word, allowed_edits(word)):
            key = (id(self), "forms", word[0], whole, length)
            part = self._caches.forms.get(key)
            if part is None:
                part = length_forms(self.words[low:high], whole, length)
                self._caches.forms.put(key, part, self._part_size(part, whole, length))
            forms += part
        return forms

    def _part_size(self, part: list[str], whole: bool, length: int) -> int:
        """Bytes a part of typo forms adds: its list, and its strings that are not the
        index's own words (whole words are; a beginning is when it is a whole word, as
        `length_forms` keeps the first of equal beginnings and the word sorts first)."""
        if whole or not part:
            return sys.getsizeof(part)
        low, high = self._word_range(part[0][0])
        own = sum(sys.getsizeof(word) for word in self.words[low:high] if len(word) == length)
        return strings_size(part) - own

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
        docs = self._docs_of_any(words[shortest], fixes)
        matches = (doc for doc in self._having(docs, (), self.allowed_groups(groups))
                   if all(any(needle in texts[doc] for needle in needles) for needles in others)
                   and not all(needle in texts[doc] for needle in typed))
        return self._ranked(self._select(matches, size), words, size)


    def joined(self, words: tuple[str, ...], readings: list[tuple[str, ...]],
               groups: tuple[str, ...], size: int) -> list[Hit]:
        """Tier 3a, as `embedded.engine.joined_expression`: every word of one of the
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

    def __init__(self, index: DomainIndex, allowed: set[int] | None) -> None:
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


@dataclass(frozen=True)
class TooBig:
    """A domain left to FTS5 at this generation: more rows than the budget holds."""

    generation: int
    rows: int


def load(conn: sqlite3.Connection, domain: str, tie_shift: int, max_tie_rows: int,
         caches: QueryCaches, max_rows: int) -> DomainIndex | TooBig | None:
    """Build ``domain``'s index from one consistent read of its rows (None: no such domain).

    A domain of more than ``max_rows`` rows is only counted, not read.
    """
    conn.execute("BEGIN")
    try:
        row = conn.execute("SELECT id, generation FROM domains WHERE name = ?",
                           (domain,)).fetchone()
        if row is None:
            return None
        domain_id, generation = row
        (count,) = conn.execute("SELECT count(*) FROM documents WHERE domain_id = ?",
                                (domain_id,)).fetchone()
        if count > max_rows:
            return TooBig(generation, count)
        rows = conn.execute(ROWS_SQL, (domain_id,))
        try:
            return DomainIndex(domain_id, generation, rows, tie_shift, max_tie_rows, caches)
        except TooManyForKeys:
            return TooBig(generation, count)
    finally:
        conn.execute("COMMIT")


def _malloc_trim() -> Callable[[int], int] | None:
    libc = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None


_MALLOC_TRIM = _malloc_trim()


def release_freed_memory() -> None:
    """Give the memory a build freed back to the system.

    A build allocates and frees tens of megabytes of temporary lists; glibc keeps
    them for later, so a worker's RSS stayed about 24 MB above what it holds
    (105 MB after building the 63,678 Debian titles, 81 MB after a trim; the trim
    takes a few milliseconds). Elsewhere than glibc, nothing to do.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class MemoryIndexes:
    """The domains a worker keeps in memory, within ``budget_bytes`` in all.

    `fresh` answers at once (an index at the asked generation, or None); what
    is missing or stale is built in a reader thread, one build per domain at a
    time, and swapped in when done. A domain too big for the budget, or with
    words FTS5 would change, is left to FTS5.
    """

    def __init__(self, db: SqliteDatabase, budget_bytes: int, tie_shift: int,
                 max_tie_rows: int) -> None:
        self.db = db
        self.cache = QueryCaches.within(budget_bytes // QUERY_CACHE_SHARE)
        self.budget = budget_bytes - self.cache.limit
        self.tokenizer = Tokenizer()
        self._tie_shift, self._max_tie_rows = tie_shift, max_tie_rows
        self.build_pause = BUILD_PAUSE
        self._indexes: OrderedDict[str, DomainIndex] = OrderedDict()
        self._builds: dict[str, asyncio.Task[None]] = {}
        self._not_before: dict[str, float] = {}
        # Domains left to FTS5: the generation, and the bytes a row took then.
        self._unfit: dict[str, tuple[int, float]] = {}

    @property
    def nbytes(self) -> int:
        return sum(index.nbytes for index in self._indexes.values())

    def fresh(self, domain: str, generation: int, words: tuple[str, ...]) -> DomainIndex | None:
        """The domain's index if it is at ``generation`` and can answer ``words``."""
        index = self._indexes.get(domain)
        if index is not None and index.generation == generation:
            self._indexes.move_to_end(domain)
            return index if index.answers(words, self.tokenizer) else None
        if self.budget > 0 and generation and self._unfit.get(domain, (None,))[0] != generation:
            self._start_build(domain)
        return None

    def _start_build(self, domain: str) -> None:
        if domain in self._builds or time.monotonic() < self._not_before.get(domain, 0):
            return
        task = asyncio.get_running_loop().create_task(self._build(domain))
        self._builds[domain] = task
        task.add_done_callback(lambda _task: self._builds.pop(domain, None))

    async def _build(self, domain: str) -> None:
        started = time.monotonic()
        # Counted first: a domain far over the budget is never read whole.
        max_rows = int(self.budget / self._unfit.get(domain, (0, MIN_ROW_BYTES))[1])
        try:
            index = await self.db.read(lambda conn: load(
                conn, domain, self._tie_shift, self._max_tie_rows, self.cache, max_rows))
        except Exception:  # the database closing, a busy file: FTS5 answers meanwhile
            log.exception("could not build the in-memory index of %s", domain)
            index = None
        finished = time.monotonic()
        self._not_before[domain] = finished + self.build_pause * (finished - started)
        if index is None:
            return
        try:
            self._keep(domain, index)
        finally:
            release_freed_memory()

    def _keep(self, domain: str, index: "DomainIndex | TooBig") -> None:
        self.discard(domain)
        if isinstance(index, TooBig):
            row_bytes = self._unfit.get(domain, (0, MIN_ROW_BYTES))[1]
            self._unfit[domain] = (index.generation, row_bytes)
            return
        if index.nbytes > self.budget or index.changed_words:
            self._unfit[domain] = (index.generation, index.nbytes / max(1, len(index.entries)))
            return
        self._unfit.pop(domain, None)
        while self._indexes and self.nbytes + index.nbytes > self.budget:
            self.discard(next(iter(self._indexes)))
        self._indexes[domain] = index

    async def warm(self, domains: Sequence[tuple[str, int]]) -> None:
        """Build the indexes of ``domains`` (name, titles), in the order given, each
        one that may still fit in what the budget has left (estimated from the bytes a
        title took in the indexes built so far): none evicts one built before it."""
        for domain, titles in domains:
            built = self._indexes.values()
            row_bytes = max(MIN_ROW_BYTES,
                            self.nbytes / max(1, sum(len(i.entries) for i in built)))
            if self.nbytes + titles * row_bytes <= self.budget:
                await self._build(domain)

    def discard(self, domain: str) -> None:
        index = self._indexes.pop(domain, None)
        if index is not None:
            self.cache.discard_where(lambda key: key[0] == id(index))  # type: ignore[index]

    def building(self, domain: str) -> bool:
        return domain in self._builds

    async def built(self, domain: str) -> None:
        """Wait for the domain's build in progress, if any (tests, warm-up)."""
        task = self._builds.get(domain)
        if task is not None:
            await asyncio.shield(task)

    async def close(self) -> None:
        for task in list(self._builds.values()):
            task.cancel()
        await asyncio.gather(*self._builds.values(), return_exceptions=True)
