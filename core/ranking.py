"""How titles of one tier are ordered, the same on every engine.

Popularity first. Among equally popular titles, one that has the query's words
as whole words ("re compile" → "re.compile") beats one where they are only
beginnings ("compiler"); then a title that starts with the first query word;
then the shorter title; then the one written first.
"""

from collections.abc import Callable


def closeness(search_text: str, words: tuple[str, ...]) -> tuple[int, bool]:
    """A sort key: smaller is a closer match. ``search_text`` as `core.text.search_text`."""
    return closeness_to(words)(f" {search_text} ")


def closeness_to(words: tuple[str, ...]) -> Callable[[str], tuple[int, bool]]:
    """`closeness` of search texts kept with a space before and after them (as an
    index may keep them), for one query: substring tests instead of splitting."""
    wholes = [f" {word} " for word in words]
    start = f" {words[0]}"

    def close(spaced: str) -> tuple[int, bool]:
        whole = 0
        for needle in wholes:
            if needle in spaced:
                whole -= 1
        return whole, not spaced.startswith(start)

    return close


def order_key(words: tuple[str, ...], popularity: float, search_text: str, title_length: int,
              written: int) -> tuple[float, int, bool, int, int]:
    """Sorts a tier's titles best first; ``written`` orders titles written earlier first."""
    return (-popularity, *closeness(search_text, words), title_length, written)
