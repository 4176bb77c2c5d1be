"""Click feedback on every setup: POST /v1/click counts a visitor's chosen result once a
minute, moves clicked titles up within their tier, and shows in /v1/stats (issue 15, 2)."""

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from live import LiveServer, Site, new_site, start_scaled_server, start_server, stop_server
from scaled_setup.support import drop_database, new_parts, require_services

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


def send_click(site: Site, q: str, url: str, http: httpx.Client | None = None
               ) -> httpx.Response:
    return (http or site.client).post("/v1/click", json={"d": site.domain, "q": q, "url": url})


def stats(site: Site) -> dict[str, Any]:
    response = site.client.get("/v1/stats", headers=site.auth)
    assert response.status_code == 200, response.text
    return response.json()


def clicks_by_url(site: Site) -> dict[str, int]:
    return {entry["url"]: entry["clicks"] for entry in stats(site)["top_clicks"]}


def click_then_mark(site: Site, q: str, url: str, marker: str) -> None:
    """A click, then a click on ``marker`` over the same connection (so the same worker,
    which writes its waiting clicks in one transaction): once the marker's click is
    counted, the first click has been written, or refused, too."""
    with httpx.Client(base_url=site.server.base_url, timeout=10) as http:
        assert send_click(site, q, url, http).status_code == 204
        assert send_click(site, f"marker {uuid.uuid4().hex[:8]}", marker, http
                          ).status_code == 204


def test_a_click_counts_once_a_minute_whichever_worker_takes_it(any_site: Site) -> None:
    any_site.bulk([{"url": "/chosen", "title": "Chosen title"},
                   {"url": "/marker", "title": "Marker title"}])
    assert any_site.search("chosen").status_code == 200
    response = send_click(any_site, "Chosen", "/chosen")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.content == b""
    # The same click again, each over a new connection (so on either worker).
    repeats = 4
    for _ in range(repeats):
        click_then_mark(any_site, "chosen", "/chosen", "/marker")
    counted = wait_for(lambda: (c := clicks_by_url(any_site)).get("/marker") == repeats and c,
                       "the marker clicks to be counted")
    assert counted["/chosen"] == 1
    assert stats(any_site)["top_clicks"][-1] == {"url": "/chosen", "title": "Chosen title",
                                                 "clicks": 1}
    # One search of "chosen", one click on its results: a click-through rate of 1.
    top = {entry["q"]: entry for entry in stats(any_site)["top_queries"]}
    assert top["chosen"] == {"q": "chosen", "count": 1, "clicks": 1, "click_through": 1.0}


def test_a_click_on_an_unknown_url_is_ignored(any_site: Site) -> None:
    any_site.add("/known", "Known title")
    click_then_mark(any_site, "known", "/not-a-title", "/known")
    wait_for(lambda: clicks_by_url(any_site).get("/known") == 1, "the known click")
    assert clicks_by_url(any_site) == {"/known": 1}


def test_a_click_may_come_as_a_beacon_or_a_form(any_site: Site) -> None:
    """sendBeacon sends a string as text/plain (no CORS preflight); forms also work."""
    any_site.add("/beacon", "Beacon title")
    any_site.add("/form", "Form title")
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
    for n in range(10):  # distinct queries: each click counts
        assert send_click(any_site, f"rise {n}", "/ten").status_code == 204
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
            assert send_click(site, f"still {n}", "/second").status_code == 204
        wait_for(lambda: clicks_by_url(site) == {"/second": 3}, "the clicks in the stats")
        # The refresh has run (it saw the 3 clicks), and moved nothing.
        wait_for(lambda: stored_clicks(unranked_server, site.domain, "/second") == 3,
                 "the ranking refresh")
        assert order(site, "still") == ["/first", "/second"]
