"""Each domain's words: what FTS5 indexes of its titles, per group, in a table of their own.

Why: one FTS5 index holds every domain of the file. Listing a letter's words from it
(fts5vocab) reads every domain's, and a prefix longer than the index's prefixes
("library"*) merges every domain's words that start with it; with 16 domains of 64k
titles that took up to 1.7 s for a domain outside the in-memory index (issue 24). The
table `domain_words` (embedded/store.py) holds each (domain, group)'s distinct words
with the number of titles that have them: a range of its primary key is one domain's
words starting with a prefix. The store keeps it in the transaction of every write that
changes titles (`WordChanges`); the FTS5 engine reads it (`DomainWords`).

The words are FTS5's tokens of the search text (unicode61, remove_diacritics 2): a word
of letters and digits in ASCII is its own token; another word is asked of an FTS5 table
in memory. The joined-word mark (`core.text.JOINED_MARK`) is left out: no query word
holds it.
"""

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable
from functools import cache

from core.text import JOINED_MARK
from embedded.tokenizer import Tokenizer

ADD_WORDS = """
INSERT INTO domain_words (domain_id, grp, word, titles) VALUES (?, ?, ?, ?)
ON CONFLICT (domain_id, grp, word) DO UPDATE SET titles = titles + excluded.titles
"""
DROP_UNUSED = """
DELETE FROM domain_words WHERE domain_id = ? AND grp = ? AND word = ? AND titles <= 0
"""
FLUSH_WORDS = "DELETE FROM domain_words WHERE domain_id = ?"
# The titles a write replaces, with what FTS5 held of them (embedded/store.py `incoming`).
REPLACED = """
SELECT d.grp, d.search_text FROM documents d JOIN incoming i ON i.url = d.url
WHERE d.domain_id = ?
"""
FILL_FROM_INDEX = """
-- Every domain's words as the FTS5 index holds them: a token and the title (rowid) of
-- each occurrence, the title's domain and group from its row.
CREATE VIRTUAL TABLE IF NOT EXISTS temp.documents_instances
    USING fts5vocab(main, documents_fts, 'instance');
INSERT INTO domain_words (domain_id, grp, word, titles)
SELECT d.domain_id, d.grp, v.term, count(DISTINCT v.doc)
FROM temp.documents_instances v JOIN documents d ON d.rank_key = v.doc
WHERE v.term <> char(57344)
GROUP BY d.domain_id, d.grp, v.term;
DROP TABLE temp.documents_instances;
"""
"""The table made from the FTS5 index: the migration that adds it, and the tests' oracle.
char(57344) is JOINED_MARK."""
assert ord(JOINED_MARK) == 57344


class _Tokens:
    """FTS5's tokens of words that are not plain ASCII, from an FTS5 table in memory."""

    CACHED = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokenizer: Tokenizer | None = None
        self._known: dict[str, tuple[str, ...]] = {}

    def of(self, words: set[str]) -> dict[str, tuple[str, ...]]:
        with self._lock:
            asked = [word for word in words if word not in self._known]
            if asked:
                if len(self._known) + len(asked) > self.CACHED:
                    self._known.clear()
                self._known.update(self._tokenize(asked))
            return {word: self._known[word] for word in words}

    def _tokenize(self, words: list[str]) -> dict[str, tuple[str, ...]]:
        if self._tokenizer is None:  # made on the first word that is not plain ASCII
            self._tokenizer = Tokenizer()
        return self._tokenizer.tokens(words)


_TOKENS = _Tokens()


def token_sequence(text: str) -> list[str]:
    """A search text's tokens in the order FTS5 indexes them (its positions): a word of
    ASCII letters and digits is itself, and so is the joined-word mark; another word
    is what FTS5's tokenizer makes of it."""
    words = text.split()
    plain = text.replace(JOINED_MARK, "").replace(" ", "")
    if plain.isascii() and (plain.isalnum() or not plain):
        return words  # told in C: most titles (FTS5 keeps the mark as a word of its own)
    others = {word for word in words if not (word.isascii() and word.isalnum())}
    tokens = _TOKENS.of(others)
    return [token for word in words
            for token in (tokens[word] if word in others else (word,))]


