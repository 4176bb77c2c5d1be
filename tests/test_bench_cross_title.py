"""The cross-title workload of bench/ (bench/cross_title.py): its rules and shares."""

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from cross_title import CROSS, SAME, SHARES, TYPO, generate_cross, mistype, queries_of
from test_bench_workload import DOCUMENTS, TITLES
from workload import title_words

TITLE_WORDS = [title_words(title) for title in TITLES]
VOCABULARY = {word for words in TITLE_WORDS for word in words}


def one_edit_apart(typed: str, word: str) -> bool:
    """One letter replaced, dropped, inserted, or two neighbours swapped."""
    if len(typed) == len(word):
        differ = [i for i in range(len(word)) if typed[i] != word[i]]
        return len(differ) == 1 or (
            len(differ) == 2 and differ[1] == differ[0] + 1
            and typed[differ[0]] == word[differ[1]] and typed[differ[1]] == word[differ[0]])
    shorter, longer = sorted((typed, word), key=len)
    return len(longer) - len(shorter) == 1 and any(
        longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


def first_difference(typed: str, word: str) -> int:
    return next((i for i, (a, b) in enumerate(zip(typed, word, strict=False)) if a != b),
                min(len(typed), len(word)))


def test_the_stream_is_seeded_distinct_and_in_its_shares():
    stream = generate_cross(DOCUMENTS, count=300, seed=24)

    assert len(stream) == len({query for query, _kind in stream}) == 300
    counts = {kind: len(queries_of(stream, kind)) for kind in SHARES}
    assert counts == {CROSS: 180, TYPO: 60, SAME: 60}
    assert stream == generate_cross(DOCUMENTS, count=300, seed=24)
    assert stream != generate_cross(DOCUMENTS, count=300, seed=25)
    # Shuffled: the kinds mix instead of coming in three blocks.
    assert {kind for _query, kind in stream[:30]} == set(SHARES)


def test_cross_title_queries_take_their_words_from_two_titles():
    for query in queries_of(generate_cross(DOCUMENTS, count=300), CROSS):
        whole, prefix = query.split(" ")
        assert len(prefix) >= 2, query
        assert any(
            whole in first and any(w.startswith(prefix) and w not in first for w in second)
            for first in TITLE_WORDS for second in TITLE_WORDS if second is not first
        ), query


def test_mistyped_words_are_one_edit_from_a_word_and_not_words_themselves():
    typos = queries_of(generate_cross(DOCUMENTS, count=300), TYPO)

    early = 0
    for typed in typos:
        assert typed not in VOCABULARY, typed
        sources = [w for w in VOCABULARY
                   if len(w) >= 4 and w.isalpha() and one_edit_apart(typed, w)]
        assert sources, typed
        early += any(first_difference(typed, w) < 3 for w in sources)
    # The first three letters get their share of the typos (`pyhton`): a widget
    # that stops asking after a prefix with no results misses those.
    assert early >= len(typos) // 5


def test_each_edit_is_one_edit_anywhere_in_the_word():
    rng = random.Random(1)
    typed = {mistype("python", rng) for _ in range(2000)}

    assert all(one_edit_apart(t, "python") for t in typed - {"python"})
    assert {"pyhton", "ypthon", "ython", "pythn"} <= typed
    assert any(len(t) == 7 and t.endswith("python") for t in typed)  # inserted first
    assert any(len(t) == 7 and t.startswith("python") for t in typed)  # and last


def test_same_title_queries_follow_the_first_streams_rules():
    for query in queries_of(generate_cross(DOCUMENTS, count=300), SAME):
        if " " not in query:
            assert any(w.startswith(query) for words in TITLE_WORDS for w in words), query
        else:
            whole, prefix = query.split(" ")
            assert any(words[i] == whole and words[i + 1].startswith(prefix)
                       for words in TITLE_WORDS for i in range(len(words) - 1)), query
