"""What an outside attacker or a clumsy client can do at the HTTP level (issue 12):
disconnects, odd static paths, forged request ids, HEAD, and JSON logs throughout."""

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from live import LiveServer, start_server, stop_server
from prometheus_client.parser import text_string_to_metric_families


@pytest.fixture(scope="module")
def json_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("json-logs"), LOG_FORMAT="json")
    yield server
    stop_server(server)


def requests_counted(server: LiveServer, endpoint: str, status: str) -> float:
    text = httpx.get(f"{server.base_url}/metrics").text
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples
               if sample.name == "autocompeter_http_requests_total"
               and sample.labels.get("endpoint") == endpoint
               and sample.labels.get("status") == status)


def read_head(sock: socket.socket) -> bytes:
    """What the server sent up to the end of a status line and its headers."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(1024)
        assert chunk, f"the server closed the connection after {received!r}"
        received += chunk
    return received


def test_a_client_that_hangs_up_mid_body_is_a_499_not_an_error(json_server):
    key = json_server.create_key("hangup.example")
    address = urlsplit(json_server.base_url)
    hangups = requests_counted(json_server, "v1.add", "499")
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(f"POST /v1 HTTP/1.1\r\nHost: t\r\nAuth-Key: {key}\r\nContent-Type: "
                     "application/json\r\nContent-Length: 1000\r\n"
                     "Expect: 100-continue\r\n\r\n".encode())
        # "100 Continue" comes only once the route reads the body (app/http/bodies.py):
        # the hang-up lands while the worker is reading it, not before.
        assert read_head(sock).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b'{"url": ')
    deadline = time.monotonic() + 30
    while requests_counted(json_server, "v1.add", "499") < hangups + 1:
        assert time.monotonic() < deadline, "the hang-up was never counted as 499"
        time.sleep(0.05)
    assert requests_counted(json_server, "v1.add", "500") == 0
    assert "unexpected error" not in json_server.log()
    assert "Traceback" not in json_server.log()


@pytest.mark.parametrize("path", ["/static/", "/static/.", "/static/%00", "/static/..%2f",
                                  "/static/nothing.js"])
def test_odd_static_paths_are_json_404s(json_server, path):
    response = httpx.get(f"{json_server.base_url}{path}")
    assert response.status_code == 404
    assert "error" in response.json()


def test_static_files_are_still_served_with_last_modified(json_server):
    response = httpx.get(f"{json_server.base_url}/static/autocompeter.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(("text/javascript",
                                                        "application/javascript"))
    again = httpx.get(f"{json_server.base_url}/static/autocompeter.js",
                      headers={"If-Modified-Since": response.headers["last-modified"]})
    assert again.status_code == 304


@pytest.mark.parametrize("incoming", ['fake" injected=1', "a" * 65, "ok id", "x\u00e9"])
def test_an_unsafe_request_id_is_replaced_by_the_servers_own(json_server, incoming):
    response = httpx.get(f"{json_server.base_url}/v1?d=nothing.example&q=a",
                         headers={"X-Request-ID": incoming.encode()})
    request_id = response.headers["x-request-id"]
    assert request_id != incoming and len(request_id) == 36  # shaped like a UUID
    assert "injected=1" not in json_server.log()


def test_every_answer_has_its_own_request_id(json_server):
    with httpx.Client() as client:
        ids = {client.get(f"{json_server.base_url}/v1/ping").headers["x-request-id"]
               for _ in range(20)}
    assert len(ids) == 20


def test_a_safe_request_id_from_a_proxy_is_kept(json_server):
    response = httpx.get(f"{json_server.base_url}/healthz",
                         headers={"X-Request-ID": "edge-7_AbC"})
    assert response.headers["x-request-id"] == "edge-7_AbC"


@pytest.mark.parametrize("path", ["/", "/docs", "/healthz", "/v1/ping",
                                  "/v1?d=nothing.example&q=a"])
def test_head_answers_like_get_without_a_body(json_server, path):
    get = httpx.get(f"{json_server.base_url}{path}")
    head = httpx.head(f"{json_server.base_url}{path}")
    assert head.status_code == get.status_code
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def every_line_is_json(log: str) -> list[str]:
    bad = []
    for line in log.splitlines():
        try:
            json.loads(line)
        except ValueError:
            bad.append(line)
    return bad


def test_with_json_logs_every_line_is_json_sanics_own_included(json_server):
    httpx.get(f"{json_server.base_url}/static/nothing.js")  # Sanic used to log an ERROR
    httpx.get(f"{json_server.base_url}/static/%00")
    assert every_line_is_json(json_server.log()) == []


def test_json_logs_stay_json_through_shutdown(tmp_path: Path):
    server = start_server(tmp_path, LOG_FORMAT="json")
    httpx.get(f"{server.base_url}/static/nothing.js")
    stop_server(server)
    log = server.log()
    assert "Worker complete" in log
    assert every_line_is_json(log) == []
