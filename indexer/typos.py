"""Typo tolerance: which indexed words a mistyped query word probably meant.

Rules (the same on every engine): words shorter than 4 letters are trusted as
typed; 4 to 7 letters allow one edit, 8 or more two; an edit is an insert, a
delete, a replacement or a swap of neighbours; the first letter is trusted.
The query word is usually still being typed, so it is compared with the
beginnings of indexed words as well as with whole ones.
"""

from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

MAX_CORRECTIONS = 3


def allowed_edits(word: str) -> int:
    if len(word) < 4:
        return 0
    return 1 if len(word) <= 7 else 2


def corrections(word: str, vocabulary: Iterable[str]) -> list[str]:
    """Up to MAX_CORRECTIONS words or word beginnings of ``vocabulary`` that ``word`` may mean.

    ``vocabulary`` should hold the indexed words that start with ``word[0]``.
    """
    edits = allowed_edits(word)
    if not edits:
        return []
    lengths = range(len(word) - edits, len(word) + edits + 1)
    candidates = {term[:n] for term in vocabulary for n in lengths if len(term) >= n}
    found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=edits,
                            limit=None)
    # Fewest edits first; among equals the longer beginning says more.
    found.sort(key=lambda match: (match[1], -len(match[0]), match[0]))
    kept: list[str] = []
    for candidate, _distance, _key in found:
        # A beginning of the word or its extension is found without any typo
        # work, and two related candidates would find the same titles.
        if any(related(candidate, other) for other in (word, *kept)):
            continue
        kept.append(candidate)
        if len(kept) == MAX_CORRECTIONS:
            break
    return kept


def related(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)
