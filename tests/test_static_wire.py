"""The widget on the wire (app/http/static_files.py): the checked-in minified build, gzipped,
under a content-hashed name cached for a year; every static file answers HEAD like GET."""

import gzip
import hashlib
import re
from pathlib import Path

import httpx
import pytest
from live import LiveServer

from app.http.static_files import hashed_widget_url, page_with_hashed_widget

STATIC = Path(__file__).resolve().parent.parent / "static"
BUILD = (STATIC / "autocompeter.min.js").read_bytes()
HASHED = re.compile(r'src="(/static/autocompeter\.[0-9a-f]{10}\.min\.js)"')
GZIP = {"Accept-Encoding": "gzip"}


def raw_get(server: LiveServer, path: str, **headers: str) -> httpx.Response:
    """The response as sent: httpx does not ask for or decode any encoding here."""
    with httpx.Client(base_url=server.base_url, headers={"Accept-Encoding": "identity"}) as c:
        return c.get(path, headers=headers)


def wire_bytes(server: LiveServer, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent (httpx's .content would be decoded)."""
    with httpx.Client(base_url=server.base_url) as c:
        request = c.build_request("GET", path, headers={"Accept-Encoding": "identity", **headers})
        response = c.send(request, stream=True)
        try:
            return response, b"".join(response.iter_raw())
        finally:
            response.close()


def test_the_lean_widget_goes_gzipped_under_4_kb(server: LiveServer):
    response, sent = wire_bytes(server, "/static/autocompeter.min.js", **GZIP)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(sent) <= 4096, f"{len(sent)} bytes on the wire"
    assert gzip.decompress(sent) == BUILD
    # The stable name: browsers check it again on use (a 304 when unchanged).
    assert response.headers["cache-control"] == "no-cache"
    again = raw_get(server, "/static/autocompeter.min.js",
                    **GZIP, **{"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_without_gzip_asked_the_plain_build_goes(server: LiveServer):
    response, sent = wire_bytes(server, "/static/autocompeter.min.js")
    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"
    assert sent == BUILD
    refused, sent = wire_bytes(server, "/static/autocompeter.min.js",
                               **{"Accept-Encoding": "br, gzip;q=0"})
    assert "content-encoding" not in refused.headers and sent == BUILD


def test_the_services_pages_load_the_widget_by_its_hash_cached_for_a_year(server: LiveServer):
    (url,) = HASHED.findall(raw_get(server, "/dashboard").text)
    assert url == f"/static/autocompeter.{hashlib.sha256(BUILD).hexdigest()[:10]}.min.js"
    response, sent = wire_bytes(server, url, **GZIP)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(sent) == BUILD


def test_an_older_hash_still_gets_the_widget_but_not_for_a_year(server: LiveServer):
    response = raw_get(server, "/static/autocompeter.0123456789.min.js")
    assert response.status_code == 200
    assert response.content == BUILD
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("name", ["autocompeter.js", "autocompeter.min.js", "autocompeter.css",
                                  "dashboard.html"])
def test_head_answers_like_get_without_the_body(server: LiveServer, name: str):
    with httpx.Client(base_url=server.base_url, headers=GZIP) as c:
        got = c.get(f"/static/{name}")
        head = c.head(f"/static/{name}")
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    for header in ("content-type", "content-length", "content-encoding", "etag",
                   "last-modified", "cache-control", "vary"):
        assert head.headers.get(header) == got.headers.get(header), header


def test_the_readable_widget_is_still_served_for_old_snippets(server: LiveServer):
    response = httpx.get(f"{server.base_url}/static/autocompeter.js")
    assert response.status_code == 200
    assert response.content == (STATIC / "autocompeter.js").read_bytes()
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["etag"]


@pytest.mark.parametrize("page", ["demo.html", "dashboard.html"])
def test_both_pages_name_the_widget_so_it_can_be_swapped_for_its_hash(page: str):
    # `/` serves demo.html only once the demo is loaded; the swap is the same for both.
    served = page_with_hashed_widget(STATIC, page)
    assert HASHED.findall(served) == [hashed_widget_url(STATIC)]
    assert 'src="/static/autocompeter.js"' not in served
