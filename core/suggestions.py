"""Query suggestions (issue 28, item 2): a domain's popular intents that start with
what a visitor typed, at the start of any of their words ("test" suggests "python
testing"), most popular first. Pure: no I/O. The per-worker book that fills an index
from the store and checks each suggestion with the engine is app/http/suggestions.py.

An index is one string of the intents (folded words joined by one space, one intent a
line, most popular first) and, sorted by the text that follows them, the offsets of
every word start in it: a typed prefix is a range of that array found by bisection,
and the best suggestions of the range are its smallest ranks. The ranges of one- and
two-letter prefixes can hold most of the index, so their best are kept ready.
"""

import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.text import words

MAX_SUGGESTIONS = 10
"""What a search may ask for (`s=`)."""
MAX_INTENTS = 2000
"""Intents an index holds per domain, the most popular: each is checked with the engine
when the index is built."""
MAX_EXCLUDED = 500
MAX_EXCLUDED_LENGTH = 100
READY_PREFIX_LENGTH = 2
"""Prefixes of at most this many characters have their best suggestions kept ready:
their ranges are the largest, and the first keystrokes are the most searched."""
WALK = 16
"""Word starts a lookup walks past before it finds the end of its range by bisection."""
_END = "\n"
"""Ends each intent in the index's string: sorts before every character of a word
and the space, so an intent sorts before the longer ones it starts."""


@dataclass(frozen=True)
class SuggestionRules:
    """The site owner's controls (`PUT /v1/suggestions`), exclude phrases folded."""

    enabled: bool = True
    min_count: int = 2
    """Times an intent must have found titles in the window to be suggested."""
    min_results: int = 1
    """Titles a suggestion must find for a visitor with no private groups."""
    exclude: tuple[str, ...] = ()
    """Folded phrases never suggested; a one-word phrase excludes every intent with it."""

    @classmethod
    def from_settings(cls, enabled: bool = True, min_count: int = 2, min_results: int = 1,
                      exclude: Iterable[str] = ()) -> "SuggestionRules":
        """Rules from the owner's settings, each exclude phrase folded, once, in order
        (one with no letters or digits excludes nothing and is dropped)."""
        folded = (" ".join(words(phrase)) for phrase in exclude)
        return cls(enabled, min_count, min_results,
                   tuple(dict.fromkeys(phrase for phrase in folded if phrase)))

    def as_settings(self) -> dict[str, object]:
        """The shape `PUT /v1/suggestions` takes and `GET` answers."""
        return {"enabled": self.enabled, "min_count": self.min_count,
                "min_results": self.min_results, "exclude": list(self.exclude)}

    def excludes(self, intent: str) -> bool:
        """Whether ``intent`` (folded words joined by one space) is excluded: an
        exclude phrase equal to it, or an excluded word among its words."""
        if not self.exclude:
            return False
        excluded = set(self.exclude)
        return intent in excluded or any(word in excluded for word in intent.split(" "))


class SuggestionIndex:
    """Intents (most popular first) and their word starts, sorted for prefix lookups."""

    __slots__ = ("_positions", "_ranks", "_ready", "_starts", "_text")

    def __init__(self, intents: Sequence[str]) -> None:
        text = "".join(intent + _END for intent in intents)
        starts = array("I", [0])
        for intent in intents:
            starts.append(starts[-1] + len(intent) + 1)
        positions = [start + at + 1 if at >= 0 else start
                     for rank, start in enumerate(starts[:-1])
                     for at in (-1, *word_gaps(intents[rank]))]
        positions.sort(key=lambda at: text[at:text.index(_END, at)])
        rank_of = array("H" if len(intents) < 2**16 else "I")
        rank_of.extend(bisect_right(starts, at) - 1 for at in positions)
        self._text, self._starts = text, starts
        self._positions, self._ranks = array("I", positions), rank_of
        self._ready = self._ready_prefixes()

    def __len__(self) -> int:
        return len(self._starts) - 1

    def suggest(self, typed: str, most: int) -> list[str]:
        """Up to ``most`` intents with a word start where ``typed`` (folded words joined
        by one space, the last perhaps a prefix) starts, most popular first; never
        ``typed`` itself."""
        if most <= 0 or not typed or _END in typed:
            return []
        ready = self._ready.get(typed[:READY_PREFIX_LENGTH])
        if ready is None:  # no word starts so
            return []
        if len(typed) <= READY_PREFIX_LENGTH:
            ranks = ready[2:]
        else:
            ranks = self._best_ranks(*self._range(typed, ready[0], ready[1]), most + 1)
        found = []
        for rank in ranks:
            intent = self._text[self._starts[rank]:self._starts[rank + 1] - 1]
            if intent != typed:
                found.append(intent)
                if len(found) == most:
                    break
        return found

    def intents(self) -> list[str]:
        return [self._intent(rank) for rank in range(len(self))]

    @property
    def nbytes(self) -> int:
        """What the index takes in memory, about (its objects, not shared ones)."""
        ready = sys.getsizeof(self._ready) + sum(
            sys.getsizeof(key) + sys.getsizeof(ranks) for key, ranks in self._ready.items())
        return (sys.getsizeof(self) + sys.getsizeof(self._text) + ready
                + sum(sys.getsizeof(part) for part in (self._starts, self._positions,
                                                        self._ranks)))

    def _intent(self, rank: int) -> str:  # as `suggest` does, inline there
        return self._text[self._starts[rank]:self._starts[rank + 1] - 1]

    def _range(self, prefix: str, low: int, high: int) -> tuple[int, int]:
        """The word starts where ``prefix`` starts, as a range of `_positions` within
        ``low``-``high`` (its first letters' range): found by bisection, its end by
        walking (most ranges of three letters and more are a few word starts), by
        bisection again past WALK of them."""
        text, length, positions = self._text, len(prefix), self._positions
        low = bisect_left(positions, prefix, low, high, key=lambda at: text[at:at + length])
        end, limit = low, min(low + WALK, high)
        while end < limit and text.startswith(prefix, positions[end]):
            end += 1
        if end == limit < high:
            end = bisect_right(positions, prefix, end, high,
                               key=lambda at: text[at:at + length])
        return low, end

    def _best_ranks(self, low: int, high: int, most: int) -> tuple[int, ...]:
        """The ``most`` smallest ranks (most popular intents) in a range, each once (an
        intent may start two words with the prefix)."""
        return tuple(sorted(set(self._ranks[low:high]))[:most])

    def _ready_prefixes(self) -> dict[str, tuple[int, ...]]:
        """For each prefix of at most READY_PREFIX_LENGTH characters: its range of
        `_positions` (where longer prefixes are looked for), then its best ranks."""
        text, count, ready = self._text, len(self._positions), {}
        for length in range(1, READY_PREFIX_LENGTH + 1):
            for prefix in {text[at:at + length] for at in self._positions}:
                if _END not in prefix:
                    low, high = self._range(prefix, 0, count)
                    ready[prefix] = (low, high,
                                     *self._best_ranks(low, high, MAX_SUGGESTIONS + 1))
        return ready


def word_gaps(intent: str) -> list[int]:
    """Where the spaces between an intent's words are."""
    return [at for at, char in enumerate(intent) if char == " "]


EMPTY = SuggestionIndex(())
