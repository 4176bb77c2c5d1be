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
