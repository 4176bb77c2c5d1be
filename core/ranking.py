"""How titles of one tier are ordered, the same on every engine.

Popularity first. Among equally popular titles, one that has the query's words
as whole words ("re compile" → "re.compile") beats one where they are only
beginnings ("compiler"); then a title that starts with the first query word;
then the shorter title; then the one written first.
"""

from collections.abc import Sequence


def closeness(search_text: str, words: tuple[str, ...]) -> tuple[int, bool]:
    """A sort key: smaller is a closer match. ``search_text`` as `core.text.search_text`."""
    (whole,), (not_starting,) = closeness_columns([f" {search_text} "], words)
    return whole, not_starting


def closeness_columns(spaced: Sequence[str], words: tuple[str, ...]
                      ) -> tuple[list[int], list[bool]]:
    """`closeness` of many search texts at once, each kept with a space before and
    after it (as an index may keep them): substring tests instead of splitting, a
    column per part of the key, so that ranking hundreds of tied titles stays cheap."""
    wholes = [0] * len(spaced)
    for word in words:
        needle = f" {word} "
        wholes = [whole - (needle in text) for whole, text in zip(wholes, spaced, strict=True)]
    start = f" {words[0]}"
    return wholes, [not text.startswith(start) for text in spaced]


def order_key(words: tuple[str, ...], popularity: float, search_text: str, title_length: int,
              written: int) -> tuple[float, int, bool, int, int]:
    """Sorts a tier's titles best first; ``written`` orders titles written earlier first."""
    return (-popularity, *closeness(search_text, words), title_length, written)
