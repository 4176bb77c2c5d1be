"""app/http/response_cache.py keeps an answer the second time its search misses, and
stays within its bytes and its memory of searches seen once, whatever strangers send."""

from app.http.response_cache import SEEN_ONCE_LIMIT, Answer, ResponseCache, entry_size
from core.engine import SearchQuery

GENERATION = 7


def search(number: int, group: str = "") -> SearchQuery:
    return SearchQuery("example.com", (f"word{number}",), 100, (group,) if group else ())


def answer(number: int, size: int = 50) -> Answer:
    return Answer(f'{{"terms":["word{number}"],"results":"{"x" * size}"}}'.encode(), True)


def test_an_answer_is_kept_the_second_time_its_search_misses():
    cache = ResponseCache(max_bytes=1 << 20)
    cache.put(search(1), GENERATION, answer(1))
    assert cache.get(search(1), GENERATION) is None  # typed once: most are
    cache.put(search(1), GENERATION, answer(1))
    assert cache.get(search(1), GENERATION) == answer(1)


def test_a_kept_search_is_kept_again_at_once_after_a_write():
    cache = ResponseCache(max_bytes=1 << 20)
    for _ in range(2):
        cache.put(search(1), GENERATION, answer(1))
    assert cache.get(search(1), GENERATION + 1) is None  # the domain changed
    cache.put(search(1), GENERATION + 1, answer(2))
    assert cache.get(search(1), GENERATION + 1) == answer(2)


def test_a_flood_of_searches_asked_twice_stays_within_the_bytes():
    max_bytes = 64 * 1024
    cache = ResponseCache(max_bytes=max_bytes)
    for number in range(2_000):
        for _ in range(2):
            cache.put(search(number, group=f"g{number}"), GENERATION, answer(number, 2_000))
    kept = [number for number in range(2_000)
            if cache.get(search(number, group=f"g{number}"), GENERATION) is not None]
    assert kept, "the cache kept nothing"
    size = entry_size(search(0, "g0"), answer(0, 2_000))
    assert len(kept) * size <= max_bytes
    assert kept[-1] == 1_999  # the newest stay, the oldest went


def test_the_searches_seen_once_are_bounded():
    cache = ResponseCache(max_bytes=1 << 20)
    for number in range(SEEN_ONCE_LIMIT + 10):
        cache.put(search(number), GENERATION, answer(number))
    assert len(cache._seen_once) <= SEEN_ONCE_LIMIT


def test_an_answer_still_asked_for_outlives_those_no_longer_asked_for():
    size = entry_size(search(0), answer(0, 2_000))
    cache = ResponseCache(max_bytes=3 * size)
    for number in range(3):
        for _ in range(2):
            cache.put(search(number), GENERATION, answer(number, 2_000))
    assert cache.get(search(0), GENERATION) is not None  # the oldest, but asked again
    for _ in range(2):
        cache.put(search(3), GENERATION, answer(3, 2_000))
    assert cache.get(search(0), GENERATION) is not None
    assert cache.get(search(1), GENERATION) is None  # the least recently asked went
