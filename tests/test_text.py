"""How titles and queries become words."""

import pytest

from core.text import fold, search_text, words


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Café Ørsted", ["cafe", "orsted"]),
        ("STRASSE Straße", ["strasse", "strasse"]),
        ("they're", ["theyre"]),
        ("node.js, c++!", ["node", "js", "c"]),
        ("snake_case", ["snake", "case"]),
        ("zero\u200bwidth", ["zerowidth"]),
        ("\u202eright-to-left\u202c", ["right", "to", "left"]),
        ("…?!", []),
        ("", []),
    ],
)
def test_words(text, expected):
    assert words(text) == expected


def test_fold_is_idempotent_on_tricky_text():
    for text in ["Ǆemal", "ﬁﬂ", "İstanbul", "ÆØÅ", "Ωmega", "e\u0301"]:
        assert fold(fold(text)) == fold(text)


def test_search_text_joins_words_with_spaces():
    assert search_text("Hello, World!") == "hello world"


def test_the_fold_cache_stops_growing_at_its_bound():
    from core import text

    for code in range(0x4E00, 0x4E00 + text.MAX_FOLDS_CACHED + 5_000):  # CJK ideographs
        text.fold(chr(code))
    assert len(text._FOLDS) <= text.MAX_FOLDS_CACHED
    assert text.fold("\u00c9T\u00c9") == "ete"  # still folds, cached or not
