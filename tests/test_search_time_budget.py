"""SEARCH_TIME_BUDGET: the engine time one client address may spend per worker
(issue 25, item 4). Searches far under the request limit could still keep a
worker busy: eight common words no title has together cost tens of
milliseconds each, and 45 a second from one address made every other visitor
wait.

The budget here is one millisecond an hour, so the outcome does not depend on
the machine's speed: any address is refused after a few engine searches, and a
fresh address always gets its first one.
"""

import random
from collections.abc import Iterator

import httpx
import pytest
from live import LiveServer, new_site, start_server, stop_server

COMMON = ["python", "data", "web", "guide", "file", "time", "list", "string", "test",
          "server", "user", "type", "error", "code", "model", "class", "value", "network",
          "system", "image", "text", "table", "queue", "thread", "process", "event",
          "stream", "object", "module", "package", "config", "build", "query", "index",
          "cache", "log", "path", "date", "json", "html"]


@pytest.fixture(params=["memory index", "FTS5 only"])
def budgeted(request: pytest.FixtureRequest, tmp_path) -> Iterator[LiveServer]:
    env = {"SEARCH_TIME_BUDGET": "1/hour", "TRUSTED_PROXIES": "1"}
    if request.param == "FTS5 only":
        env["MEMORY_INDEX_BYTES"] = "0"
    server = start_server(tmp_path, workers=1, **env)
    yield server
    stop_server(server)


def titles(count: int) -> list[dict[str, str]]:
    """Titles of four common words each: eight of those words are never all in one."""
    rng = random.Random(25)
    return [{"url": f"/{i}", "title": " ".join(rng.sample(COMMON, 4))} for i in range(count)]


def costly_queries() -> Iterator[str]:
    """Distinct (so never answered from the cache) eight-word misses."""
    rng = random.Random(4)
    while True:
        yield " ".join(rng.sample(COMMON, 8))


def from_address(address: str) -> dict[str, str]:
    # As nginx sends it (TRUSTED_PROXIES=1): the client's claim, then the address it saw.
    return {"X-Forwarded-For": f"203.0.113.9, {address}"}


def test_an_address_over_its_time_budget_is_refused_while_others_are_served(budgeted):
    with httpx.Client(base_url=budgeted.base_url) as http:
        site = new_site(budgeted, http)
        assert site.bulk(titles(600)).status_code == 201

        def search(q: str, address: str) -> httpx.Response:
            return http.get("/v1", params={"d": site.domain, "q": q},
                            headers=from_address(address))

        queries = costly_queries()
        statuses = []
        for q, _try in zip(queries, range(200), strict=False):
            statuses.append(search(q, "198.51.100.1").status_code)
            if statuses[-1] != 200:
                break
        assert statuses[-1] == 429, f"never refused: {statuses.count(200)} searches served"
        assert statuses.count(200) >= 1  # the first search of an address is always run
        refused = search(next(queries), "198.51.100.1")
        assert refused.status_code == 429
        assert "searches from this address took" in refused.json()["error"]
        assert 1 <= int(refused.headers["retry-after"]) <= 3600
        # Another visitor is served, and so is the same one when it searches
        # nothing for the engine to do: an answer the cache holds costs no time.
        # The cache keeps an answer the second time it is searched: two more
        # visitors ask for it, one engine search each.
        for address in ("198.51.100.2", "198.51.100.3"):
            assert search("python guide", address).status_code == 200
        assert search("python guide", "198.51.100.1").status_code == 200
