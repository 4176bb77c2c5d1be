"""Synonyms (issue 28, item 3): `PUT`/`GET /v1/synonyms` and searches that use them,
on every setup. The rules themselves and the flow's steps: tests/test_synonyms.py."""

import time

import pytest

TITLES = [
    {"url": "/js", "title": "JavaScript tips", "popularity": 1},
    {"url": "/json", "title": "JSON schemas", "popularity": 5},
    {"url": "/k8s", "title": "Kubernetes in production"},
    {"url": "/cheat", "title": "K8s cheat sheet"},
    {"url": "/staff", "title": "Kubernetes staff runbook", "group": "staff"},
]
RULES = {"synonyms": [["js", "javascript"]], "one_way": {"k8s": ["kubernetes"]}}


def put(site, body: object):
    return site.client.put("/v1/synonyms", json=body, headers=site.auth)


def with_rules(site, rules=RULES):
    assert site.bulk(TITLES).status_code == 201
    answer = put(site, rules)
    assert answer.status_code == 200, answer.text
    return answer.json()


def answer_when(site, q: str, ready, **params) -> dict:
    """The answer to ``q`` once ``ready(answer)``: a change reaches the scaled setup's
    other workers within its one-second generation (app/http/synonym_book.py)."""
    deadline = time.monotonic() + 10
    while not ready(body := site.search(q, **params).json()):
        assert time.monotonic() < deadline, f"never ready: {q!r} answers {body}"
        time.sleep(0.05)
    return body


def urls_of(body: dict) -> list[str]:
    return [url for url, _title in body["results"]]


def test_put_answers_the_rules_folded_and_get_reads_them_back(any_site):
    empty = any_site.client.get("/v1/synonyms", headers=any_site.auth)
    assert empty.status_code == 200, empty.text
    assert empty.json() == {"domain": any_site.domain, "synonyms": [], "one_way": {}}
    stored = with_rules(any_site, {"synonyms": [["JS", "JavaScript", "js"]],
                                   "one_way": {"K8s": ["Kubernetes"]}})
    assert stored == {"domain": any_site.domain, "synonyms": [["js", "javascript"]],
                      "one_way": {"k8s": ["kubernetes"]}}
    assert any_site.client.get("/v1/synonyms", headers=any_site.auth).json() == stored
    # Replaced, not added to.
    assert put(any_site, {"synonyms": [["tv", "television"]]}).json()["one_way"] == {}


def test_a_synonym_finds_its_titles_and_is_highlighted(any_site):
    with_rules(any_site)
    js = answer_when(any_site, "js", lambda body: "/js" in urls_of(body))
    assert urls_of(js) == ["/json", "/js"]
    assert js["terms"] == ["js", "javascript"]
    several = answer_when(any_site, "tips js", lambda body: body["results"])
    assert urls_of(several) == ["/js"] and "javascript" in several["terms"]


def test_a_one_way_rule_finds_one_way_and_never_opens_a_private_group(any_site):
    with_rules(any_site)
    k8s = answer_when(any_site, "k8s", lambda body: "/k8s" in urls_of(body))
    assert urls_of(k8s) == ["/cheat", "/k8s"]
    assert "kubernetes" in k8s["terms"]
    assert urls_of(any_site.search("kubernetes").json()) == ["/k8s"]
    # The staff runbook is in a group not asked for: a synonym does not find it.
    assert "/staff" not in urls_of(any_site.search("k8s").json())
    assert "/staff" in urls_of(any_site.search("k8s", g="staff").json())


def test_changed_rules_are_searched_with_at_once_not_from_the_cache(any_site):
    with_rules(any_site)
    answer_when(any_site, "js", lambda body: "/js" in urls_of(body))
    assert put(any_site, {"synonyms": []}).status_code == 200
    answer_when(any_site, "js", lambda body: urls_of(body) == ["/json"])


@pytest.mark.parametrize("body, error", [
    ({"synonyms": [["new york", "nyc"]]}, "synonyms[0]: 'new york' is not one word"),
    ({"synonyms": [["js"]]}, "synonyms[0]: give 2 to 20 words in a list"),
    ({"synonyms": "js"}, "synonyms: Input should be a valid list"),
    ({"one_way": {"k8s": []}}, "one_way['k8s']: give 1 to 20 words in a list"),
    ({"one_way": {"k8s": "kubernetes"}}, "one_way.k8s: Input should be a valid list"),
    ({"synonym": [["js", "javascript"]]}, "synonym: Extra inputs are not permitted"),
    ({"synonyms": [["a", "b"]] * 501}, "synonyms: List should have at most 500 items"),
])
def test_rules_the_service_cannot_keep_are_refused_by_name_and_nothing_changes(
        any_site, body, error):
    with_rules(any_site)
    answer = put(any_site, body)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(error), answer.json()
    assert any_site.client.get("/v1/synonyms", headers=any_site.auth).json()[
        "synonyms"] == [["js", "javascript"]]


def test_synonyms_need_the_domains_key(any_site):
    assert any_site.client.get("/v1/synonyms").status_code == 401
    refused = any_site.client.put("/v1/synonyms", json=RULES, headers={"Auth-Key": "nope"})
    assert refused.status_code == 403
