"""How titles of one tier are ordered, the same on every engine.

Popularity first. Among equally popular titles, one that has the query's words
as whole words ("re compile" → "re.compile") beats one where they are only
beginnings ("compiler"); then a title that starts with the first query word;
then the shorter title; then the one written first.
"""


def closeness(search_text: str, words: tuple[str, ...]) -> tuple[int, bool]:
    """A sort key: smaller is a closer match. ``search_text`` as `core.text.search_text`."""
    return spaced_closeness(f" {search_text} ", words)


def spaced_closeness(spaced: str, words: tuple[str, ...]) -> tuple[int, bool]:
    """`closeness` of a search text with a space before and after it, as an index that
    keeps titles that way computes it: substring tests instead of splitting the text."""
    whole = sum(1 for word in words if f" {word} " in spaced)
    return -whole, not spaced.startswith(f" {words[0]}")


def order_key(words: tuple[str, ...], popularity: float, search_text: str, title_length: int,
              written: int) -> tuple[float, int, bool, int, int]:
    """Sorts a tier's titles best first; ``written`` orders titles written earlier first."""
    return (-popularity, *closeness(search_text, words), title_length, written)
