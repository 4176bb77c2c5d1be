"""The cross-title workload: what visitors type when it is not one title's words in order.

A second never-seen stream beside bench/workload.py's (which draws both words of a
two-word query from one title, so nearly every query matches): words of different
titles, many of which match nothing together, and mistyped words. Generated from the
bench corpus with a fixed seed; RULES says how (BENCHMARKS.md prints them).

    .venv/bin/python bench/cross_title.py         # prints a sample and the counts
"""

import random
import string
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import BenchDocument
from workload import ONE_WORD_SHARE, one_word_query, title_words, two_word_query

SEED = 24
CROSS, TYPO, SAME = "cross-title two words", "one mistyped word", "same-title"
SHARES = {CROSS: 0.6, TYPO: 0.2, SAME: 0.2}
MIN_TYPO_LENGTH = 4
EDITS = ("substitute", "delete", "insert", "swap")
RULES = [
    "a title's words are found as in the first stream (`[a-z0-9]+` of the lower-cased text)",
    f"{SHARES[CROSS]:.0%} are two words of different titles: a uniformly drawn title, a "
    "uniformly drawn word of 2+ characters in it, whole; a space; then a second uniformly "
    "drawn title, a uniformly drawn word of 2+ characters in it that the first title does "
    "not have, and a prefix of that word whose length is drawn uniformly from 2 to the "
    "word's length (`fair qu`, `gnome sx`); about half match no title together",
    f"{SHARES[TYPO]:.0%} are one mistyped word: a uniformly drawn title, a uniformly drawn "
    f"word of {MIN_TYPO_LENGTH}+ letters (a-z only) in it, and one edit at a uniformly drawn "
    "place, the first three letters included: a letter replaced by another, dropped, "
    "inserted, or swapped with the next one (`pyhton`, `ptyhon`); an edit that gives a word "
    "of the corpus is drawn again",
    f"{SHARES[SAME]:.0%} are the first stream's queries, drawn by its rules "
    f"({ONE_WORD_SHARE:.0%} one word, the rest a word and the start of the next)",
    "a query already in the stream is thrown away and another drawn, so every query is "
    f"distinct; the stream is shuffled with the same seed ({SEED}) so the kinds mix",
]


def cross_title_query(first: Sequence[str], second: Sequence[str],
                      rng: random.Random) -> str | None:
    """A whole word of ``first`` and a prefix of a word of ``second`` that ``first`` lacks."""
    wholes = [word for word in first if len(word) >= 2]
    others = [word for word in second if len(word) >= 2 and word not in first]
    if not wholes or not others:
        return None
    word = rng.choice(others)
    return f"{rng.choice(wholes)} {word[: rng.randint(2, len(word))]}"


def mistype(word: str, rng: random.Random) -> str:
    """``word`` with one edit at a uniformly drawn place (it may give ``word`` back)."""
    at = rng.randrange(len(word))
    edit = rng.choice(EDITS)
    if edit == "substitute":
        return word[:at] + rng.choice(string.ascii_lowercase) + word[at + 1 :]
    if edit == "delete":
        return word[:at] + word[at + 1 :]
    if edit == "insert":  # after the last letter too
        at = rng.randrange(len(word) + 1)
        return word[:at] + rng.choice(string.ascii_lowercase) + word[at:]
    at = min(at, len(word) - 2)
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def typo_query(words: Sequence[str], vocabulary: set[str], rng: random.Random) -> str | None:
    candidates = [w for w in words if len(w) >= MIN_TYPO_LENGTH and w.isalpha() and w.isascii()]
    if not candidates:
        return None
    typed = mistype(rng.choice(candidates), rng)
    return None if typed in vocabulary else typed


def same_title_query(words: Sequence[str], rng: random.Random) -> str | None:
    make = one_word_query if rng.random() < ONE_WORD_SHARE else two_word_query
    return make(words, rng)


def generate_cross(
    documents: Sequence[BenchDocument], count: int, seed: int = SEED
) -> list[tuple[str, str]]:
    """``count`` distinct (query, kind) pairs in SHARES, in a seeded order."""
    rng = random.Random(seed)
    titles = [title_words(document["title"]) for document in documents]
    vocabulary = {word for words in titles for word in words}
    makers = {
        CROSS: lambda: cross_title_query(rng.choice(titles), rng.choice(titles), rng),
        TYPO: lambda: typo_query(rng.choice(titles), vocabulary, rng),
        SAME: lambda: same_title_query(rng.choice(titles), rng),
    }
    wanted = {kind: round(count * share) for kind, share in SHARES.items()}
    wanted[SAME] = count - wanted[CROSS] - wanted[TYPO]
    seen: set[str] = set()
    drawn: list[tuple[str, str]] = []
    for kind, make in makers.items():
        found = attempts = 0
        while found < wanted[kind]:
            attempts += 1
            if attempts > 50 * wanted[kind]:
                raise RuntimeError(f"the corpus has too few distinct {kind} queries")
            query = make()
            if query is not None and query not in seen:
                seen.add(query)
                drawn.append((query, kind))
                found += 1
    rng.shuffle(drawn)
    return drawn


def queries_of(drawn: Sequence[tuple[str, str]], kind: str | None = None) -> list[str]:
    """The queries of a generated stream, in order; of one kind only when given."""
    return [query for query, its_kind in drawn if kind is None or its_kind == kind]


if __name__ == "__main__":
    from corpus import load_corpus
    from processes import ROOT

    stream = generate_cross(load_corpus(ROOT / ".work" / "bench" / "debian-packages.json"),
                            60_000)
    print(f"{len(stream)} queries; the first 30:")
    print("\n".join(f"{kind:<24} {query}" for query, kind in stream[:30]))
