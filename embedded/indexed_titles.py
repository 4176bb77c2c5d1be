"""One domain's titles laid out in memory, and the steps every in-memory tier is made of.

Where: `embedded.loading.load` builds one from a domain's rows;
`embedded.domain_index.DomainIndex` answers the tiers from it; `embedded.memory`
keeps those of the domains a worker serves.

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
- the cut-off tie rule and the ranking are those of `embedded.fts5_searched.top_matches`
  and `embedded.fts5_searched.ranked` (`core.ranking`), the rank key's place in the
  order taken by the document number.
"""

import sys
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from itertools import islice, pairwise, repeat
from typing import Any, TypeVar

from core.engine import Hit
from core.ranking import closeness_columns
from core.text import ASCII_JOINED_MARK, JOINED_MARK
from embedded.caches import QueryCaches
from embedded.tokenizer import Tokenizer

LAST_CHARACTER = "\U0010ffff"
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
# Documents tested at once by `IndexedTitles._having`, at first and at most.
FIRST_BATCH = 32
MAX_BATCH = 1024

Docs = Sequence[int]
"""Document numbers, ascending."""

T = TypeVar("T")
Pause = Callable[[], None]
"""Called often by a build: a build in a reader thread gives way there to the event
loop's searches (`embedded.loading.BuildTurns`). The GIL is the loop's only while the
builder waits outside it: a search that lets go of it at each SQLite call otherwise
waited up to `sys.getswitchinterval()` at each to get it back."""
PACED_EVERY = 16
"""Items of a build's loops between two calls of its pause (a call costs 0.1 us, an
item up to 10 us)."""
STRINGS_AT_ONCE = 1024
"""Strings sized (or sorted) in one C call: no call of a build holds the GIL long."""


def no_pause() -> None:
    """A build that need not give way (tests, tools)."""


def paced(items: Iterable[T], pause: Pause, every: int = PACED_EVERY) -> Iterator[T]:
    """``items``, with ``pause`` called before each ``every`` of them."""
    iterator = iter(items)
    while chunk := list(islice(iterator, every)):
        pause()
        yield from chunk


def sorted_paced(strings: Iterable[str], pause: Pause) -> list[str]:
    """``sorted(strings)``, sorted a bucket of one beginning at a time: one sort of the
    64k words of the Debian titles held the GIL for 27 ms. Strings in order have their
    first two characters in order, so the buckets in order of those are in order."""
    buckets: defaultdict[str, list[str]] = defaultdict(list)
    for string in paced(strings, pause):
        buckets[string[:2]].append(string)
    ordered: list[str] = []
    for beginning in paced(sorted(buckets), pause, every=1):
        ordered += sorted(buckets.pop(beginning))
    return ordered


def strings_only_size(strings: Sequence[str], pause: Pause) -> int:
    """Bytes the strings themselves hold (not the sequence: `embedded.caches.strings_size`
    counts a list with its strings), summed a part at a time."""
    size = sys.getsizeof
    total = 0
    for start in paced(range(0, len(strings), STRINGS_AT_ONCE), pause, every=1):
        total += sum(map(size, strings[start:start + STRINGS_AT_ONCE]))
    return total


EMPTY: "array[int]" = array("I")
"""What a list of arrays holds in place of one already copied (and freed)."""


def concatenated(parts: "list[array[int]]", typecode: str, pause: Pause
                 ) -> "tuple[array[int], array[int]]":
    """The ``parts`` one after another, and where each ends (0 first). Each part is
    freed once copied: a build never holds them twice (nor a list of Python ints of
    them all, which took 21 MB for the Debian titles' postings)."""
    joined, ends = array(typecode), array("I", [0])
    for number in paced(range(len(parts)), pause):
        joined.extend(parts[number])
        parts[number] = EMPTY
        ends.append(len(joined))
    return joined, ends


class Neighbours:
    """For each word, the words next to it (on one side) and in which documents,
    sorted by neighbour, then document."""

    def __init__(self, pairs_by_word: "list[array[int]]", pause: Pause = no_pause) -> None:
        """``pairs_by_word``: for each word, (neighbour, document) packed in DOC_BITS
        each; emptied as they are read (a word at a time, each freed once copied)."""
        self.words, self.docs = array("I"), array("I")
        self.starts = array("I", [0])
        """The neighbours of word w are [starts[w], starts[w + 1])."""
        for word in paced(range(len(pairs_by_word)), pause):
            pairs = sorted(pairs_by_word[word])
            pairs_by_word[word] = EMPTY
            self.words.extend([pair >> DOC_BITS for pair in pairs])
            self.docs.extend([pair & DOC_MASK for pair in pairs])
            self.starts.append(len(self.docs))

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


def tie_ends(ties: "array[int]", pause: Pause) -> "array[int]":
    """For each document, the number past the last of its run of equal ``ties``."""
    ends = array("I")
    start = 0
    for number in paced(range(1, len(ties) + 1), pause):
        if number == len(ties) or ties[number] != ties[start]:
            ends.extend(repeat(number, number - start))
            start = number
    return ends


class TooManyForKeys(Exception):
    """More documents or words than the followers' keys have room for."""


ENTRY_SEPARATOR = "\x00"
"""Between a title's URL and its title: neither may hold a NUL (`app.shared.models`)."""


def title_length(entry: str) -> int:
    return len(entry) - entry.index(ENTRY_SEPARATOR) - 1


