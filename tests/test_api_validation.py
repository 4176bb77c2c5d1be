"""Bad input gets a clear 4xx JSON error naming the problem, and changes nothing."""

import json

import pytest


def error_of(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()["error"]


# -- search ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, names",
    [
        ({"q": "x"}, "d"),
        ({"d": "DOMAIN"}, "q"),
        ({"d": "DOMAIN", "q": "   "}, "q"),
        ({"d": "DOMAIN", "q": "x" * 201}, "q"),
        ({"d": "DOMAIN", "q": "x", "n": "0"}, "n"),
        ({"d": "DOMAIN", "q": "x", "n": "101"}, "n"),
        ({"d": "DOMAIN", "q": "x", "n": "ten"}, "n"),
        ({"d": "DOMAIN", "q": "?!…"}, "q"),
        ({"d": "no-such-domain.example", "q": "x"}, "d"),
        ({"d": "under_score.example", "q": "x"}, "d"),
        ({"d": "a..b", "q": "x"}, "d"),
        ({"d": "x" * 254, "q": "x"}, "d"),
    ],
)
def test_bad_searches_are_400_naming_the_parameter(site, params, names):
    params = {k: v.replace("DOMAIN", site.domain) for k, v in params.items()}
    message = error_of(site.client.get("/v1", params=params), 400)
    assert message.startswith(f"{names}:"), message


def test_a_domain_is_found_however_it_is_spelled(site):
    site.add("/a", "Spelled")
    for spelling in (site.domain.upper(), f"{site.domain}.", f" {site.domain} "):
        response = site.client.get("/v1", params={"d": spelling, "q": "spelled"})
        assert response.json()["results"] == [["/a", "Spelled"]], spelling


def test_search_answers_cors_for_any_origin(site):
    site.add("/a", "Anything")
    response = site.search("any")
    assert response.headers["access-control-allow-origin"] == "*"


def test_unknown_path_is_a_json_404(client):
    assert error_of(client.get("/v2/nothing"), 404)


# -- adding one document ----------------------------------------------------------


def test_post_accepts_form_fields_like_the_original(site):
    response = site.client.post(
        "/v1", data={"url": "/f", "title": "Form title", "popularity": "7", "group": ""},
        headers=site.auth,
    )
    assert response.status_code == 201
    assert response.json() == {"message": "OK"}
    assert site.urls("form") == ["/f"]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"url": "/x"}, "title"),
        ({"title": "No url"}, "url"),
        ({"url": "/x", "title": "   "}, "title"),
        ({"url": "/x", "title": "t" * 501}, "title"),
        ({"url": "/" + "u" * 2048, "title": "Long url"}, "url"),
        ({"url": "/x", "title": "Group", "group": "g" * 101}, "group"),
        ({"url": "/x", "title": "Nan", "popularity": "NaN"}, "popularity"),
        ({"url": "/x", "title": "Inf", "popularity": "inf"}, "popularity"),
        ({"url": "/x", "title": "Word", "popularity": "lots"}, "popularity"),
        ({"url": "/x", "title": "Bool", "popularity": False}, "popularity"),
        ({"url": "/x", "title": "Nul\x00byte"}, "title"),
        ({"url": "/x", "title": "Del\x7f"}, "title"),
        ({"url": "/x", "title": "Next\x85line"}, "title"),
        ({"url": "/x", "title": "Csi\x9b[2J"}, "title"),
        ({"url": "/x", "title": "Comma", "group": "news,sport"}, "group"),
        ({"url": "/x", "title": ["a", "list"]}, "title"),
    ],
)
def test_invalid_document_is_rejected_naming_the_field(site, fields, field):
    message = error_of(site.client.post("/v1", json=fields, headers=site.auth), 400)
    assert message.startswith(f"{field}:"), message
    assert count(site) == 0


BAD_URLS = ["notaurl", "example.com/page", "//other.example/page", "ftp://example.com/f",
            "javascript:alert(1)", "https://", "mailto:me@example.com"]
