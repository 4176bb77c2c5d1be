"""Analytics per intent (issue 28, item 1): the searches one visitor types in a burst
count once in the top queries, as the query they ended on, whichever workers took
them; every request still counts under `searches`."""

import time
from typing import Any

import httpx
from answering_workers import worker_of
from live import Site

PATIENCE = 30.0
"""Intents count once every worker's part of the burst is written: a pause (3 s), a
flush interval (0.2 s in tests) and a margin (2 s) after the last search."""

TYPED = "python testing"


def prefixes(text: str) -> list[str]:
    """What the widget searches while someone types ``text`` letter by letter (a space
    alone adds no word, so "python " searches as "python" again)."""
    return [text[:n] for n in range(1, len(text) + 1)]


def search_on_another_worker(site: Site, q: str, last_worker: str | None,
                             headers: dict[str, str], most: int = 100) -> str:
    """Search ``q`` on new connections until a worker other than ``last_worker``
    answers (a repeated search is the same burst), so that a burst's requests go
    to both workers in turn; the worker that answered."""
    for _ in range(most):
        with httpx.Client(base_url=site.server.base_url, timeout=10,
                          headers=headers) as fresh:
            response = fresh.get("/v1", params={"d": site.domain, "q": q})
        assert response.status_code == 200, response.text
        if worker_of(response) != last_worker:
            return worker_of(response)
    raise AssertionError(f"{most} new connections all went to worker {last_worker}")


def type_letter_by_letter(site: Site, text: str, user_agent: str) -> set[str]:
    """A visitor (its own user agent) typing ``text``, each prefix on the worker the
    previous one did not go to; the workers that answered."""
    site.server.settle()
    workers: set[str] = set()
    worker = None
    for q in prefixes(text):
        worker = search_on_another_worker(site, q, worker, {"User-Agent": user_agent})
        workers.add(worker)
    return workers


def stats(site: Site) -> dict[str, Any]:
    response = site.client.get("/v1/stats", headers=site.auth)
    assert response.status_code == 200, response.text
    return response.json()


def stats_when(site: Site, ready: Any, what: str) -> dict[str, Any]:
    deadline = time.monotonic() + PATIENCE
    while not ready(body := stats(site)):
        assert time.monotonic() < deadline, f"waited {PATIENCE} s for {what}: {body}"
        time.sleep(0.1)
    return body


def test_typing_a_query_letter_by_letter_counts_one_search_across_workers(
        any_site: Site) -> None:
    any_site.bulk([{"url": "/t", "title": "Python testing tips"}])
    assert len(type_letter_by_letter(any_site, TYPED, "first visitor")) == 2
    # Another visitor (another user agent) typing it too, and then a miss.
    type_letter_by_letter(any_site, TYPED, "second visitor")
    type_letter_by_letter(any_site, "zzq", "second visitor")

    # Each worker writes its part of a burst when it flushes: wait for the whole count,
    # not the first part seen (CI once read visitor one's intent and the miss alone).
    # A wrong count never settles, and fails here showing what was counted.
    expected_queries = [{"q": TYPED, "count": 2, "clicks": 0, "click_through": 0.0},
                        {"q": "zzq", "count": 1, "clicks": 0, "click_through": 0.0}]
    expected_misses = [{"q": "zzq", "count": 1}]
    body = stats_when(any_site, lambda b: (b["top_queries"], b["top_misses"]) == (
        expected_queries, expected_misses), "the intents counted")
    # Every request still counts as a search, each prefix typed (at least once a
    # visitor, more when a worker was tried again).
    searched = {e["q"]: e["count"] for e in body["searches"]["top_queries"]}
    assert len(searched) == 10, searched
    assert all(TYPED.startswith(q) or "zzq".startswith(q) for q in searched), searched
    # Nothing left waiting: a later look counts the same.
    assert stats(any_site)["top_queries"] == body["top_queries"]
