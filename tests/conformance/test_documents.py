"""The owner's documents API and searches per day, on every setup."""

import base64
import time
from datetime import UTC, datetime, timedelta

from live import Site


def page(site: Site, **params: object) -> dict:
    response = site.client.get("/v1/documents", params=params, headers=site.auth)
    assert response.status_code == 200, response.text
    return response.json()


def all_pages(site: Site, **params: object) -> list[list[str]]:
    """The URLs of each page, following the cursors to the end."""
    pages, cursor = [], None
    while True:
        body = page(site, **params, **({"cursor": cursor} if cursor else {}))
        pages.append([document["url"] for document in body["documents"]])
        cursor = body["cursor"]
        if cursor is None:
            return pages


def test_pages_follow_the_cursor_in_a_stable_order(any_site: Site,
                                                   other_site_on_same_server: Site) -> None:
    any_site.bulk([{"url": f"/{n}", "title": f"Title {n}", "group": "g" if n == 3 else "",
                    "popularity": n} for n in range(1, 6)])
    other_site_on_same_server.add("/secret", "Secret")

    body = page(any_site, limit=500)
    assert body["cursor"] is None
    listing = [document["url"] for document in body["documents"]]
    assert sorted(listing) == ["/1", "/2", "/3", "/4", "/5"]
    assert {"url": "/3", "title": "Title 3", "group": "g", "popularity": 3.0} in body["documents"]
    # Small pages give the same listing, whatever order the store keeps.
    assert all_pages(any_site, limit=2) == [listing[:2], listing[2:4], listing[4:]]
    # A title added while someone pages comes after the pages already seen.
    first = page(any_site, limit=2)
    any_site.add("/6", "Title 6")
    rest = page(any_site, limit=10, cursor=first["cursor"])
    assert [d["url"] for d in rest["documents"]] == [*listing[2:], "/6"]


def test_default_page_is_fifty(any_site: Site) -> None:
    any_site.bulk([{"url": f"/{n}", "title": f"T {n}"} for n in range(51)])
    assert [len(p) for p in all_pages(any_site)] == [50, 1]


def test_q_keeps_titles_with_words_starting_with_each_query_word(any_site: Site) -> None:
    any_site.bulk([{"url": "/cafe", "title": "Café au lait"},
                   {"url": "/100", "title": "100% juice_box"},
                   {"url": "/tea", "title": "Green tea"}])
    assert all_pages(any_site, q="CAFE") == [["/cafe"]]
    assert all_pages(any_site, q="la caf") == [["/cafe"]]
    assert all_pages(any_site, q="ait") == [[]]  # inside a word, not its start
    assert all_pages(any_site, q="100%") == [["/100"]]
    assert sorted(all_pages(any_site, q="_")[0]) == ["/100", "/cafe", "/tea"]  # no words
    assert all_pages(any_site, q="gr", limit=1) == [["/tea"]]


def test_url_gives_one_document_or_a_404(any_site: Site,
                                         other_site_on_same_server: Site) -> None:
    any_site.add("/a?x=1", "Apples", group="fruit", popularity=2)
    other_site_on_same_server.add("/b", "Bananas")
    assert page(any_site, url="/a?x=1") == {"url": "/a?x=1", "title": "Apples",
                                            "group": "fruit", "popularity": 2.0}
    for missing in ("/a", "/b"):  # the other domain's is unknown here too
        response = any_site.client.get("/v1/documents", params={"url": missing},
                                       headers=any_site.auth)
        assert response.status_code == 404
        assert response.json() == {"error": "url: no document with that URL in this domain"}


def test_bad_parameters_are_named(any_site: Site) -> None:
    for params, field in [({"limit": 0}, "limit"), ({"limit": 501}, "limit"),
                          ({"limit": "x"}, "limit"), ({"cursor": "!!"}, "cursor"),
                          ({"cursor": "LTE="}, "cursor"), ({"url": ""}, "url")]:
        response = any_site.client.get("/v1/documents", params=params, headers=any_site.auth)
        assert response.status_code == 400, (params, response.text)
        assert response.json()["error"].startswith(f"{field}: "), response.text
    assert any_site.client.get("/v1/documents").status_code == 401
    assert any_site.client.get("/v1/stats/daily").status_code == 401
    response = any_site.client.get("/v1/stats/daily", params={"days": 31},
                                   headers=any_site.auth)
    assert response.status_code == 400
    assert response.json()["error"].startswith("days: ")


def cursor_of(digits: str) -> str:
    """A cursor as a client could forge one: the page API's own encoding of an id."""
    return base64.urlsafe_b64encode(digits.encode()).decode()


def test_a_cursor_beyond_any_id_is_a_400_not_a_crash(any_site: Site) -> None:
    """Ids are 64-bit in both stores; a tampered cursor past that is the client's
    mistake to name (issue 25, 11), not an overflow in the database driver."""
    any_site.add("/a", "Apples")
    for digits in (str(2**63), str(2**64 + 1), "9" * 100, "9" * 5000):
        response = any_site.client.get("/v1/documents", params={"cursor": cursor_of(digits)},
                                       headers=any_site.auth)
        assert response.status_code == 400, (digits[:30], response.text)
        assert response.json()["error"].startswith("cursor: "), response.text
    # The largest id there can be is a cursor like any other: nothing comes after it.
    assert page(any_site, cursor=cursor_of(str(2**63 - 1))) == {"documents": [], "cursor": None}


def test_daily_searches_cover_each_day_oldest_first(any_site: Site,
                                                    other_site_on_same_server: Site) -> None:
    any_site.add("/p", "Python")
    for q in ["pyth", "python", "nothing here"]:
        assert any_site.search(q).status_code == 200
    other_site_on_same_server.add("/s", "Secret")
    other_site_on_same_server.search("secret")

    # Other workers flush their counts every 0.2 s.
    deadline = time.monotonic() + 5
    while True:
        response = any_site.client.get("/v1/stats/daily", headers=any_site.auth)
        days = response.json()["days"]
        if days[-1]["searches"] == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert response.json()["domain"] == any_site.domain
    today = datetime.now(UTC).date()
    assert [d["day"] for d in days] == [(today - timedelta(days=n)).isoformat()
                                        for n in range(29, -1, -1)]
    assert days[-1]["searches"] == 3
    assert sum(d["searches"] for d in days) == 3
    response = any_site.client.get("/v1/stats/daily", params={"days": 7},
                                   headers=any_site.auth)
    assert len(response.json()["days"]) == 7
