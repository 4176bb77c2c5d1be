"""Bodies are read after the key is checked, never beyond what a route takes, and a
refusal reaches even a client that writes its whole body before reading."""

import gzip
import json
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

MIB = 1024 * 1024  # the test server runs with MAX_BODY_BYTES = 2 MiB


def raw_exchange(base_url: str, head: str) -> bytes:
    """Send only the request head and read what comes back before any body is sent."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=15) as sock:
        sock.sendall(head.encode())
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


def head(method: str, path: str, key: str, length: int, *extra: str) -> str:
    lines = [f"{method} {path} HTTP/1.1", "Host: test", f"Auth-Key: {key}",
             "Content-Type: application/json", f"Content-Length: {length}", *extra]
    return "\r\n".join(lines) + "\r\n\r\n"


def test_a_bad_key_is_refused_before_the_body_arrives(server):
    answer = raw_exchange(server.base_url, head("POST", "/v1/bulk", "wrong", 15 * MIB // 10))
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]


def test_expect_continue_with_a_bad_key_gets_the_refusal_not_100(server):
    answer = raw_exchange(server.base_url, head("POST", "/v1", "wrong", 100_000,
                                                "Expect: 100-continue"))
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]


def test_expect_continue_with_a_good_key_still_gets_100(site, server):
    answer = raw_exchange(server.base_url, head("POST", "/v1", site.key, 40,
                                                "Expect: 100-continue"))
    assert answer.startswith(b"HTTP/1.1 100"), answer[:200]


def urllib_status(request: urllib.request.Request) -> tuple[int, dict]:
    """What Python's urllib, which sends the whole body before reading, gets back."""
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_search_with_a_body_is_413(site):
    site.add("/a", "Searchable")
    url = f"{site.server.base_url}/v1?d={site.domain}&q=searchable"
    status, body = urllib_status(urllib.request.Request(url, data=b"x" * (2 * 10**6),
                                                        method="GET"))
    assert status == 413
    assert body["error"].startswith("body: this endpoint takes no body")


@pytest.mark.parametrize("size", [3 * MIB, 2 * MIB + 1])
def test_a_body_over_the_limit_is_a_413_a_whole_body_writer_can_read(site, size):
    request = urllib.request.Request(
        f"{site.server.base_url}/v1", data=b"{" + b" " * (size - 2) + b"}", method="POST",
        headers={**site.auth, "Content-Type": "application/json"})
    status, body = urllib_status(request)
    assert status == 413
    assert body["error"].startswith("body: larger than")


def test_a_bad_key_with_a_large_body_is_a_403_a_whole_body_writer_can_read(server):
    request = urllib.request.Request(
        f"{server.base_url}/v1/bulk", data=b"{" + b" " * MIB + b"}", method="POST",
        headers={"Auth-Key": "wrong", "Content-Type": "application/json"})
    assert urllib_status(request)[0] == 403


def test_keyed_routes_without_a_body_refuse_a_large_one(site):
    response = site.client.request("DELETE", "/v1/flush", headers=site.auth,
                                   content=b"x" * 5000)
    assert response.status_code == 413
    assert site.add("/kept", "Still there").status_code == 201
    assert site.urls("still") == ["/kept"]


def test_a_compressed_body_is_415_naming_the_encoding(site):
    body = gzip.compress(b'{"url": "/z", "title": "Zipped"}')
    response = site.client.post("/v1", content=body, headers={
        **site.auth, "Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert response.status_code == 415
    assert response.json()["error"].startswith("Content-Encoding: 'gzip'")


def test_multipart_with_an_unknown_charset_is_400_naming_it(site):
    body = (b'--XX\r\nContent-Disposition: form-data; name="url"\r\n\r\n/m\r\n'
            b'--XX\r\nContent-Disposition: form-data; name="title"\r\n\r\nMulti\r\n--XX--\r\n')
    response = site.client.post("/v1", content=body, headers={
        **site.auth, "Content-Type": "multipart/form-data; boundary=XX; charset=klingon"})
    assert response.status_code == 400
    assert response.json()["error"] == "Content-Type: unknown charset 'klingon'"
