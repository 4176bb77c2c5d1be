"""A domain whose titles all share one group answers every query over HTTP, on every
setup: with the group, and without it (then nothing, not a 500 whose presence would
tell a stranger that a private title holds a word near the one searched)."""

import pytest

TITLES = ["Merge request guide", "Staff rota for December", "Django deployment notes"]


@pytest.mark.parametrize("group", ["staff", "en"])
def test_a_domain_in_one_group_answers_with_and_without_it(any_site, group):
    documents = [{"url": f"/{n}", "title": title, "group": group}
                 for n, title in enumerate(TITLES)]
    assert any_site.bulk(documents).status_code == 201
    for q in ["mergre", "djngo", "rota zzzz", "merge djan", "staf rotaa"]:
        answer = any_site.search(q)
        assert answer.status_code == 200, (q, answer.text)
        assert answer.json()["results"] == [], q
    assert any_site.urls("mergre", g=group) == ["/0"]
    assert any_site.urls("djngo", g=group) == ["/2"]
