"""Query suggestions (issue 28, item 2), on every setup: intents typed by visitors come
back with `s=N` by popularity, the owner's controls (`PUT /v1/suggestions`) are
honoured, and a suggestion whose titles are all private is never offered. The index
itself: tests/test_suggestions.py.

Each worker builds its suggestions in the background after a domain's first search
asks (app/http/suggestions.py), and again within seconds of a change: so each test
waits for the answer it expects, with a deadline."""

import time
from collections.abc import Callable

import pytest
from live import Site
from test_intents import PATIENCE, stats_when

from core.tokens import mint

TITLES = [
    {"url": "/testing", "title": "Python testing tips"},
    {"url": "/tips", "title": "Python tips and tricks"},
    {"url": "/more-tips", "title": "More Python tips"},
    {"url": "/learn", "title": "Learn Python"},
    {"url": "/pytest", "title": "Pytest fixtures"},
]
# Each search its own visitor (user agent): one intent each.
TYPED = {"python testing": 3, "python tips": 2, "learn python": 2, "pytest": 1,
         "zzqx": 2}
DEFAULTS = {"enabled": True, "min_count": 2, "min_results": 1, "exclude": []}


def type_intents(site: Site, typed: dict[str, int], counted: dict[str, int] | None = None,
                 **params: str) -> None:
    """Each query searched by as many visitors as ``typed`` says; waits until the
    stats count them as intents: as ``counted`` says (default ``typed``)."""
    site.server.settle()
    for q, visitors in typed.items():
        for visitor in range(visitors):
            answer = site.client.get("/v1", params={"d": site.domain, "q": q, **params},
                                     headers={"User-Agent": f"visitor {visitor} of {q}"})
            assert answer.status_code == 200, answer.text
    stats_when(site, lambda body: {e["q"]: e["count"] for e in body["top_queries"]}
               == (counted or typed),
               "the intents counted")


def suggestions_when(site: Site, q: str, ready: Callable[[list[str]], bool],
                     s: int = 3, **params: str) -> list[str]:
    """The suggestions for ``q`` once ``ready`` says so: every worker builds its own
    in the background, and again after a change."""
    deadline = time.monotonic() + PATIENCE
    while True:
        answer = site.search(q, s=s, **params)
        assert answer.status_code == 200, answer.text
        found = answer.json()["suggestions"]
        if ready(found):
            return found
        assert time.monotonic() < deadline, f"waited {PATIENCE} s: {q!r} suggests {found}"
        time.sleep(0.1)


def suggested(site: Site, q: str, expected: list[str], s: int = 3) -> None:
    """Wait until ``q`` suggests ``expected``; then every worker does, twice over."""
    suggestions_when(site, q, lambda found: found == expected, s)
    for _ in range(4):  # each worker has built by now: none answers otherwise
        suggestions_when(site, q, lambda found: found == expected, s)


def put(site: Site, body: object):
    return site.client.put("/v1/suggestions", json=body, headers=site.auth)


def with_intents(site: Site) -> None:
    assert site.bulk(TITLES).status_code == 201
    type_intents(site, TYPED)


def test_typed_intents_are_suggested_by_popularity_at_any_word_start(any_site: Site):
    with_intents(any_site)
    # "pytest" found titles once (under min_count 2), "zzqx" never.
    suggested(any_site, "py", ["python testing", "learn python", "python tips"])
    suggested(any_site, "py", ["python testing"], s=1)
    suggested(any_site, "python t", ["python testing", "python tips"])
    suggested(any_site, "learn", ["learn python"])
    # Never the typed query itself.
    suggested(any_site, "python testing", [])
    suggested(any_site, "python", ["python testing", "learn python", "python tips"])
    # The results are the same as without `s`, and without `s` there is no key.
    plain = any_site.search("py").json()
    assert "suggestions" not in plain
    with_suggestions = any_site.search("py", s=3).json()
    assert with_suggestions.pop("suggestions") == ["python testing", "learn python",
                                                   "python tips"]
    assert with_suggestions == plain


