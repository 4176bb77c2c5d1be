"""app/http/suggestions.py: a worker's suggestion indexes are bounded in bytes across
domains, the least recently searched dropped first. The indexes are real
(`core.suggestions.SuggestionIndex`); only their sizes are given, so that the bound is
reached with a few."""

import time

from app.http.suggestions import Built, SuggestionBook
from core.suggestions import SuggestionIndex

SIZE = 100


def keep(book: SuggestionBook, domain: str, nbytes: int = SIZE) -> None:
    started = time.monotonic()  # fresh: a search does not start a rebuild
    book._keep(domain, Built(SuggestionIndex([f"{domain} tips"]), 1, started, nbytes, None,
                             started))


def searched(book: SuggestionBook, domain: str) -> list[str]:
    # A fresh index of the same generation: no build starts, so no backends are needed.
    return book.suggest(None, None, domain, 1, domain[0], 3)  # type: ignore[arg-type]


def kept(book: SuggestionBook) -> list[str]:
    """The domains whose index the book holds, least recently searched first (read
    from it: searching a domain it dropped would start a build)."""
    return list(book._built)


def test_the_least_recently_searched_domain_goes_when_the_bound_is_passed():
    book = SuggestionBook(max_bytes=3 * SIZE)
    for domain in "abc":
        keep(book, domain)
    assert book.nbytes == 3 * SIZE  # at the bound: all kept
    assert searched(book, "a") == ["a tips"]  # "b" is now the least recently searched
    keep(book, "d")
    assert book.nbytes == 3 * SIZE
    assert kept(book) == ["c", "a", "d"]


def test_an_index_built_again_replaces_its_bytes():
    book = SuggestionBook(max_bytes=3 * SIZE)
    keep(book, "a")
    keep(book, "b")
    keep(book, "a", nbytes=SIZE // 2)
    assert book.nbytes == SIZE + SIZE // 2
    keep(book, "c")
    assert kept(book) == ["b", "a", "c"]


def test_the_others_go_for_an_index_over_the_bound_but_it_is_kept():
    """An index is at most MAX_INTENTS intents (about 123 kB): the one just built
    serves even when it alone passes the bound."""
    book = SuggestionBook(max_bytes=3 * SIZE)
    for domain in "abc":
        keep(book, domain)
    keep(book, "d", nbytes=3 * SIZE + 1)
    assert kept(book) == ["d"]
    assert book.nbytes == 3 * SIZE + 1
