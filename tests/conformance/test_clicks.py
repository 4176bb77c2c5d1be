"""Click feedback on every setup: POST /v1/click counts a visitor's chosen result if the
service gives it for the query, once per address, title and day; clicks move titles
up within their tier and show in /v1/stats (issue 15, 2; issue 25, 3).

Dates are the server's: a test that needs "today" reads it from a click the server
stored, and one that counts once a day reads the counts per day, so none depends on
the test's clock agreeing with the server's or on a UTC day not ending meanwhile."""

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from live import LiveServer, Site, new_site, start_scaled_server, start_server, stop_server
from scaled_setup.support import drop_database, new_parts, require_services

from app.shared.analytics import QUERY_RETENTION_DAYS
from core.tokens import mint
from scaled.store import numbered

PATIENCE = 30.0


def wait_for(check: Callable[[], Any], what: str) -> Any:
    """Poll ``check`` until it returns something true (the state, not a time)."""
    deadline = time.monotonic() + PATIENCE
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {PATIENCE} s for {what}")
        time.sleep(0.05)


def send_click(site: Site, q: str, url: str, http: httpx.Client | None = None,
               **search: object) -> httpx.Response:
    """A click as the widget sends it; ``search``: the search's n, g and t. As a click
    follows a search, the titles written are searchable first (`Site.search` too)."""
    site.server.settle()
    return (http or site.client).post("/v1/click", json={"d": site.domain, "q": q, "url": url,
                                                         **search})


def from_address(site: Site, n: int) -> httpx.Client:
    """A client of its own address, 127.0.0.n (all of 127/8 is the loopback): to the
    service, another visitor."""
    return httpx.Client(base_url=site.server.base_url, timeout=10,
                        transport=httpx.HTTPTransport(local_address=f"127.0.0.{n}"))


def stats(site: Site) -> dict[str, Any]:
    response = site.client.get("/v1/stats", headers=site.auth)
    assert response.status_code == 200, response.text
    return response.json()


def clicks_by_url(site: Site) -> dict[str, int]:
    return {entry["url"]: entry["clicks"] for entry in stats(site)["top_clicks"]}


def click_then_mark(site: Site, q: str, url: str, marker: str,
                    http: httpx.Client | None = None, marker_q: str = "marker",
                    **search: object) -> None:
    """A click, then a click on the title ``marker`` (a fresh one: a title counts one
    click an address a day), a result of ``marker_q``, over the same connection, so
    the same worker, which writes its waiting clicks in one transaction: once the
    marker's click is counted, the first click has been written, or refused, too."""
    with httpx.Client(base_url=site.server.base_url, timeout=10) as own:
        http = http or own
        assert send_click(site, q, url, http, **search).status_code == 204
        assert send_click(site, marker_q, marker, http).status_code == 204
    wait_for(lambda: clicks_by_url(site).get(marker) == 1, f"the click on {marker}")


# -- the store, read and written directly: dates as the server wrote them ----------------


def store_rows(server: LiveServer, sql: str, *args: object) -> list[tuple[Any, ...]]:
    """Run ``sql`` (with ? placeholders) on the server's database; its rows."""
    parts = getattr(server, "parts", None)
    if parts is None:
        with sqlite3.connect(Path(server.db_path), timeout=30) as conn:
            sqlite_args = [a.isoformat() if isinstance(a, date) else a for a in args]
            return [tuple(row) for row in conn.execute(sql, sqlite_args).fetchall()]

    async def run() -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(parts.database_url)
        try:
            return [tuple(row) for row in await conn.fetch(numbered(sql), *args)]
        finally:
            await conn.close()

    return asyncio.run(run())


def clicks_per_day(site: Site, url: str) -> dict[date, int]:
    rows = store_rows(site.server, "SELECT c.day, sum(c.clicks) FROM click_counts c"
                      " JOIN domains m ON m.id = c.domain_id WHERE m.name = ? AND c.url = ?"
                      " GROUP BY c.day", site.domain, url)
    return {day if isinstance(day, date) else date.fromisoformat(day): int(n)
            for day, n in rows}