def test_the_owners_controls_are_read_back_and_honoured(any_site: Site):
    assert any_site.client.get("/v1/suggestions", headers=any_site.auth).json() == {
        "domain": any_site.domain, **DEFAULTS}
    with_intents(any_site)
    suggested(any_site, "py", ["python testing", "learn python", "python tips"])

    answer = put(any_site, {"min_count": 3})
    assert answer.json() == {"domain": any_site.domain, **DEFAULTS, "min_count": 3}
    suggested(any_site, "py", ["python testing"])
    # A phrase excludes itself; a word, every intent with it. Folded.
    answer = put(any_site, {"exclude": ["Python  Tips!", "LEARN"]})
    assert answer.json()["exclude"] == ["python tips", "learn"]
    suggested(any_site, "py", ["python testing"])
    put(any_site, {"exclude": ["testing"]})
    suggested(any_site, "py", ["learn python", "python tips"])
    # Two titles: "python tips" finds two, the others one.
    put(any_site, {"min_results": 2})
    suggested(any_site, "py", ["python tips"])
    stored = put(any_site, {"enabled": False}).json()
    suggested(any_site, "py", [])
    assert any_site.client.get("/v1/suggestions", headers=any_site.auth).json() == stored
    assert stored == {"domain": any_site.domain, **DEFAULTS, "enabled": False}
    put(any_site, {})
    suggested(any_site, "py", ["python testing", "learn python", "python tips"])


def test_a_suggestion_whose_titles_are_all_private_is_not_offered(any_site: Site):
    assert any_site.bulk([{"url": "/staff", "title": "Salary bands", "group": "staff"},
                          {"url": "/pay", "title": "Salary payment dates"}]
                         ).status_code == 201
    secret = any_site.client.put("/v1/groups", json={"private": ["staff"]},
                                 headers=any_site.auth).json()["token_secret"]
    staff = mint(secret, any_site.domain, ["staff"], int(time.time()) + 3600)
    # Staff find their title: "salary bands" found titles, twice (an intent each).
    type_intents(any_site, {"salary bands": 2}, g="staff", t=staff)
    # Others find the public title by fewer words: found too, but not by what was typed.
    type_intents(any_site, {"salary bands": 2, "salary payment": 2},
                 {"salary bands": 4, "salary payment": 2})
    # Not even to staff: a suggestion is checked as a visitor without groups sees.
    suggested(any_site, "sal", ["salary payment"])
    assert suggestions_when(any_site, "sal", lambda found: True, g="staff",
                            t=staff) == ["salary payment"]


def test_s_absent_or_zero_adds_no_key(any_site: Site):
    any_site.bulk(TITLES)
    assert "suggestions" not in any_site.search("py").json()
    assert "suggestions" not in any_site.search("py", s=0).json()
    assert any_site.search("py", s=2).json()["suggestions"] == []  # nothing typed yet


@pytest.mark.parametrize("s, error", [
    ("11", "s: Input should be less than or equal to 10"),
    ("-1", "s: Input should be greater than or equal to 0"),
    ("three", "s: Input should be a valid integer"),
])
def test_a_bad_s_is_refused_by_name(any_site: Site, s: str, error: str):
    answer = any_site.search("py", s=s)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(error), answer.json()


@pytest.mark.parametrize("body, error", [
    ({"min_count": 0}, "min_count: Input should be greater than or equal to 1"),
    ({"min_count": 1_000_001}, "min_count: Input should be less than or equal to 1000000"),
    ({"min_results": 101}, "min_results: Input should be less than or equal to 100"),
    ({"enabled": "maybe"}, "enabled: Input should be a valid boolean"),
    ({"exclude": "free"}, "exclude: Input should be a valid list"),
    ({"exclude": ["x" * 101]}, "exclude.0: String should have at most 100 characters"),
    ({"exclude": ["x"] * 501}, "exclude: List should have at most 500 items"),
    ({"min_cuont": 3}, "min_cuont: Extra inputs are not permitted"),
])
def test_controls_the_service_cannot_keep_are_refused_by_name_and_nothing_changes(
        any_site: Site, body: dict, error: str):
    assert put(any_site, {"min_count": 5}).status_code == 200
    answer = put(any_site, body)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(error), answer.json()
    assert any_site.client.get("/v1/suggestions", headers=any_site.auth).json()[
        "min_count"] == 5


def test_the_controls_need_the_domains_key(any_site: Site):
    assert any_site.client.get("/v1/suggestions").status_code == 401
    refused = any_site.client.put("/v1/suggestions", json={}, headers={"Auth-Key": "nope"})
    assert refused.status_code == 403
