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


CLICK_BOOST = 0.25
"""How far clicks can lift a title at most: a quarter of its popularity (of 1 when
its popularity is between -1 and 1)."""
CLICK_HALF = 10
"""Clicks in the window that give half of CLICK_BOOST."""


def ranking_value(popularity: float, clicks: int, boost: float = CLICK_BOOST,
                  half: float = CLICK_HALF) -> float:
    """What the engines order a tier by: the site's popularity plus a bounded click bonus,

        popularity + boost * max(|popularity|, 1) * clicks / (clicks + half)

    so a title with `clicks` clicks in the window outranks titles up to
    ``boost * clicks / (clicks + half)`` (as a share of its popularity) more popular:
    with the defaults, 10 clicks beat titles up to 12.5% more popular, 30 clicks up
    to 18.75%, and no number of clicks beats one 25% more popular. ``boost`` 0 (the
    CLICK_RANKING=off setting) leaves the popularity as it is."""
    if boost <= 0 or clicks <= 0:
        return popularity
    return popularity + boost * max(abs(popularity), 1.0) * clicks / (clicks + half)