GOOD_URLS = ["/page", "/", "https://example.com/a?b=c#d", "HTTP://EXAMPLE.COM/"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_url_that_is_no_link_is_400_naming_the_field(site, url):
    message = error_of(site.add(url, "Some title"), 400)
    assert message.startswith("url: must be an http(s) URL or a path starting with /"), message
    form = site.client.post("/v1", data={"url": url, "title": "Form"}, headers=site.auth)
    assert error_of(form, 400).startswith("url:")
    assert count(site) == 0


def test_bulk_rejects_each_entry_whose_url_is_no_link(site):
    response = site.bulk([{"url": url, "title": f"Title {i}"}
                          for i, url in enumerate(BAD_URLS + GOOD_URLS)])
    assert response.status_code == 201, response.text
    rejected = response.json()["rejected"]
    assert [r["index"] for r in rejected] == list(range(len(BAD_URLS)))
    assert all(r["error"].startswith("url: ") for r in rejected)
    assert count(site) == len(GOOD_URLS)


# Browsers drop tabs and newlines anywhere in a URL and read a backslash as a slash:
# each of these is a link to //evil.example/x, another host (issue 25, 12).
OTHER_HOST_PATHS = ["/\\evil.example/x", "/\t/evil.example/x", "/\n/evil.example/x",
                    "/\r\n/evil.example/x", "/\\\\evil.example/x", "/\t\\evil.example/x",
                    "/\\\t\n\\evil.example/x", "\\/evil.example/x"]
# ...while these stay on the site: the browser reads /a/b, /x/y and /a//b.
OWN_SITE_PATHS = ["/a\\b", "/x\t/y", "/a\\\\b"]


@pytest.mark.parametrize("url", OTHER_HOST_PATHS)
def test_a_path_that_browsers_read_as_another_host_is_400(site, url):
    message = error_of(site.add(url, "Elsewhere"), 400)
    assert message.startswith("url: must be an http(s) URL or a path starting with /"), message
    form = site.client.post("/v1", data={"url": url, "title": "Form"}, headers=site.auth)
    assert error_of(form, 400).startswith("url:")
    assert count(site) == 0


def test_a_bulk_lists_each_path_to_another_host_and_keeps_own_site_paths(site):
    response = site.bulk([{"url": url, "title": f"Title {n}"}
                          for n, url in enumerate(OTHER_HOST_PATHS + OWN_SITE_PATHS)])
    assert response.status_code == 201, response.text
    rejected = response.json()["rejected"]
    assert [entry["index"] for entry in rejected] == list(range(len(OTHER_HOST_PATHS)))
    assert all(entry["error"].startswith("url: ") for entry in rejected), rejected
    assert count(site) == len(OWN_SITE_PATHS)


def test_popularity_beyond_float_range_is_rejected(site):
    body = b'{"url": "/x", "title": "Huge", "popularity": 1e309}'
    response = site.client.post(
        "/v1", content=body, headers={**site.auth, "content-type": "application/json"})
    assert response.status_code == 400
    assert count(site) == 0


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"\xff\xfe\x00garbage", "application/json", 400),
        (b"[" * 5000 + b"]" * 5000, "application/json", 400),
        (b"<doc/>", "application/xml", 415),
    ],
)
def test_malformed_bodies_are_4xx(site, body, content_type, status):
    response = site.client.post("/v1", content=body,
                                headers={**site.auth, "content-type": content_type})
    error_of(response, status)
    assert count(site) == 0


def test_body_over_the_size_limit_is_413(site):
    # The test server runs with MAX_BODY_BYTES = 2 MiB.
    body = json.dumps({"url": "/big", "title": "x" * (3 * 1024 * 1024)})
    response = site.client.post("/v1", content=body,
                                headers={**site.auth, "content-type": "application/json"})
    error_of(response, 413)


# -- auth ----------------------------------------------------------------------


def test_missing_key_is_401_and_unknown_key_is_403(client):
    assert "Auth-Key" in error_of(client.post("/v1", json={"url": "/", "title": "t"}), 401)
    response = client.post("/v1", json={"url": "/", "title": "t"},
                           headers={"Auth-Key": "not-a-key-at-all"})
    message = error_of(response, 403)
    assert "not-a-key-at-all" not in message


@pytest.mark.parametrize(
    "method, path",
    [("POST", "/v1"), ("DELETE", "/v1?url=/x"), ("POST", "/v1/bulk"), ("PUT", "/v1/bulk"),
     ("DELETE", "/v1/flush"), ("POST", "/v1/flush"), ("GET", "/v1/stats")],
)
def test_every_keyed_endpoint_needs_a_key(client, method, path):
    error_of(client.request(method, path), 401)


def test_a_key_only_reaches_its_own_domain(site, other_site):
    other_site.add("/same-url", "Theirs")
    site.add("/same-url", "Mine")
    # Deleting, re-posting and flushing with my key touch only my domain.
    site.client.delete("/v1", params={"url": "/same-url"}, headers=site.auth)
    site.client.delete("/v1/flush", headers=site.auth)
    assert other_site.urls("theirs") == ["/same-url"]
    assert count(other_site) == 1
    assert error_of(site.client.delete("/v1", params={"url": "/same-url"},
                                       headers=site.auth), 404)
    stats = site.client.get("/v1/stats", headers=site.auth).json()
    assert stats["documents"] == 0


