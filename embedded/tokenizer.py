"""Which words FTS5's tokenizer keeps as they are, asked of a real FTS5 table in memory.

Why: an in-memory index answers as FTS5 does only for the words FTS5 indexes as
themselves; a domain with another word (`embedded.indexed_titles`), or a query
with one (`embedded.memory.MemoryIndexes.fresh`), is left to FTS5.
"""

import sqlite3
from collections.abc import Iterable

# The documents table's FTS5 tokenizer (embedded.store.SCHEMA; a test keeps them equal).
TOKENIZER = "unicode61 remove_diacritics 2"


class Tokenizer:
    """Tells which words FTS5's tokenizer keeps as they are (an in-memory FTS5 table)."""

    CACHED = 4096

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.executescript(f"""
            CREATE VIRTUAL TABLE words USING fts5(word, tokenize='{TOKENIZER}');
            CREATE VIRTUAL TABLE tokens USING fts5vocab(words, 'instance');
        """)
        self._kept: dict[str, bool] = {}

    def tokens(self, words: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Each of ``words`` as FTS5 indexes it: its tokens (none, one or several)."""
        batch = list(words)
        if not batch:
            return {}
        with self._conn:
            self._conn.executemany("INSERT INTO words(rowid, word) VALUES (?, ?)",
                                   enumerate(batch))
            found: dict[int, list[str]] = {}
            for doc, term in self._conn.execute("SELECT doc, term FROM tokens"):
                found.setdefault(doc, []).append(term)
            self._conn.execute("DELETE FROM words")
        return {word: tuple(found.get(number, ())) for number, word in enumerate(batch)}

    def changed(self, words: Iterable[str]) -> set[str]:
        """The words FTS5 would index as something else (other letters, several tokens)."""
        return {word for word, tokens in self.tokens(words).items() if tokens != (word,)}

    def keeps(self, word: str) -> bool:
        """``word`` (a `core.text.words` word) is one FTS5 token, itself."""
        if word.isascii():
            return True  # letters and digits, already lower case: kept as they are
        kept = self._kept.get(word)
        if kept is None:
            if len(self._kept) >= self.CACHED:
                self._kept.clear()
            kept = self._kept[word] = not self.changed([word])
        return kept
