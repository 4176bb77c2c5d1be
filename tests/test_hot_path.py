"""The response cache never serves an answer older than the last write."""


def test_every_write_is_visible_to_the_next_search_on_any_worker(site):
    # The session server runs two workers, each with its own cache; both must
    # notice a write made through the other.
    for round_ in range(20):
        assert site.add("/page", f"Generation {round_}").status_code == 201
        assert site.search("generation").json()["results"] == [["/page", f"Generation {round_}"]]
        assert site.search("generation").json()["results"] == [["/page", f"Generation {round_}"]]


def test_cached_answers_still_count_as_searches(site):
    site.add("/a", "Counted twice")
    for _ in range(2):
        site.search("counted")
    import time

    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        fetches = site.client.get("/v1/stats", headers=site.auth).json()["fetches"]
        if sum(n for months in fetches.values() for n in months.values()) == 2:
            return
        time.sleep(0.1)
    raise AssertionError(f"expected 2 searches counted, got {fetches}")


def test_different_sizes_and_groups_are_cached_apart(site):
    site.bulk([{"url": f"/{i}", "title": f"Sized {i}", "popularity": i} for i in range(5)]
              + [{"url": "/g", "title": "Sized grouped", "group": "g", "popularity": 99}])
    assert len(site.search("sized", n=2).json()["results"]) == 2
    assert len(site.search("sized", n=4).json()["results"]) == 4
    assert site.search("sized", n=1, g="g").json()["results"] == [["/g", "Sized grouped"]]
    assert site.search("sized", n=1).json()["results"] == [["/4", "Sized 4"]]
