"""Typo tolerance: which indexed words a mistyped query word probably meant.

Rules (the same on every engine): words shorter than 4 letters are trusted as
typed; 4 to 7 letters allow one edit, 8 or more two; an edit is an insert, a
delete, a replacement or a swap of neighbours; the first letter is trusted.
The query word is usually still being typed, so it is compared with the
beginnings of longer indexed words as well as with whole ones; only the
corrections with the fewest edits are used ("postgrse" means "postgres", not
"posture").
"""

from collections.abc import Callable, Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

MAX_CORRECTIONS = 3


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


def corrections(word: str, vocabulary: Iterable[str],
                present: Callable[[str], bool] = lambda _form: True) -> list[str]:
    """Up to MAX_CORRECTIONS closest forms of ``vocabulary`` that ``word`` may mean.

    ``vocabulary`` should hold the indexed words that start with ``word[0]``;
    ``present`` tells whether a form occurs where the search looks (an engine
    whose vocabulary spans other sites uses it to skip their words).
    """
    edits = allowed_edits(word)
    if not edits:
        return []
    whole_words = set(vocabulary)
    found = process.extract(word, candidate_forms(word, whole_words, edits),
                            scorer=OSA.distance, score_cutoff=edits, limit=None)
    # Fewest edits first; among equals a whole word, then the longer form.
    found.sort(key=lambda m: (m[1], m[0] not in whole_words, -len(m[0]), m[0]))
    kept: list[str] = []
    fewest = None
    for form, distance, _key in found:
        if fewest is not None and distance > fewest:
            break
        # Extensions of the word are found without typo work, and a form
        # related to one already kept finds the same titles.
        if form.startswith(word) or any(related(form, other) for other in kept):
            continue
        if not present(form):
            continue
        kept.append(form)
        fewest = distance
        if len(kept) == MAX_CORRECTIONS:
            break
    return kept


def related(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)
