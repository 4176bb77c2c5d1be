"""embedded/tokenizer.py: the words FTS5's tokenizer would index as something else
are told apart, with the tokenizer the documents are indexed with.
"""

from memory_engines import CHANGED_BY_FTS5

from embedded.store import SCHEMA
from embedded.tokenizer import TOKENIZER, Tokenizer


def test_the_tokenizer_checked_is_the_one_the_documents_are_indexed_with():
    assert f"tokenize='{TOKENIZER}'" in SCHEMA


def test_only_the_words_fts5_would_change_are_told_changed():
    tokenizer = Tokenizer()
    split = f"x{CHANGED_BY_FTS5}y"  # two tokens to FTS5: x and y
    accented = "café"  # one token, without its accent (remove_diacritics)
    assert tokenizer.changed(["widget", "привет", split, accented]) == {split, accented}
    assert tokenizer.changed([]) == set()
    assert tokenizer.keeps("widget") and tokenizer.keeps("привет")
    assert not tokenizer.keeps(split) and not tokenizer.keeps(accented)
