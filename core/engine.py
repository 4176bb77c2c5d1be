"""The `SearchEngine` port: what a search needs, whatever answers it."""

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SearchQuery:
    domain: str
    words: tuple[str, ...]
    """Folded query words (see `core.text.words`); never empty."""
    size: int = 10
    groups: tuple[str, ...] = ()
    """Groups asked for besides the empty group, which is always searched."""
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Of the words, those the domain's synonyms name, with the forms that stand for
    each (`core.synonyms.Synonyms.alternatives`); part of the key a cached answer is
    kept under, so changed synonyms never serve an old answer."""


@dataclass(frozen=True, slots=True)
class Hit:
    url: str
    title: str
    search_text: str = field(default="", compare=False)
    """The title as the index holds it (`core.text.search_text`; see
    `core.text.spanned_parts`), for `terms`: the engine's own string, not a copy."""


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[Hit]
    terms: list[str] = field(default_factory=list)
    """Words to highlight: the query's words, then any corrected spellings."""
    tier: str = field(default="exact", compare=False)
    """Which step answered (`core.search.TIERS`): for the bench and the logs, not the API."""


class EngineUnavailable(Exception):
    """The search engine did not answer in time; searches get a 503."""


class SearchEngine(Protocol):
    async def search(self, query: SearchQuery) -> SearchResult: ...

    def generation(self, domain: str) -> int:
        """A number that changes when the domain's searchable titles may have.

        Cached answers for the domain are only reused while it stays the same;
        it must be cheap, as every search asks.
        """
        ...

    async def warm(self) -> None:
        """Get ready to answer fast, before the worker takes its first request
        (the embedded engine builds the in-memory indexes that fit)."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
