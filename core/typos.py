"""Typo tolerance: which indexed words a mistyped query word probably meant.

Rules (the same on every engine): words shorter than 4 letters are trusted as
typed; 4 to 7 letters allow one edit, 8 or more two; an edit is an insert, a
delete, a replacement or a swap of neighbours; the first letter is trusted.
The query word is usually still being typed, so it is compared with the
beginnings of longer indexed words as well as with whole ones; only the
corrections with the fewest edits are used ("postgrse" means "postgres", not
"posture"), and whole words if there are any ("libary" means "library", not
"libart…"), then beginnings of words, longer before shorter. The search flow
(`core.search`) asks for corrections only when the exact tiers find nothing.

What counts is the words of the titles being searched (one domain, its
groups). An engine whose word list is exactly that passes it alone; one whose
word list spans more (the embedded engine's FTS5 vocabulary holds every
domain's words) also passes a `Site` that answers for the searched titles, so
both engines find the same corrections.

The forms within the allowed edits are found by a scan of every candidate form
(`corrections`), or, by the in-memory index, from the letters the forms hold
(`core.typo_index`); `chosen` picks the corrections among them, the same for both.
"""

from collections.abc import Collection, Iterable
from typing import Protocol

from rapidfuzz import process
from rapidfuzz.distance import OSA

MAX_CORRECTIONS = 3


class Site(Protocol):
    def has_prefix(self, form: str) -> bool:
        """Some searched title has a word that starts with ``form``."""
        ...

    def has_word(self, form: str) -> bool:
        """Some searched title has ``form`` as a whole word."""
        ...


class WordList:
    """A `Site` from a list that holds exactly the searched titles' words."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = set(words)

    def has_prefix(self, form: str) -> bool:
        return True  # forms are made from these very words

    def has_word(self, form: str) -> bool:
        return form in self.words


def allowed_edits(word: str) -> int:
    if len(word) < 4:
        return 0
    return 1 if len(word) <= 7 else 2


def candidate_forms(word: str, vocabulary: Iterable[str], edits: int) -> set[str]:
    """Whole words near the word's length, and beginnings of longer words."""
    forms = set()
    for term in vocabulary:
        if len(word) - edits <= len(term) < len(word):
            forms.add(term)  # a shorter candidate must be a whole word ("birdmann")
        for length in range(len(word), len(word) + edits + 1):
            if len(term) >= length:
                forms.add(term[:length])
    return forms


def form_parts(word: str, edits: int) -> list[tuple[bool, int]]:
    """`candidate_forms` as disjoint parts, (whole, length) each (see `length_forms`):
    parts are shared by words of neighbouring lengths, so engines cache them apart."""
    return ([(True, length) for length in range(max(1, len(word) - edits), len(word))]
            + [(False, length) for length in range(len(word), len(word) + edits + 1)])


def length_forms(vocabulary: Iterable[str], whole: bool, length: int) -> list[str]:
    """One part of `candidate_forms`: whole words of ``length`` letters, or the distinct
    beginnings of that length of the words at least as long."""
    if whole:
        return [term for term in vocabulary if len(term) == length]
    return list({term[:length] for term in vocabulary if len(term) >= length})


def corrections(word: str, vocabulary: Iterable[str], site: Site | None = None,
                forms: Collection[str] | None = None) -> list[str]:
    """Up to MAX_CORRECTIONS closest forms that ``word`` may mean.

    ``vocabulary`` holds indexed words that start with ``word[0]``; ``site``
    answers for the searched titles (default: the vocabulary is exactly theirs).
    ``forms``, if given, are `candidate_forms` made earlier (engines cache them).
    """
    edits = allowed_edits(word)
    if not edits:
        return []
    words = list(vocabulary)
    site = site or WordList(words)
    if forms is None:
        forms = candidate_forms(word, words, edits)
    found = process.extract(word, forms, scorer=OSA.distance, score_cutoff=edits, limit=None)
    return chosen(word, [(form, distance) for form, distance, _key in found], site)


def chosen(word: str, found: Iterable[tuple[str, float]], site: Site) -> list[str]:
    """The corrections among ``found``: candidate forms of ``word`` within its allowed
    edits, each with its distance (`corrections` finds them by a scan, an engine may
    find them its own way, `core.typo_index`)."""
    # Extensions of the word (and the word itself) are found without typo work.
    found = [match for match in found if not match[0].startswith(word)]
    closest = []
    fewest = None
    for form, distance in sorted(found, key=lambda match: match[1]):
        if fewest is not None and distance > fewest:
            break
        if not site.has_prefix(form):
            continue
        whole = site.has_word(form)
        if len(form) < len(word) and not whole:
            continue  # a shorter form only stands for a whole word of the titles
        fewest = distance
        closest.append((not whole, -len(form), form))
    if any(not beginning for beginning, _length, _form in closest):
        # A whole word one edit away is what was meant, not other words' beginnings.
        closest = [entry for entry in closest if not entry[0]]
    kept: list[str] = []
    for _beginning, _length, form in sorted(closest):
        # A form related to one already kept finds the same titles.
        if not any(related(form, other) for other in kept):
            kept.append(form)
            if len(kept) == MAX_CORRECTIONS:
                break
    return kept


def related(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)