def put_clicks(site: Site, url: str, day: date, clicks: int) -> None:
    """Clicks on ``url`` on ``day``, written as the server would have counted them."""
    store_rows(site.server, "INSERT INTO click_counts (domain_id, url, query, day, clicks)"
               " SELECT id, ?, 'put', ?, ? FROM domains WHERE name = ?",
               url, day, clicks, site.domain)


def server_day(site: Site) -> date:
    """The server's UTC day now: the day of a click on a fresh title it counted (which
    also makes a worker refresh the click ranking)."""
    marker = f"/day-{uuid.uuid4().hex[:8]}"
    assert site.add(marker, "Daymark").status_code == 201
    assert send_click(site, "daymark", marker).status_code == 204
    days = wait_for(lambda: clicks_per_day(site, marker), "the day's click")
    return max(days)


def test_one_address_adds_one_click_to_a_title_a_day_whatever_the_query(any_site: Site
                                                                        ) -> None:
    any_site.bulk([{"url": "/chosen", "title": "Chosen title"},
                   *[{"url": f"/marker{n}", "title": f"Marker {n}"} for n in range(3)]])
    assert any_site.search("chosen").status_code == 200
    response = send_click(any_site, "Chosen", "/chosen")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.content == b""
    # Changing the query does not make the click count again (it once did: 600 clicks
    # with random queries from one address all counted). Each burst goes over a new
    # connection, so on either worker.
    queries = ["chosen", "chos", "c", "ch", "cho", "chose", "title", "chosen title",
               "chosen ti", "tit"]
    for n, burst in enumerate([queries[:5], queries[5:], ["chosen"]]):
        with httpx.Client(base_url=any_site.server.base_url, timeout=10) as http:
            for q in burst:
                assert send_click(any_site, q, "/chosen", http).status_code == 204
            click_then_mark(any_site, "marker", f"/marker{n}", f"/marker{n}", http)
    days = clicks_per_day(any_site, "/chosen")
    assert set(days.values()) == {1}, days  # one a day (a UTC day may end meanwhile)
    assert clicks_by_url(any_site)["/chosen"] == len(days)
    # One search of "chosen", one click on its results: a click-through rate of 1 (the
    # search counts as an intent once its burst ended, a few seconds on).
    chosen = wait_for(lambda: {entry["q"]: entry for entry in stats(any_site)["top_queries"]
                               }.get("chosen"), "the search of 'chosen' counted")
    assert chosen == {"q": "chosen", "count": 1, "clicks": 1, "click_through": 1.0}
    # Another address is another visitor: its click counts.
    with from_address(any_site, 2) as other:
        assert send_click(any_site, "chos", "/chosen", other).status_code == 204
    wait_for(lambda: sum(clicks_per_day(any_site, "/chosen").values()) == len(days) + 1,
             "the other address's click")


def test_a_click_counts_only_on_a_result_the_service_gives_for_its_search(any_site: Site
                                                                         ) -> None:
    any_site.bulk([{"url": "/first", "title": "Result first"},
                   {"url": "/second", "title": "Result second"},
                   {"url": "/grouped", "title": "Grouped result", "group": "extra"},
                   {"url": "/private", "title": "Private result", "group": "staff"},
                   {"url": "/marker", "title": "Marker"}])
    secret = any_site.client.put("/v1/groups", headers=any_site.auth,
                                 json={"private": ["staff"]}).json()["token_secret"]
    token = mint(secret, any_site.domain, ["staff"], int(time.time()) + 3600)
    with httpx.Client(base_url=any_site.server.base_url, timeout=10) as http:
        refused = [
            ("first", "/second", {}),  # a title, not a result of this query
            ("result", "/second", {"n": 1}),  # a result, but not among the first 1
            ("grouped", "/grouped", {}),  # its group was not asked for
            ("private", "/private", {"g": "staff"}),  # a private group without a token
            ("private", "/private", {"g": "staff", "t": token[:-2] + "xx"}),  # tampered
        ]
        for q, url, search in refused:
            assert send_click(any_site, q, url, http, **search).status_code == 204
        counted = [("result", "/second", {"n": 2}), ("grouped", "/grouped", {"g": "extra"}),
                   ("private", "/private", {"g": "staff", "t": token})]
        for q, url, search in counted:
            assert send_click(any_site, q, url, http, **search).status_code == 204
        click_then_mark(any_site, "marker", "/marker", "/marker", http)
    assert clicks_by_url(any_site) == {"/second": 1, "/grouped": 1, "/private": 1,
                                       "/marker": 1}


