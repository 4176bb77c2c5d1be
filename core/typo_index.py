"""The typo candidates of a word list found without scanning them all (issue 24).

`core.typos.corrections` compares a mistyped word with every candidate form of its
first letter (`core.typos.candidate_forms`): about 8,000 forms for an `l` of the
Debian corpus, 0.5 to 9 ms a word. Most of them cannot be within the edits allowed,
and the letters they hold tell: an edit removes at most one letter of the word and
adds at most one, a swap of neighbours changes no letter, so a form within ``k``
edits misses at most ``k`` of the word's letters (counted with repeats) and has at
most ``k`` letters the word lacks (the "bag distance", a lower bound of the OSA
distance). A `TypoIndex` holds, for each first letter and form length, which forms
hold each letter at least once, twice, ... as bitsets (Python integers), so that
bound is computed for all the forms of a length at once, in C; only the few forms
it keeps (about 20 of 4,000 on the Debian corpus) are compared by rapidfuzz. The
forms found, and their distances, are exactly what the scan finds.

The forms are not stored: a form is the first L letters of a word (the first, in
sorted order, of those that begin with it), kept as that word's number.
"""

import sys
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from core.text import MAX_WORD_LENGTH
from core.typos import allowed_edits

LAST_CHARACTER = "\U0010ffff"
SMALL_GROUP = 32
"""Forms of one letter and length up to this many are compared all (no bitsets):
rapidfuzz compares 32 forms in about 3 us, and their bitsets would take more
memory than the forms save."""
MAX_REPEAT = 3
PAUSE_EVERY = 16
"""Words between two calls of a build's pause."""
"""A letter's repeats counted up to this many: fewer bitsets, still a lower bound."""


def shortest_form() -> int:
    """The fewest letters a candidate form has: a word of 4 letters and one edit
    has whole words of 3 letters as candidates."""
    return min(length - allowed_edits("x" * length) for length in range(4, MAX_WORD_LENGTH + 1)
               if allowed_edits("x" * length))


SHORTEST = shortest_form()


@dataclass(slots=True)
class FormGroup:
    """The distinct forms of ``length`` letters that one letter's words begin with."""

    words: array
    """For each form, in sorted order, the number of the first word it begins."""
    whole: int
    """Bitset of the forms that are whole words."""
    bags: dict[int, int] | None = None
    """`letter_key` -> bitset of the forms that hold that letter at least that many
    times after their first letter; None for a small group."""

    @property
    def all(self) -> int:
        return (1 << len(self.words)) - 1


def letter_key(letter: str, repeat: int) -> int:
    return ord(letter) << 2 | repeat


def held_letters(word: str) -> tuple[list[int], list[int]]:
    """The `letter_keys` of ``word[1:]``, and for each length how many of them the
    word's first ``length`` letters hold."""
    keys: list[int] = []
    ends = [0, 0]
    repeats: dict[str, int] = {}
    for letter in word[1:]:
        repeat = repeats[letter] = repeats.get(letter, 0) + 1
        if repeat <= MAX_REPEAT:
            keys.append(ord(letter) << 2 | repeat)
        ends.append(len(keys))
    return keys, ends


def letter_keys(text: str) -> list[int]:
    """The `letter_key` of each letter of ``text`` (up to MAX_REPEAT of one letter)."""
    keys = []
    repeats: dict[str, int] = {}
    for letter in text:
        repeat = repeats[letter] = repeats.get(letter, 0) + 1
        if repeat <= MAX_REPEAT:
            keys.append(ord(letter) << 2 | repeat)
    return keys


