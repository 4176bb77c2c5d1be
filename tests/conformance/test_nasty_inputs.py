"""Hostile and odd input through every endpoint: a clear 4xx or a correct 2xx, never 5xx,
and what was stored before is still there, unchanged."""

import json

import pytest

NASTY_QUERIES = [
    '"', '""', "*", "a*", "AND", "OR NOT", "NEAR(a b)", "title:x", "\\", "(", ")", "^a",
    "{a b}", "a:b:c", "+-&&||!(){}[]^\"~*?:\\/", "\u202eevil\u202c", "zero\u200bwidth",
    "\u200b", "\U0001f600", "ﷺ", "x" * 200, "%00", "' OR 1=1 --", "<script>",
]

NASTY_BODIES = [
    (b"\xff\xfe\xfd", "application/json"),
    (b'{"url": "/u", "title": "\xff"}', "application/json"),
    (b'{"url": "/u", "title": "nul\\u0000"}', "application/json"),
    (b"[" * 100_000, "application/json"),
    (json.dumps({"url": "/u", "title": "x" * 1_000_000}).encode(), "application/json"),
    (b'{"url": "/u", "title": "t", "popularity": NaN}', "application/json"),
    (b'{"url": "/u", "title": "t", "popularity": 1e309}', "application/json"),
    (b'{"url": "/u", "title": "t", "popularity": "1e309"}', "application/json"),
    (b'{"url": {"$gt": ""}, "title": "t"}', "application/json"),
    (b"url=%2Fu&title=%00", "application/x-www-form-urlencoded"),
    (b"url=%2Fu&title=%FF%FE", "application/x-www-form-urlencoded"),
    (b"<xml/>", "text/xml"),
    (b"", "application/octet-stream"),
    (b"null", "application/json"),
    (b'"just a string"', "application/json"),
    # DEL and C1 controls are control characters too (U+0085 is NEL, U+009B CSI).
    (b'{"url": "/u", "title": "del\\u007f"}', "application/json"),
    (b'{"url": "/u", "title": "ne\\u0085l"}', "application/json"),
    (b'{"url": "/u", "title": "csi\\u009b[2J"}', "application/json"),
    # g= splits on commas: a group with one could never be searched.
    (b'{"url": "/u", "title": "t", "group": "a,b"}', "application/json"),
]


@pytest.fixture
def seeded(any_site):
    any_site.bulk([{"url": "/keep", "title": "Keep me safe", "popularity": 5}])
    return any_site


def assert_unchanged(site) -> None:
    assert site.search("keep safe").json()["results"] == [["/keep", "Keep me safe"]]
    stats = site.client.get("/v1/stats", headers=site.auth).json()
    assert stats["documents"] == 1


def assert_clear(response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert isinstance(response.json()["error"], str) and response.json()["error"]


def test_nasty_queries_answer_200_or_a_clear_400(seeded):
    for q in NASTY_QUERIES:
        response = seeded.client.get("/v1", params={"d": seeded.domain, "q": q})
        assert_clear(response)
        assert response.status_code in (200, 400), (q, response.text)
        if response.status_code == 200:
            assert all(url == "/keep" for url, _ in response.json()["results"]), q
    assert_unchanged(seeded)


@pytest.mark.parametrize("path", ["/v1", "/v1/bulk"])
def test_nasty_bodies_are_refused_and_change_nothing(seeded, path):
    for body, content_type in NASTY_BODIES:
        response = seeded.client.post(path, content=body,
                                      headers={**seeded.auth, "content-type": content_type})
        assert_clear(response)
        assert response.status_code >= 400, (body[:60], response.text)
    assert_unchanged(seeded)


def test_nasty_but_valid_titles_are_stored_exactly(seeded):
    titles = ["\u202eRTL override\u202c text", "zero\u200bwidth joiner", "Emoji 🎉 party",
              "<img src=x onerror=alert(1)>", "Robert'); DROP TABLE documents;--"]
    response = seeded.bulk([{"url": f"/n{i}", "title": t} for i, t in enumerate(titles)])
    assert response.json()["count"] == len(titles)
    assert seeded.search("emoji").json()["results"] == [["/n2", "Emoji 🎉 party"]]
    assert seeded.search("drop table").json()["results"] == [
        ["/n4", "Robert'); DROP TABLE documents;--"]]
    assert seeded.search("img onerror").json()["results"] == [
        ["/n3", "<img src=x onerror=alert(1)>"]]


def test_duplicate_urls_inside_one_bulk_keep_the_last(seeded):
    seeded.bulk([{"url": "/dup", "title": "First dup"}, {"url": "/dup", "title": "Second dup"}])
    assert seeded.search("dup").json()["results"] == [["/dup", "Second dup"]]


def test_nasty_delete_urls_change_nothing(seeded):
    for url in ["%", "*", "' OR '1'='1", "/keep%00", "/KEEP", " /keep"[:0] or "\u200b/keep"]:
        response = seeded.client.delete("/v1", params={"url": url}, headers=seeded.auth)
        assert_clear(response)
        assert response.status_code in (400, 404), (url, response.text)
    assert_unchanged(seeded)


def test_huge_and_odd_headers_are_refused_cleanly(seeded):
    response = seeded.client.get("/v1", params={"d": seeded.domain, "q": "keep"},
                                 headers={"X-Padding": "x" * 20_000})
    assert response.status_code in (200, 400, 413, 431)
    response = seeded.client.post("/v1", json={"url": "/k", "title": "t"},
                                  headers={"Auth-Key": "é".encode()})
    assert_clear(response)
    assert response.status_code == 403
    assert_unchanged(seeded)