# -- delete, bulk, flush, stats --------------------------------------------------------


def test_delete_of_an_unknown_url_is_404_and_without_url_400(site):
    error_of(site.client.delete("/v1", params={"url": "/nope"}, headers=site.auth), 404)
    error_of(site.client.delete("/v1", headers=site.auth), 400)


def test_bulk_stores_valid_entries_and_reports_invalid_ones_by_position(site):
    response = site.bulk([
        {"url": "/1", "title": "First"},
        {"url": "/2", "title": ""},
        "not an object",
        {"url": "/4", "title": "Fourth", "popularity": 4, "group": "g"},
    ])
    assert response.status_code == 201
    body = response.json()
    assert body["count"] == 2
    assert [r["index"] for r in body["rejected"]] == [1, 2]
    assert body["rejected"][0]["error"].startswith("title:")
    assert body["rejected"][1]["error"].startswith("document:")
    assert count(site) == 2


def test_bulk_of_only_invalid_entries_is_400_and_stores_nothing(site):
    response = site.bulk([{"url": "/1"}, {"title": "No url"}])
    assert error_of(response, 400).startswith("documents:")
    assert [r["index"] for r in response.json()["rejected"]] == [0, 1]
    assert count(site) == 0


def test_bulk_without_a_documents_list_is_400(site):
    response = site.client.post("/v1/bulk", json={"items": []}, headers=site.auth)
    assert error_of(response, 400).startswith("documents:")


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded",
                                          "text/plain", "application/octet-stream"])
@pytest.mark.parametrize("path", ["/v1/bulk", "/v1"])
def test_a_json_body_is_read_as_json_whatever_its_content_type(site, content_type, path):
    # What `curl -d '{...}'` sends: JSON labelled as a form.
    document = {"url": "/plain", "title": "Sent as plain JSON"}
    body = json.dumps({"documents": [document]} if path == "/v1/bulk" else document)
    headers = {**site.auth, **({"content-type": content_type} if content_type else {})}
    response = site.client.post(path, content=" \n" + body, headers=headers)
    assert response.status_code == 201, response.text
    assert site.urls("plain json") == ["/plain"]


def test_a_real_form_is_still_read_as_fields(site):
    response = site.client.post("/v1", content="url=%2Fform&title=%7BBraces%7D+title",
                                headers={**site.auth,
                                         "content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 201, response.text
    assert site.search("braces").json()["results"] == [["/form", "{Braces} title"]]


def test_bulk_over_the_document_limit_is_413_and_stores_nothing(site):
    documents = [{"url": f"/{i}", "title": "t"} for i in range(10_001)]
    error_of(site.bulk(documents), 413)
    assert count(site) == 0


def test_bulk_put_works_and_a_repeated_url_keeps_the_last(site):
    response = site.client.put(
        "/v1/bulk",
        json={"documents": [{"url": "/d", "title": "Draft"}, {"url": "/d", "title": "Final"}]},
        headers=site.auth,
    )
    assert response.status_code == 201
    assert count(site) == 1
    assert site.search("final").json()["results"] == [["/d", "Final"]]


def test_flush_also_answers_post(site):
    site.add("/a", "Gone soon")
    response = site.client.post("/v1/flush", headers=site.auth)
    assert response.json() == {"message": "OK", "count": 1}
    assert count(site) == 0


def test_stats_count_searches_per_month_and_documents(site):
    import datetime
    import time

    site.add("/a", "Counted")
    for _ in range(5):
        site.search("count")
    now = datetime.datetime.now(datetime.UTC)
    deadline = time.monotonic() + 5
    while True:  # other workers flush their counters every 0.2 s in tests
        stats = site.client.get("/v1/stats", headers=site.auth).json()
        seen = stats["fetches"].get(str(now.year), {}).get(str(now.month), 0)
        if seen == 5 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    # top_queries counts intents, seconds after a burst ends (tests/conformance/
    # test_intents.py); every request counts under "searches" at once.
    assert stats.pop("top_queries") in ([], [{"q": "count", "count": 1, "clicks": 0,
                                              "click_through": 0.0}])
    assert stats == {"fetches": {str(now.year): {str(now.month): 5}}, "documents": 1,
                     "top_misses": [], "top_clicks": [],
                     "searches": {"top_queries": [{"q": "count", "count": 5}],
                                  "top_misses": []}}


def count(site) -> int:
    return site.client.get("/v1/stats", headers=site.auth).json()["documents"]
