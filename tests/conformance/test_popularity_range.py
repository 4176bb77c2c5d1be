"""Popularity has one range on every setup (issue 25, 2): inside it a title is stored,
ranked and lifted by clicks alike; outside it, a 400 naming the field.

OpenSearch keeps popularity as a 32-bit float: before the range, 3.5e38 was stored
(201) but never indexed, and 1.797e308 plus one click made the ranking infinite.
"""

import pytest
from live import Site
from test_clicks import send_click, wait_for

from app.shared.models import MAX_POPULARITY

OUTSIDE = [MAX_POPULARITY * 10, -MAX_POPULARITY * 10, 3.5e38, -3.5e38, 1.797e308]


def documents(site: Site) -> int:
    response = site.client.get("/v1/stats", headers=site.auth)
    assert response.status_code == 200, response.text
    return response.json()["documents"]


@pytest.mark.parametrize("popularity", OUTSIDE)
def test_a_popularity_outside_the_range_is_a_400_naming_it(any_site: Site,
                                                           popularity: float) -> None:
    response = any_site.add("/huge", "Huge", popularity=popularity)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith("popularity: must be between"), response.text
    # As a form field too, the way the original service took it.
    form = any_site.client.post("/v1", data={"url": "/huge", "title": "Huge",
                                             "popularity": repr(popularity)},
                                headers=any_site.auth)
    assert form.status_code == 400, form.text
    assert documents(any_site) == 0


def test_a_bulk_lists_each_popularity_outside_the_range_by_position(any_site: Site) -> None:
    response = any_site.bulk([{"url": "/edge", "title": "Edge", "popularity": MAX_POPULARITY},
                              *({"url": f"/out{n}", "title": "Out", "popularity": popularity}
                                for n, popularity in enumerate(OUTSIDE))])
    assert response.status_code == 201, response.text
    rejected = response.json()["rejected"]
    assert [entry["index"] for entry in rejected] == list(range(1, len(OUTSIDE) + 1))
    assert all(entry["error"].startswith("popularity: ") for entry in rejected), rejected
    assert documents(any_site) == 1


def test_the_range_edges_are_stored_ranked_and_lifted_by_a_click(any_site: Site) -> None:
    any_site.bulk([{"url": "/top", "title": "Edge top", "popularity": MAX_POPULARITY},
                   {"url": "/also", "title": "Edge also", "popularity": MAX_POPULARITY},
                   {"url": "/low", "title": "Edge low", "popularity": -MAX_POPULARITY}])
    assert any_site.urls("edge") == ["/top", "/also", "/low"]  # a tie: written first wins
    listed = any_site.client.get("/v1/documents", params={"url": "/low"},
                                 headers=any_site.auth).json()
    assert listed["popularity"] == -MAX_POPULARITY
    # The largest popularity plus a click's bonus stays finite and ordered on every
    # engine (OpenSearch's float included): the clicked one of the tie comes first.
    assert send_click(any_site, "edge", "/also").status_code == 204
    wait_for(lambda: any_site.urls("edge") == ["/also", "/top", "/low"],
             "the clicked title to come first")