def indexed_words(texts: Iterable[str]) -> list[set[str]]:
    """Each search text's distinct words as FTS5 indexes them (see the module docstring)."""
    split = [set(text.split()) for text in texts]
    for words in split:
        words.discard(JOINED_MARK)
    others = {word for words in split for word in words if not word.isascii()}
    if not others:
        return split
    tokens = _TOKENS.of(others)
    found = []
    for words in split:
        unusual = words & others
        if unusual:
            words -= unusual
            words.update(token for word in unusual for token in tokens[word])
        found.append(words)
    return found


class WordChanges:
    """What one write does to a domain's words: titles added and titles replaced or
    removed, counted per (group, word), then written in the write's transaction."""

    def __init__(self, domain_id: int) -> None:
        self.domain_id = domain_id
        self._counts: Counter[tuple[str, str]] = Counter()

    def add(self, titles: Iterable[tuple[str, str]], sign: int = 1) -> None:
        """``titles``: (group, search text) of each title added (``sign`` 1) or gone (-1)."""
        rows = list(titles)
        counted = Counter((group, word) for (group, _text), words in zip(
            rows, indexed_words(text for _g, text in rows), strict=True) for word in words)
        if sign > 0:
            self._counts.update(counted)
        else:
            self._counts.subtract(counted)

    def remove(self, titles: Iterable[tuple[str, str]]) -> None:
        self.add(titles, -1)

    def write(self, conn: sqlite3.Connection) -> None:
        # In key order: the b-tree takes it as appends, a few pages at a time.
        changed = [(self.domain_id, group, word, count)
                   for (group, word), count in sorted(self._counts.items()) if count]
        conn.executemany(ADD_WORDS, changed)
        conn.executemany(DROP_UNUSED, [row[:3] for row in changed if row[3] < 0])
        self._counts.clear()


@cache
def _statements(groups: int) -> tuple[str, str, str, str, str]:
    """`DomainWords`' statements for a number of searched groups."""
    where = (f"domain_id = ? AND grp IN ({', '.join('?' * groups)})"
             " AND word >= ? AND word < ?")
    return (f"SELECT 1 FROM domain_words WHERE {where} LIMIT 1",
            f"SELECT DISTINCT word FROM domain_words WHERE {where} ORDER BY word",
            f"SELECT word, titles FROM domain_words WHERE {where} ORDER BY word LIMIT ?",
            "SELECT count(*), sum(titles) FROM (SELECT titles FROM domain_words"
            f" WHERE {where} LIMIT ?)",
            f"SELECT 1 FROM domain_words WHERE domain_id = ? AND grp IN"
            f" ({', '.join('?' * groups)}) AND word = ? LIMIT 1")


class DomainWords:
    """One domain's words in the searched groups, read from `domain_words` by range."""

    def __init__(self, conn: sqlite3.Connection, domain_id: int, groups: tuple[str, ...]
                 ) -> None:
        self.conn = conn
        self.domain_id = domain_id
        self.groups = groups
        # Made once per number of groups: a search makes this object in every step.
        (self._any, self._words, self._counted, self._summed, self._whole
         ) = _statements(len(groups))

    def _range(self, prefix: str) -> tuple[object, ...]:
        return (self.domain_id, *self.groups, prefix, prefix + "\U0010ffff")

    def has_prefix(self, prefix: str) -> bool:
        """Some searched title has a word that starts with ``prefix``."""
        return self.conn.execute(self._any, self._range(prefix)).fetchone() is not None

    def has_word(self, word: str) -> bool:
        found = self.conn.execute(self._whole, (self.domain_id, *self.groups, word))
        return found.fetchone() is not None

    def starting_with(self, prefix: str, limit: int = -1) -> list[str]:
        """The distinct words that start with ``prefix``, in order; at most ``limit``."""
        rows = self.conn.execute(f"{self._words} LIMIT ?", (*self._range(prefix), limit))
        return [word for (word,) in rows]

    def counted(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """The words that start with ``prefix``, in order, each with the number of titles
        of a searched group that have it (a word of several groups comes once for each);
        at most ``limit`` rows."""
        return self.conn.execute(self._counted, (*self._range(prefix), limit)).fetchall()

    def titles_at_most(self, prefix: str, words: int) -> int | None:
        """At most how many searched titles have a word that starts with ``prefix`` (the
        sum of its words' titles), if it begins at most ``words`` words (a range of at
        most that many rows read); else None."""
        found, titles = self.conn.execute(self._summed, (*self._range(prefix), words + 1)
                                          ).fetchone()
        return None if found > words else titles or 0
