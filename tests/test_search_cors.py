"""A search's error answers are readable from another origin.

The widget runs on the site's origin and searches the service on another; a
browser hides any answer without `Access-Control-Allow-Origin`, so without it
the widget sees "Failed to fetch" instead of "d: unknown domain" or "retry in
1 s".
"""

import httpx
import pytest
from live import start_server, stop_server

ORIGIN = {"Origin": "https://site.example"}


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("cors-limited"), workers=1,
                          SEARCH_RATE_LIMIT="2/minute")
    yield server
    stop_server(server)


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"d": "no-such-domain.example", "q": "abc"}, "d: unknown domain"),
        ({"d": "no-such-domain.example", "q": "..."}, "q: has no letters or digits"),
        ({"q": "abc"}, "d: "),
        ({"d": "x.example", "q": "abc", "n": "lots"}, "n: "),
    ],
)
def test_a_bad_search_is_a_400_any_origin_can_read(client, params, error):
    response = client.get("/v1", params=params, headers=ORIGIN)
    assert response.status_code == 400
    assert response.json()["error"].startswith(error)
    assert response.headers["access-control-allow-origin"] == "*"


def test_a_rate_limited_search_is_a_429_any_origin_can_read(limited):
    with httpx.Client(base_url=limited.base_url) as http:
        answers = [http.get("/v1", params={"d": "busy.example", "q": "busy"}, headers=ORIGIN)
                   for _ in range(3)]
    refused = answers[-1]
    assert refused.status_code == 429, [a.status_code for a in answers]
    assert "too many searches" in refused.json()["error"]
    assert refused.headers["access-control-allow-origin"] == "*"
    assert refused.headers["retry-after"]


def test_a_rate_limited_click_is_a_429_any_origin_can_read(limited):
    click = {"d": "busy.example", "q": "busy", "url": "/b"}
    with httpx.Client(base_url=limited.base_url) as http:
        # Before the limit, even an unknown domain is a 400: the limit comes first.
        answers = [http.post("/v1/click", json=click, headers=ORIGIN) for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 429]
    refused = answers[-1]
    assert "too many clicks" in refused.json()["error"]
    assert refused.headers["access-control-allow-origin"] == "*"
    assert refused.headers["retry-after"]
