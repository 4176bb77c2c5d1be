"""A new user's first start: serve says where it listens and what to do first."""

import httpx
from live import start_server, stop_server


def test_serve_prints_its_url_and_first_steps_and_the_page_says_the_same(tmp_path):
    server = start_server(tmp_path, workers=1)
    try:
        log = server.log()
        assert f"Autocompeter is serving at {server.base_url}/" in log
        assert "No domains yet" in log and "autocompeter keys create example.com" in log
        page = httpx.get(f"{server.base_url}/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "keys create example.com" in page.text
        assert f"{server.base_url}/v1" in page.text  # the curl line names this server
        assert 'type="search"' not in page.text  # no search box that can only answer 400
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "<script" not in page.text
    finally:
        stop_server(server)


def test_with_a_key_the_first_steps_are_not_repeated_and_a_demo_domain_shows_the_demo(
        tmp_path):
    first = start_server(tmp_path, workers=1)
    first.create_key("demo")
    stop_server(first)
    server = start_server(tmp_path, workers=1)
    try:
        assert "No domains yet" not in server.log().split("serving at")[-1]
        page = httpx.get(f"{server.base_url}/")
        assert 'type="search"' in page.text and "/static/demo.js" in page.text
    finally:
        stop_server(server)
