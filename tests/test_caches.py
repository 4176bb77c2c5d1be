"""embedded/caches.py: byte-bounded caches keep within their bound, least recently
used out first, and the query caches split theirs between the two kinds.
"""

from embedded.caches import ByteBoundedCache, QueryCaches


def test_a_byte_bounded_cache_evicts_the_least_recently_used_to_stay_within_its_bound():
    cache = ByteBoundedCache(100)
    cache.put("a", "A", 40)
    cache.put("b", "B", 40)
    assert cache.get("a") == "A"  # a is now used after b
    cache.put("c", "C", 40)  # 120 bytes: b goes, the least recently used
    assert (cache.get("a"), cache.get("b"), cache.get("c"), cache.size) == ("A", None, "C", 80)
    cache.put("d", "D", 90)  # room only once both others are gone
    assert (cache.get("a"), cache.get("c"), cache.get("d"), cache.size) == (None, None, "D", 90)
    cache.put("huge", "H", 101)  # more than the whole bound: not kept, and nothing evicted
    assert (cache.get("huge"), cache.get("d"), cache.size) == (None, "D", 90)
    cache.put("d", "D again", 30)  # a replaced entry counts its new size only
    assert (cache.get("d"), cache.size) == ("D again", 30)
    cache.discard("d")
    assert cache.size == 0


def test_the_query_caches_split_their_bound_between_the_two_kinds():
    # Corrections are a few strings a word; merged prefixes take the most room.
    caches = QueryCaches.within(101)
    assert (caches.prefixes.limit, caches.forms.limit, caches.limit) == (89, 12, 101)
