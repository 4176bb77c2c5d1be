"""Limits, headers and logs that make the service safe to expose."""

import json

import httpx
import pytest
from live import start_server, stop_server


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("limited"), workers=1,
                          SEARCH_RATE_LIMIT="5/second", WRITE_RATE_LIMIT="3/minute",
                          LOG_FORMAT="json")
    yield server
    stop_server(server)


def test_searches_beyond_the_limit_get_429_with_retry_after(limited):
    key = limited.create_key("busy.example")
    with httpx.Client(base_url=limited.base_url) as http:
        http.post("/v1", headers={"Auth-Key": key}, json={"url": "/", "title": "Busy"})
        statuses = [http.get("/v1", params={"d": "busy.example", "q": "busy"})
                    for _ in range(8)]
    limited_ones = [r for r in statuses if r.status_code == 429]
    assert limited_ones, [r.status_code for r in statuses]
    assert 1 <= int(limited_ones[0].headers["retry-after"]) <= 1
    assert "too many searches" in limited_ones[0].json()["error"]


def test_writes_beyond_the_limit_get_429_and_store_nothing(limited):
    key = limited.create_key("writer.example")
    with httpx.Client(base_url=limited.base_url) as http:
        statuses = [http.post("/v1", headers={"Auth-Key": key},
                              json={"url": f"/{i}", "title": f"Write {i}"}).status_code
                    for i in range(5)]
        assert statuses == [201, 201, 201, 429, 429]
    # /v1/stats is keyed too, so read the file: two writes were refused, none stored.
    import sqlite3

    conn = sqlite3.connect(limited.db_path)
    (count,) = conn.execute("SELECT count(*) FROM documents WHERE url IN ('/3', '/4')").fetchone()
    assert count == 0


def test_json_access_log_has_the_request_id_and_never_the_key(limited):
    key = limited.create_key("logged.example")
    with httpx.Client(base_url=limited.base_url) as http:
        response = http.post("/v1", headers={"Auth-Key": key},
                             json={"url": "/log", "title": "Logged"})
    request_id = response.headers["x-request-id"]
    entries = [json.loads(line) for line in limited.log().splitlines() if line.startswith("{")]
    mine = [e for e in entries if e.get("request_id") == request_id]
    assert mine and mine[0]["path"] == "/v1" and mine[0]["status"] == 201
    assert key not in limited.log()


def test_html_gets_a_content_security_policy(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_cors_is_open_only_on_public_endpoints(site):
    site.add("/c", "Cors check")
    assert site.search("cors").headers["access-control-allow-origin"] == "*"
    write = site.client.post("/v1", headers=site.auth, json={"url": "/d", "title": "No cors"})
    assert "access-control-allow-origin" not in write.headers
    stats = site.client.get("/v1/stats", headers=site.auth)
    assert "access-control-allow-origin" not in stats.headers
    assert stats.headers["x-content-type-options"] == "nosniff"


def test_an_unexpected_error_is_a_json_500_with_a_request_id_and_no_sql(tmp_path):
    # A real fault, not a fake: the table the stats read is dropped behind the
    # server's back, as a botched manual migration would.
    import sqlite3

    server = start_server(tmp_path, workers=1)
    try:
        key = server.create_key("broken.example")
        conn = sqlite3.connect(server.db_path)
        conn.execute("DROP TABLE fetches")
        conn.commit()
        conn.close()
        with httpx.Client(base_url=server.base_url) as http:
            response = http.get("/v1/stats", headers={"Auth-Key": key})
        assert response.status_code == 500
        body = response.json()
        assert body["request_id"] == response.headers["x-request-id"]
        assert "fetches" not in response.text and "sqlite" not in response.text.lower()
        assert "Traceback" not in response.text
        assert body["request_id"] in server.log()
    finally:
        stop_server(server)


def test_every_answer_names_its_request_even_without_the_access_log(tmp_path):
    server = start_server(tmp_path, workers=1, ACCESS_LOG="false")
    try:
        with httpx.Client(base_url=server.base_url) as http:
            answers = [http.get("/v1/ping"), http.get("/no/such/page"),
                       http.post("/v1", json={"url": "/", "title": "t"})]
        ids = [answer.headers.get("x-request-id") for answer in answers]
        assert all(ids) and len(set(ids)) == 3, ids
    finally:
        stop_server(server)