class TypoIndex:
    """Candidate forms of ``words`` (sorted, distinct) by first letter and length,
    with the letters each holds; `matches` finds those within a word's allowed edits.

    Built with the words, a letter at a time (what a letter's forms hold is listed,
    then made bitsets, then dropped), in Python loops: a reader thread that builds
    one lets the event loop run between them."""

    def __init__(self, words: Sequence[str], pause: Callable[[], None] = lambda: None) -> None:
        """``pause`` is called every few words (`embedded.indexed_titles.Pause`)."""
        self.words = words
        self.groups: dict[tuple[str, int], FormGroup] = {}
        start = 0
        while start < len(words):
            end = bisect_left(words, words[start][0] + LAST_CHARACTER, start)
            self._add_letter(start, end, pause)
            start = end
        self.nbytes = self._size()

    def _add_letter(self, start: int, end: int, pause: Callable[[], None]) -> None:
        """The groups of the words ``start`` to ``end``, which begin with one letter."""
        numbers: dict[int, array] = {}  # length -> the first word of each form
        wholes: dict[int, list[int]] = {}
        held_by: dict[int, defaultdict[int, list[int]]] = {}  # length -> key -> forms
        previous = ""
        for number in range(start, end):
            if not number % PAUSE_EVERY:
                pause()
            word = self.words[number]
            # The forms this word begins first: those longer than what it shares
            # with the word before (sorted order puts equal beginnings together).
            common = shared_beginning(previous, word)
            previous = word
            held, ends = held_letters(word)
            for length in range(max(common + 1, SHORTEST), len(word) + 1):
                forms = numbers.get(length)
                if forms is None:
                    forms = numbers[length] = array("I")
                    wholes[length] = []
                    held_by[length] = defaultdict(list)
                form = len(forms)
                forms.append(number)
                if length == len(word):
                    wholes[length].append(form)
                members = held_by[length]
                for key in held[:ends[length]]:
                    members[key].append(form)
        letter = self.words[start][0]
        for length, forms in numbers.items():
            pause()
            group = FormGroup(forms, bitset(wholes[length]))
            if len(forms) > SMALL_GROUP:
                group.bags = {key: bitset(members) for key, members in held_by[length].items()}
            self.groups[(letter, length)] = group

    def _size(self) -> int:
        size = sys.getsizeof
        total = size(self) + size(self.__dict__) + size(self.groups)
        for key, group in self.groups.items():
            total += size(key) + size(group) + size(group.words)
            total += size(group.whole)
            if group.bags is not None:
                total += size(group.bags) + sum(size(letter) + size(bits)
                                                for letter, bits in group.bags.items())
        return total

    def candidates(self, word: str) -> list[str]:
        """The forms of `core.typos.candidate_forms` that the letters they hold do
        not rule out (none within the allowed edits is left out)."""
        edits = allowed_edits(word)
        held = letter_keys(word[1:])
        found: list[str] = []
        words = self.words
        for length in range(len(word) - edits, len(word) + edits + 1):
            group = self.groups.get((word[0], length))
            if group is None:
                continue
            # A shorter form stands only for a whole word; a longer one has at least
            # as many letters the word lacks as it has letters more.
            pool = group.whole if length < len(word) else group.all
            if group.bags is not None:
                pool = within(pool, held, group.bags, edits - max(0, length - len(word)))
            found += [words[group.words[form]][:length] for form in members(pool)]
        return found

    def matches(self, word: str) -> list[tuple[str, int]]:
        """Each candidate form within the word's allowed edits, and its distance."""
        edits = allowed_edits(word)
        if not edits:
            return []
        found = process.extract(word, self.candidates(word), scorer=OSA.distance,
                                score_cutoff=edits, limit=None)
        return [(form, int(distance)) for form, distance, _key in found]


def within(pool: int, held: list[int], bags: dict[int, int], allowed: int) -> int:
    """Those of ``pool`` that lack at most ``allowed`` of the ``held`` letters. The
    count of letters each form misses is kept bit-sliced, saturating: ``one``, ``two``,
    ``three``: the forms that miss at least that many (written out for the edits
    `core.typos.allowed_edits` gives, 2 at most: a loop per letter costs as much)."""
    if allowed == 0:
        for letter in held:
            pool &= bags.get(letter, 0)
            if not pool:
                break
        return pool
    one = two = three = 0
    if allowed == 1:
        for letter in held:
            miss = pool & ~bags.get(letter, 0)
            two |= one & miss
            one |= miss
            if two == pool:
                return 0
        return pool & ~two
    if allowed == 2:
        for letter in held:
            miss = pool & ~bags.get(letter, 0)
            three |= two & miss
            two |= one & miss
            one |= miss
            if three == pool:
                return 0
        return pool & ~three
    return 0 if allowed < 0 else pool  # more edits than the rules allow: no bound kept


def members(bits: int) -> Iterator[int]:
    """The numbers of the bits set, ascending."""
    text = bin(bits)[:1:-1]  # least significant first
    at = text.find("1")
    while at >= 0:
        yield at
        at = text.find("1", at + 1)


BINARY_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def bitset(numbers: list[int]) -> int:
    """An integer with the bits ``numbers`` (ascending) set: a byte per number set,
    read as binary digits in C (4 times quicker than setting bits in a bytearray)."""
    if not numbers:
        return 0
    digits = bytearray(numbers[-1] + 1)
    for number in numbers:
        digits[number] = 1
    return int(digits.translate(BINARY_DIGITS)[::-1], 2)


def shared_beginning(first: str, second: str) -> int:
    """How many letters ``first`` and ``second`` begin with alike."""
    limit = min(len(first), len(second))
    at = 0
    while at < limit and first[at] == second[at]:
        at += 1
    return at
