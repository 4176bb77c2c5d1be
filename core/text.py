"""How titles and queries become words.

Both sides of a search go through the same functions, so a title and a query
that look alike to a person produce the same words: case, accents and
punctuation never matter.
"""

import re
import unicodedata

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


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order; punctuation separates words."""
    folded = fold(text)
    if "'" in folded or "\u2019" in folded or "\u02bc" in folded:
        folded = _INNER_APOSTROPHE.sub("", folded)
    return [word[:MAX_WORD_LENGTH] for word in _WORD.findall(folded)]


def search_text(title: str) -> str:
    """The form of a title that the full-text index sees: folded words, spaced."""
    return " ".join(words(title))


def query_words(query: str) -> tuple[str, ...]:
    """The words a query searches for: each once, in order, at most MAX_QUERY_WORDS.

    A word repeated adds nothing to a search of prefixes but cost, and a
    stranger can send a hundred; both bounds keep one query's cost small.
    """
    return tuple(dict.fromkeys(words(query)))[:MAX_QUERY_WORDS]
