"""TRUSTED_PROXIES: behind nginx, rate limits count visitors, not the proxy."""

import httpx
import pytest
from live import start_server, stop_server

LIMIT = 3


def searches_until_limited(server, forwarded_for: str) -> list[int]:
    with httpx.Client(base_url=server.base_url) as http:
        return [http.get("/v1", params={"d": "proxied.example", "q": "proxy"},
                         headers={"X-Forwarded-For": forwarded_for}).status_code
                for _ in range(LIMIT + 1)]


@pytest.fixture(params=["1", None], ids=["TRUSTED_PROXIES=1", "unset"])
def proxied(request, tmp_path):
    env = {"SEARCH_RATE_LIMIT": f"{LIMIT}/minute"}
    if request.param:
        env["TRUSTED_PROXIES"] = request.param
    server = start_server(tmp_path, workers=1, **env)
    key = server.create_key("proxied.example")
    httpx.post(f"{server.base_url}/v1", headers={"Auth-Key": key},
               json={"url": "/p", "title": "Proxy"}).raise_for_status()
    yield server, request.param is not None
    stop_server(server)


def test_forwarded_clients_are_counted_apart_only_behind_trusted_proxies(proxied):
    server, trusted = proxied
    # As nginx sends it: whatever the client claimed, then the address nginx saw.
    first = searches_until_limited(server, "203.0.113.9, 198.51.100.1")
    second = searches_until_limited(server, "203.0.113.9, 198.51.100.2")
    assert first == [200] * LIMIT + [429]
    if trusted:
        assert second == [200] * LIMIT + [429]  # a visitor of its own
    else:
        assert second == [429] * (LIMIT + 1)  # the header is ignored: one shared address


def test_clicks_are_told_apart_by_the_same_address_as_the_rate_limits(proxied):
    """The same click from two visitors behind the proxy counts twice, only when the
    proxy is trusted; otherwise they share its address and count once that minute."""
    server, trusted = proxied
    key = server.create_key("proxied.example")
    click = {"d": "proxied.example", "q": "proxy", "url": "/p"}
    with httpx.Client(base_url=server.base_url) as http:
        for visitor in ("198.51.100.1", "198.51.100.2"):
            response = http.post("/v1/click", json=click,
                                 headers={"X-Forwarded-For": f"203.0.113.9, {visitor}"})
            assert response.status_code == 204, response.text
        # One worker: /v1/stats writes its waiting clicks before it answers.
        stats = http.get("/v1/stats", headers={"Auth-Key": key}).json()
    assert stats["top_clicks"] == [{"url": "/p", "title": "Proxy", "clicks": 2 if trusted else 1}]