class IndexedTitles:
    """One domain's titles at one generation; see the module docstring.

    ``tie_shift`` and ``max_tie_rows`` are the FTS5 path's tie rule
    (`embedded.rank_keys.SEQUENCE_BITS`, `embedded.rank_keys.MAX_TIE_ROWS`).
    """

    def __init__(self, domain_id: int, generation: int, rows: Iterable[Sequence[Any]],
                 tie_shift: int, max_tie_rows: int, caches: QueryCaches,
                 pause: Pause = no_pause) -> None:
        """``rows`` as `embedded.loading.ROWS_SQL` reads them, read once as they come: a build
        holds little more than the index it makes, so a worker's memory stays
        near what its indexes count. ``pause`` is called often (`Pause`)."""
        self.domain_id = domain_id
        self.generation = generation
        self.max_tie_rows = max_tie_rows
        self._caches = caches
        # Answers are made of these: URL and title in one string each, which
        # holds a title in about 100 bytes less than a Hit of two strings would.
        entries: list[str] = []
        self.popularity = array("d")
        # Each title's search text with a space before and after: " w" in it
        # tells whether a word starts with w, " w " whether w is a whole word.
        texts: list[str] = []
        self.group_ids: dict[str, int] = {}
        groups = array("I")
        ties = array("Q")
        vocabulary: set[str] = set()
        for rank_key, url, title, group, popularity, search_text in paced(rows, pause):
            if JOINED_MARK in search_text:
                search_text = search_text.replace(JOINED_MARK, ASCII_JOINED_MARK)
            text = f" {search_text} "
            entries.append(f"{url}{ENTRY_SEPARATOR}{title}")
            self.popularity.append(popularity)
            texts.append(text)
            groups.append(self.group_ids.setdefault(group, len(self.group_ids)))
            ties.append(rank_key >> tie_shift)
            vocabulary.update(search_text.split())
        # Tuples of strings, which the garbage collector stops tracking: each full
        # collection walked these lists whole (9.5 ms for the Debian titles' index).
        self.entries: tuple[str, ...] = tuple(entries)
        self.texts: tuple[str, ...] = tuple(texts)
        del entries, texts
        count = len(self.entries)
        self.doc_groups: array[int] | None = groups if len(self.group_ids) > 1 else None
        self.tie_end = tie_ends(ties, pause)
        """Each document's number past the last of its popularity tie."""
        self.words: tuple[str, ...] = tuple(sorted_paced(vocabulary, pause))
        del vocabulary
        if max(len(self.words), count) >= MAX_DOCUMENTS:
            raise TooManyForKeys(f"{count} documents, {len(self.words)} words")
        self._index_words(pause)
        unusual = [word for word in paced(self.words, pause) if not word.isascii()]
        self.changed_words = Tokenizer().changed(unusual) if unusual else set()
        self.nbytes = self._size(pause)

    def _index_words(self, pause: Pause) -> None:
        """Each word's documents, and which word follows (and precedes) it in which.

        With those neighbours, tier 1 ("a b" as an in-order phrase of prefixes)
        is a slice per word starting with a (its followers starting with b are
        a range), or per word starting with b, however many titles have both
        words apart.
        """
        # Built a word or a title at a time in Python loops that pause (`Pause`),
        # never in one long C call (a sort, an array of a list), which keeps the GIL;
        # and in arrays, which the garbage collector need not walk.
        word_ids = {word: number for number, word in enumerate(paced(self.words, pause))}
        postings = [array("I") for _ in paced(self.words, pause)]
        # Phrases of two words or more are of the titles' own words only (each
        # joined word comes after a mark, see `core.text.search_text`): only those
        # have neighbours, so a prefix's count of words that start phrases
        # (MAX_PHRASE_STARTS) is not inflated by the joined words starting with it.
        own_words = {word for text in paced(self.texts, pause)
                     for word in text.partition(ASCII_JOINED_MARK)[0].split()}
        self.phrase_words = tuple(word for word in paced(self.words, pause)
                                  if word in own_words)
        del own_words
        phrase_ids = {word: number for number, word in enumerate(paced(self.phrase_words, pause))}
        followers = [array("Q") for _ in paced(self.phrase_words, pause)]
        preceders = [array("Q") for _ in paced(self.phrase_words, pause)]
        for number, text in enumerate(paced(self.texts, pause)):
            own = text.partition(f" {ASCII_JOINED_MARK} ")[0]
            ids = [word_ids[word] for word in text.split()]
            for word in set(ids):
                postings[word].append(number)
            for first, second in pairwise([phrase_ids[word] for word in own.split()]):
                followers[first].append(second << DOC_BITS | number)
                preceders[second].append(first << DOC_BITS | number)
        del word_ids, phrase_ids
        # Every word's documents, ascending, one word after another; and where each
        # word's documents start (and the words before it end): also what a prefix's
        # documents number at most, known without merging them.
        self.posting_docs, self.posting_ends = concatenated(postings, "I", pause)
        self.documents_of = memoryview(self.posting_docs)
        del postings
        self.followers = Neighbours(followers, pause)
        self.preceders = Neighbours(preceders, pause)

    def _size(self, pause: Pause = no_pause) -> int:
        """Bytes held, each object counted once."""
        size = sys.getsizeof
        containers = (self.entries, self.texts, self.popularity, self.tie_end, self.doc_groups,
                      self.words, self.phrase_words, self.posting_docs, self.posting_ends)
        total = sum(map(size, containers))
        total += self.followers.nbytes() + self.preceders.nbytes()
        for strings in (self.entries, self.texts, self.words):
            total += strings_only_size(strings, pause)
        return total + size(self) + size(self.__dict__)

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
        """`embedded.fts5_searched.top_matches`: the first ``size``, plus the rest of the tie."""
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
        """`embedded.fts5_searched.ranked`, sorting only what needs it: titles of different
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
