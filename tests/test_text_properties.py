"""Property tests: any Unicode string folds and splits without surprises."""

from hypothesis import given, settings
from hypothesis import strategies as st

from core.text import fold, joined_words, search_text, words
from embedded.fts5_expressions import prefix_terms, tier_expressions

ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]))


@settings(max_examples=500)
@given(ANY_TEXT)
def test_folding_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@settings(max_examples=500)
@given(ANY_TEXT)
def test_words_are_plain_and_stable(text):
    found = words(text)
    assert all(word and word.isalnum() for word in found)
    assert words(" ".join(found)) == found
    # The index's words: the title's, then those punctuation joins written together.
    joined = joined_words(text, set(found))
    assert all(word.isalnum() and word not in found for word in joined)
    assert words(search_text(text)) == found + joined


@settings(max_examples=300)
@given(st.lists(st.text(min_size=1), min_size=1, max_size=5))
def test_fts_expressions_quote_every_word(raw):
    query = tuple(word for text in raw for word in words(text))
    if not query:
        return
    for expression in tier_expressions(query):
        for term in prefix_terms(query):
            assert term in expression
        assert expression.count('"') % 2 == 0
