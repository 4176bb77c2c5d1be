"""app/http/parsed_searches.py: the memo of parsed searches stays within its bounds
whatever strangers send."""

from app.http.parsed_searches import AskedSearch, ParsedSearches
from core.engine import SearchQuery


def query(number: int) -> AskedSearch:
    return AskedSearch(SearchQuery("example.com", (f"word{number}",)))


def test_it_keeps_at_most_its_number_of_entries_dropping_the_oldest():
    memo = ParsedSearches(max_entries=3)
    for number in range(5):
        memo.put(f"d=example.com&q=word{number}", query(number))
    assert memo.get("d=example.com&q=word0") is None
    assert memo.get("d=example.com&q=word1") is None
    assert [memo.get(f"d=example.com&q=word{n}") for n in (2, 3, 4)] == [
        query(2), query(3), query(4)]


def test_a_long_query_string_is_never_kept():
    memo = ParsedSearches()
    long = "d=example.com&q=" + "a" * ParsedSearches.MAX_KEY_LENGTH
    memo.put(long, query(1))
    assert memo.get(long) is None
