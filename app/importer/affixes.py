"""A text the site puts on every title (" | Docs"), taken off with --strip-prefix and
--strip-suffix, and found for a dry run to suggest: the prefix or suffix most titles share.
"""

import shlex
from collections import Counter
from dataclasses import dataclass

import orjson

AFFIX_SEPARATORS = (" \N{EN DASH} ", " \N{EM DASH} ", " - ", " | ", " · ", " • ", " :: ",
                    " » ", " / ", ": ")
"""What sets a site's name off a page's in a title: a common end without one is a word."""
AFFIX_SHARE = 0.8
"""A dry run shows a prefix or suffix this share of the titles has..."""
AFFIX_MIN_TITLES = 3
"""...when there are at least this many titles to tell from."""


@dataclass(frozen=True)
class Trim:
    """--strip-prefix and --strip-suffix: a text the site puts on every title."""

    prefix: str = ""
    suffix: str = ""

    def __post_init__(self) -> None:
        # As titles are: " | Docs" and "| Docs" strip the same.
        object.__setattr__(self, "prefix", " ".join(self.prefix.split()))
        object.__setattr__(self, "suffix", " ".join(self.suffix.split()))

    def apply(self, title: str) -> str:
        """``title`` without them; whole when nothing would be left of it."""
        trimmed = title
        if self.suffix and trimmed.endswith(self.suffix):
            trimmed = trimmed.removesuffix(self.suffix)
        if self.prefix and trimmed.startswith(self.prefix):
            trimmed = trimmed.removeprefix(self.prefix)
        return " ".join(trimmed.split()) or title

    @property
    def key(self) -> str:
        """For the state file: a title stripped otherwise is sent again."""
        if not (self.prefix or self.suffix):
            return ""
        return orjson.dumps([self.prefix, self.suffix]).decode()


NO_TRIM = Trim()
"""Titles as the site gives them."""


def common_affixes(titles: list[str]) -> tuple[str, str]:
    """The (prefix, suffix) that AFFIX_SHARE of ``titles`` share, each "" when none:
    the text before a title's first separator, or from its last one on."""
    prefixes, suffixes = Counter[str](), Counter[str]()
    for title in titles:
        found = [(at, separator) for separator in AFFIX_SEPARATORS
                 if (at := title.find(separator)) > 0]
        if found:
            at, separator = min(found)
            prefixes[title[: at + len(separator)]] += 1
        last = [(at, separator) for separator in AFFIX_SEPARATORS
                if (at := title.rfind(separator)) > 0 and separator != ": "]
        if last:
            suffixes[title[max(last)[0]:]] += 1
    return most_titles(prefixes, len(titles)), most_titles(suffixes, len(titles))


def most_titles(counts: Counter[str], titles: int) -> str:
    if titles < AFFIX_MIN_TITLES or not counts:
        return ""
    affix, count = counts.most_common(1)[0]
    return affix if count >= AFFIX_SHARE * titles else ""


def suggest_affixes(titles: list[str]) -> list[str]:
    """Lines for a dry run: the prefix or suffix most titles share, and the flag for it."""
    prefix, suffix = common_affixes(titles)
    lines = []
    if prefix:
        count = sum(title.startswith(prefix) for title in titles)
        lines.append(f"{count} of {len(titles)} titles start with {shlex.quote(prefix)}; "
                     f"--strip-prefix {shlex.quote(prefix)} strips it")
    if suffix:
        count = sum(title.endswith(suffix) for title in titles)
        lines.append(f"{count} of {len(titles)} titles end with {shlex.quote(suffix)}; "
                     f"--strip-suffix {shlex.quote(suffix)} strips it")
    return lines
