"""The widget costs Chromium at most 4 KB on the wire (app/http/static_files.py): by the
hashed name on the service's own page, and by the stable name a pasted snippet uses."""

import re

from playwright.sync_api import expect
from test_snippets import ROOT, SERVICE, the_widget_snippet

BUDGET = 4096
LEAN = re.compile(r"/static/autocompeter\.([0-9a-f]{10}\.)?min\.js$")


def widget_response(page, load):
    """The widget's response as the page loaded it, waited for, not slept for."""
    with page.expect_response(lambda response: LEAN.search(response.url)) as caught:
        load()
    response = caught.value
    response.finished()
    return response


def received_body_bytes(response) -> int:
    # The body as it came over the network: compressed when the server compressed it.
    return response.request.sizes()["responseBodySize"]


def test_the_demo_page_receives_the_hashed_widget_gzipped_under_4_kb(browsing, demo_domain):
    page = browsing.new_page()
    response = widget_response(page, lambda: page.goto(browsing.server.base_url + "/"))
    headers = response.headers
    assert re.search(r"autocompeter\.[0-9a-f]{10}\.min\.js$", response.url)
    assert headers["content-encoding"] == "gzip"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert 500 < received_body_bytes(response) <= BUDGET
    expect(page.get_by_role("combobox")).to_be_visible()
    assert page.evaluate("typeof Autocompeter") == "function"
    assert page.recorded.errors == []


def test_a_pasted_snippet_receives_the_widget_under_4_kb(browsing, other_origin):
    snippet = the_widget_snippet(ROOT / "README.md").replace(SERVICE, browsing.server.base_url)
    page = browsing.new_page(origins=(other_origin.origin,))
    url = other_origin.serve("/lean.html", f"<!doctype html><title>Lean</title>{snippet}")
    response = widget_response(page, lambda: page.goto(url))
    assert response.url == browsing.server.base_url + "/static/autocompeter.min.js"
    assert response.headers["content-encoding"] == "gzip"
    assert 500 < received_body_bytes(response) <= BUDGET
    expect(page.get_by_role("combobox")).to_be_visible()
    assert page.recorded.errors == []