def test_a_click_on_an_unknown_url_is_ignored(any_site: Site) -> None:
    any_site.add("/known", "Known title")
    click_then_mark(any_site, "known", "/not-a-title", "/known", marker_q="known")
    assert clicks_by_url(any_site) == {"/known": 1}


def test_a_click_may_come_as_a_beacon_or_a_form(any_site: Site) -> None:
    """sendBeacon sends a string as text/plain (no CORS preflight); forms also work."""
    any_site.add("/beacon", "Beacon title")
    any_site.add("/form", "Form title")
    any_site.server.settle()  # a click counts for what searches find
    body = f'{{"d": "{any_site.domain}", "q": "beacon", "url": "/beacon"}}'
    response = any_site.client.post("/v1/click", content=body,
                                    headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert response.status_code == 204, response.text
    response = any_site.client.post("/v1/click",
                                    data={"d": any_site.domain, "q": "form", "url": "/form"})
    assert response.status_code == 204, response.text
    wait_for(lambda: clicks_by_url(any_site) == {"/beacon": 1, "/form": 1}, "both clicks")
    preflight = any_site.client.options("/v1/click", headers={
        "Origin": "https://site.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()


@pytest.mark.parametrize(("body", "error"), [
    ({"q": "x", "url": "/a"}, "d: "),
    ({"d": "{domain}", "url": "/a"}, "q: "),
    ({"d": "{domain}", "q": "x"}, "url: "),
    ({"d": "{domain}", "q": "!!!", "url": "/a"}, "q: has no letters or digits"),
    ({"d": "{domain}", "q": "x", "url": "/a\x01"}, "url: "),
    ({"d": "unknown-domain.example", "q": "x", "url": "/a"}, "d: unknown domain"),
])
def test_a_bad_click_is_a_400_naming_the_field(any_site: Site, body: dict[str, str],
                                               error: str) -> None:
    sent = {name: value.replace("{domain}", any_site.domain) for name, value in body.items()}
    response = any_site.client.post("/v1/click", json=sent)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(error), response.text
    assert response.headers["access-control-allow-origin"] == "*"


def test_a_click_body_that_is_not_json_or_too_large_is_refused(any_site: Site) -> None:
    response = any_site.client.post("/v1/click", content=b"{not json",
                                    headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]
    response = any_site.client.post("/v1/click", json={
        "d": any_site.domain, "q": "x", "url": "/" + "a" * 70_000})
    assert response.status_code == 413


def order(site: Site, q: str, **params: object) -> list[str]:
    return site.urls(q, **params)


def test_clicks_lift_a_title_above_equally_and_slightly_more_popular_ones(any_site: Site
                                                                          ) -> None:
    any_site.bulk([{"url": "/first", "title": "Lift first"},
                   {"url": "/second", "title": "Lift second"}])
    assert order(any_site, "lift") == ["/first", "/second"]  # equals: written first wins
    assert send_click(any_site, "lift", "/second").status_code == 204
    wait_for(lambda: order(any_site, "lift") == ["/second", "/first"],
             "the clicked title to come first")
    # What a title keeps showing is the site's own popularity, not the ranking value.
    listed = any_site.client.get("/v1/documents", headers=any_site.auth,
                                 params={"url": "/second"}).json()
    assert listed["popularity"] == 0

    # 10 clicks beat titles up to 12.5% more popular, never 25% (README, "Click feedback").
    any_site.bulk([{"url": "/ten", "title": "Rise ten", "popularity": 10},
                   {"url": "/eleven", "title": "Rise eleven", "popularity": 11},
                   {"url": "/thirteen", "title": "Rise thirteen", "popularity": 13}])
    assert order(any_site, "rise") == ["/thirteen", "/eleven", "/ten"]
    for n in range(10):  # ten visitors: each click counts
        with from_address(any_site, 10 + n) as visitor:
            assert send_click(any_site, "rise", "/ten", visitor).status_code == 204
    wait_for(lambda: order(any_site, "rise") == ["/thirteen", "/ten", "/eleven"],
             "ten clicks to lift /ten above /eleven, not /thirteen")
    # Also where fewer are asked for: the engine's own order moved, not only the sort
    # of what it hands over.
    assert order(any_site, "rise", n=2) == ["/thirteen", "/ten"]
    # Sent again with a new popularity, a title keeps its clicks' lift.
    assert any_site.add("/ten", "Rise ten", popularity=10.5).status_code == 201
    assert order(any_site, "rise", n=2) == ["/thirteen", "/ten"]


# -- CLICK_RANKING=off: a server of its own on each setup ------------------------------


@pytest.fixture(scope="module", params=["embedded", pytest.param("scaled",
                                                                  marks=pytest.mark.scaled)])
def unranked_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                    ) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("unranked")
    if request.param == "embedded":
        live = start_server(tmp, CLICK_RANKING="off")
        yield live
        stop_server(live)
        return
    database_base, search_url = require_services()
    parts = new_parts(database_base, search_url)
    try:
        live = start_scaled_server(tmp, parts, CLICK_RANKING="off", SEARCH_TIMEOUT_SECONDS="10")
        yield live
        stop_server(live)
    finally:
        parts.drop_indexes()
        drop_database(parts.database_url, database_base)


def stored_clicks(server: LiveServer, domain: str, url: str) -> int:
    """The window clicks the last ranking refresh saw for a title, read from the store."""
    sql = ("SELECT d.clicks FROM documents d JOIN domains m ON m.id = d.domain_id"
           " WHERE m.name = {} AND d.url = {}")
    parts = getattr(server, "parts", None)
    if parts is None:
        with sqlite3.connect(Path(server.db_path)) as conn:
            return conn.execute(sql.format("?", "?"), (domain, url)).fetchone()[0]

    async def read() -> int:
        conn = await asyncpg.connect(parts.database_url)
        try:
            return await conn.fetchval(sql.format("$1", "$2"), domain, url)
        finally:
            await conn.close()

    return asyncio.run(read())


def test_click_ranking_off_counts_clicks_but_keeps_the_order(unranked_server: LiveServer
                                                             ) -> None:
    with httpx.Client(base_url=unranked_server.base_url, timeout=10) as http:
        site = new_site(unranked_server, http)
        site.bulk([{"url": "/first", "title": "Still first"},
                   {"url": "/second", "title": "Still second"}])
        assert order(site, "still") == ["/first", "/second"]
        for n in range(3):
            with from_address(site, 10 + n) as visitor:
                assert send_click(site, "still", "/second", visitor).status_code == 204
        wait_for(lambda: clicks_by_url(site) == {"/second": 3}, "the clicks in the stats")
        # The refresh has run (it saw the 3 clicks), and moved nothing.
        wait_for(lambda: stored_clicks(unranked_server, site.domain, "/second") == 3,
                 "the ranking refresh")
        assert order(site, "still") == ["/first", "/second"]


# -- the click window and the ranking constants, exactly (issue 25, audit) --------------


def delete_clicks(site: Site, *urls: str) -> None:
    for url in urls:
        store_rows(site.server, "DELETE FROM click_counts WHERE url = ? AND domain_id ="
                   " (SELECT id FROM domains WHERE name = ?)", url, site.domain)


def put_clicks_for_today(site: Site, clicks: dict[str, tuple[int, int]]) -> None:
    """Put ``clicks`` ({url: (days before the server's today, clicks)}) in the store and
    have a worker refresh the ranking, all on one server day: tried again if a UTC day
    ended meanwhile."""
    for _attempt in range(3):
        today = server_day(site)
        for url, (days_before, n) in clicks.items():
            put_clicks(site, url, today - timedelta(days=days_before), n)
        if server_day(site) == today:  # its click makes a worker refresh the ranking
            return
        delete_clicks(site, *clicks)
    raise AssertionError("the server's day kept changing")


def test_the_click_window_is_the_last_30_days_today_included(any_site: Site) -> None:
    """A click of today-29 counts, one of today-30 does not, both for the order and for
    the stats (the same window)."""
    # Titles of one length: ties go to the one written first.
    any_site.bulk([{"url": "/base", "title": "Edge aaa"}, {"url": "/in", "title": "Edge bbb"},
                   {"url": "/out", "title": "Edge ccc"}])
    assert order(any_site, "edge") == ["/base", "/in", "/out"]
    put_clicks_for_today(any_site, {"/in": (QUERY_RETENTION_DAYS - 1, 1),
                                    "/out": (QUERY_RETENTION_DAYS, 1)})
    # Counted, /out would come second: as lifted as /in, written after it.
    wait_for(lambda: order(any_site, "edge") == ["/in", "/base", "/out"],
             "the click of today-29 to lift /in, and the one of today-30 not /out")
    shown = clicks_by_url(any_site)
    assert shown["/in"] == 1
    assert "/out" not in shown


def test_clicks_lift_titles_by_exactly_the_click_boost_and_half(any_site: Site) -> None:
    """popularity + CLICK_BOOST x popularity x clicks / (clicks + CLICK_HALF) with 0.25 and
    10: each clicked title lands between two unclicked ones within a point, so a
    change of either constant (0.2 or 0.3, 9 or 11) puts one out of place."""
    titles = {  # url: (popularity, clicks) -> ranking value
        "/u": (119, 0),  # 119
        "/v": (100, 30),  # 100 + 25 x 30/40 = 118.75
        "/w": (118, 0),  # 118
        "/z": (113, 0),  # 113
        "/x": (100, 10),  # 100 + 25 x 10/20 = 112.5
        "/y": (112, 0),  # 112
    }
    # Written in reverse, so that an order by writing or by popularity alone is wrong.
    any_site.bulk([{"url": url, "title": f"Exact {url[1]}", "popularity": popularity}
                   for url, (popularity, _clicks) in reversed(titles.items())])
    assert order(any_site, "exact") == ["/u", "/w", "/z", "/y", "/x", "/v"]
    put_clicks_for_today(any_site, {url: (3, clicks)
                                    for url, (_p, clicks) in titles.items() if clicks})
    wait_for(lambda: order(any_site, "exact") == list(titles),
             f"the order {list(titles)}")


# -- query analytics against a flood (issue 25, item 9) ---------------------------------


def test_a_query_searched_often_stays_in_the_top_queries_past_a_flood_of_junk(
        any_site: Site) -> None:
    """1,100 distinct junk searches once filled the day's 1,000 query rows, and a real
    query searched 30 times after them was never shown."""
    any_site.add("/real", "Real query page")
    for n in range(1_100):
        assert any_site.client.get("/v1", params={"d": any_site.domain,
                                                  "q": f"junk{n}"}).status_code == 200
    for _ in range(30):
        assert any_site.search("real query").status_code == 200

    def real_on_top() -> bool:  # every request counted: one visitor's intents would not
        top = stats(any_site)["searches"]["top_queries"]
        return bool(top) and top[0]["q"] == "real query" and top[0]["count"] >= 30

    wait_for(real_on_top, "the real query at the top of the top queries")
