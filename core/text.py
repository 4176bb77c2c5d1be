"""How titles and queries become words.

Both sides of a search go through the same functions, so a title and a query
that look alike to a person produce the same words: case, accents and
punctuation never matter.
"""

import re
import unicodedata
from collections.abc import Collection, Iterable
from itertools import pairwise

# Letters that have no Unicode decomposition but that readers treat as
# accented forms of plain ones ("orsted" must find "Ørsted").
LETTER_FOLDS = str.maketrans(
    {
        "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
        "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
        "þ": "th", "Þ": "TH", "\u0131": "i", "ħ": "h", "Ħ": "H",
    }
)
# An apostrophe between letters belongs to the word ("they're" is one word).
_INNER_APOSTROPHE = re.compile(r"(?<=[^\W_])['\u2019\u02bc](?=[^\W_])")
_WORD = re.compile(r"[^\W_]+")
MAX_WORD_LENGTH = 40
MAX_QUERY_WORDS = 8
"""Words of a query searched; the rest are ignored (and left out of `terms`)."""


def _fold_char(ch: str) -> str:
    # The letter table goes after NFKD, so a letter that decomposes INTO one of
    # its letters ("Ǿ" is "Ø" and an accent) folds too, and folding is idempotent.
    decomposed = unicodedata.normalize("NFKD", ch).translate(LETTER_FOLDS)
    kept = "".join(
        c for c in decomposed
        if not unicodedata.combining(c) and unicodedata.category(c) != "Cf"
    )
    return kept.casefold()


MAX_FOLDS_CACHED = 16_384
"""Characters whose folded form is kept: every script a site is likely to use,
but not all 1.1 million code points a stranger could send (about 100 MB)."""


class _FoldTable(dict[int, str]):
    """Each character's folded form, worked out the first time it is seen."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(self) < MAX_FOLDS_CACHED:
            self[code] = folded
        return folded


_FOLDS = _FoldTable()


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents and invisible format characters."""
    # Folding one character at a time through a cache is what keeps indexing
    # fast; NFKD has no context across characters that matters for search.
    return text.translate(_FOLDS)


def _folded(text: str) -> str:
    """``text`` folded, with apostrophes inside words dropped ("don't" is one word)."""
    folded = fold(text)
    if "'" in folded or "\u2019" in folded or "\u02bc" in folded:
        folded = _INNER_APOSTROPHE.sub("", folded)
    return folded


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order; punctuation separates words."""
    return _words_of(_folded(text))


def _words_of(folded: str) -> list[str]:
    return [word[:MAX_WORD_LENGTH] for word in _WORD.findall(folded)]


# A chunk between spaces that holds a run of exactly two words of letters joined
# by punctuation without a space: "Node.js", "Spider-Man", "(re.compile)",
# "snake_case" (the underscore joins, as it separates).
_TWO_WORD_CHUNK = re.compile(r"(?:[^\w\s]|_)*([^\W\d_]+)(?:[^\w\s]|_)+([^\W\d_]+)(?:[^\w\s]|_)*")
JOINED_MARK = "\ue000"
"""Comes before each of a title's joined words in `search_text`: a private-use
character, which FTS5's tokenizer keeps as a word of its own (so no phrase runs
from the title's words into a joined one, or from one joined word into the next)
and which no query word can contain (`words` splits on it)."""
MAX_JOINED_PARTS = 2
"""Only two words of letters that punctuation joins are also indexed joined
("Node.js", "Spider-Man", "e-mail", "re.compile"): the names people also type as
one word. Longer runs are dotted paths and package names ("os.path.join",
"0ad-data-common"), and digits make versions, dates and model numbers ("3.11",
"2024-11", "python3-yaml"): those are typed with their punctuation or as words.
On the 63,678 Debian package titles, nearly all hyphenated, joining every run and
its tails made the in-memory index half as big again (44.2 -> 67 MB); two words
with digits made FTS5 searches 45% slower ("python3*" gained the 2,914
"python3…" package names); two words of letters cost 2.7 MB of memory
(44.2 -> 46.8) and 1 MB of disk."""
ASCII_JOINED_MARK = "_"
"""What an index that keeps its texts ASCII may put for JOINED_MARK: no query word
contains it or starts with it either (`words` splits on "_")."""


def joined_words(text: str, plain: Collection[str] = ()) -> list[str]:
    """Two words of letters that punctuation joins (see MAX_JOINED_PARTS), written
    together as people also type them ("Node.js" -> "nodejs"), each once and none of
    ``plain`` (the title's words): fewer than the title's words, so bounded by its
    length."""
    return _joined_of(_folded(text), plain)


def _joined_of(folded: str, plain: Collection[str]) -> list[str]:
    found: dict[str, None] = {}
    # A joined run never spans a space, so each chunk between spaces holds at most
    # one; most chunks are plain words, told apart in C, and only the others are
    # matched (a title is indexed on every write, and most have several chunks).
    for chunk in folded.split():
        if chunk.isalnum():
            continue
        pair = _TWO_WORD_CHUNK.fullmatch(chunk)
        if pair is None:
            continue
        first, second = pair.group(1)[:MAX_WORD_LENGTH], pair.group(2)[:MAX_WORD_LENGTH]
        if first.isalpha() and second.isalpha():
            found[(first + second)[:MAX_WORD_LENGTH]] = None
    return [word for word in found if word not in plain]


def spanned_parts(words: Iterable[str], texts: Iterable[str]) -> list[str]:
    """What query ``words`` cover of joined words beyond their first part, part by
    part: "nodej" on "Node.js" -> "node", "j". So a widget that highlights beginnings
    of words highlights "Node.js" for `nodejs`.

    ``texts`` are the hits' `search_text`, as the index holds them (perhaps with
    ASCII_JOINED_MARK for JOINED_MARK, or spaces around): the joined words are
    there, after the title's own, and most texts have none, which is told at once.
    """
    words = [word for word in words if len(word) > 1]
    # A joined word follows its mark and a space: a text where none of the words
    # begins one (nearly all, even where titles have joined words) is passed over
    # at the cost of a substring test, as each search asks about every hit.
    starts = [f"{mark} {word}" for word in words for mark in (JOINED_MARK, ASCII_JOINED_MARK)]
    texts = list(texts)
    everything = "\n".join(texts)
    if not any(start in everything for start in starts):
        return []
    parts: dict[str, None] = {}
    for text in texts:
        if not any(start in text for start in starts):
            continue
        title_words = text.split()
        own = next(at for at, word in enumerate(title_words) if not word.isalnum())
        for joined in title_words[own + 1::2]:
            for word in words:
                if not joined.startswith(word):
                    continue
                for first, second in pairwise(title_words[:own]):
                    if len(word) > len(first) and first + second == joined:
                        parts.update(dict.fromkeys((first, word[len(first):])))
    return list(parts)


def search_text(title: str) -> str:
    """The form of a title that the full-text index sees: folded words, spaced, then
    each joined word after a JOINED_MARK ("node js streams \ue000 nodejs"), so that
    a phrase of two words or more is always one of the title's own words."""
    folded = _folded(title)
    plain = _words_of(folded)
    text = " ".join(plain)
    for joined in _joined_of(folded, set(plain)):
        text += f" {JOINED_MARK} {joined}"
    return text


def query_words(query: str) -> tuple[str, ...]:
    """The words a query searches for: each once, in order, at most MAX_QUERY_WORDS.

    A word repeated adds nothing to a search of prefixes but cost, and a
    stranger can send a hundred; both bounds keep one query's cost small.
    """
    return tuple(dict.fromkeys(words(query)))[:MAX_QUERY_WORDS]
