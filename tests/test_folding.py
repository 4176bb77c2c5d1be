"""Folding is idempotent, so a title is found by its letters in any form.

A letter that decomposes into one of the letter table's letters ("Ǿ" is "Ø"
and an accent) used to fold to "ø" and stop there: the title "ǾRSTED" was then
found only by `Ǿrsted`, never by `orsted` or `ørsted`.
"""

import sys

from core.text import fold

EVERY_CHARACTER = "".join(
    chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF
)


def test_folding_every_character_twice_changes_nothing():
    # Each character on its own, so one that folds wrong is named in the failure.
    once = {character: fold(character) for character in EVERY_CHARACTER}
    not_idempotent = {c: f for c, f in once.items() if fold(f) != f}
    assert not_idempotent == {}


def test_letters_that_decompose_into_table_letters_fold_all_the_way():
    assert fold("ǾRSTED Ǽble ǣ") == "orsted aeble ae"


def test_a_title_with_o_stroke_acute_and_ae_acute_is_found_by_each_spelling(site):
    assert site.add("https://x.example/orsted", "ǾRSTED Ǽble").status_code == 201
    for query in ("orsted", "ørsted", "Ǿrsted", "aeble", "æble", "Ǽble"):
        assert site.urls(query) == ["https://x.example/orsted"], query
