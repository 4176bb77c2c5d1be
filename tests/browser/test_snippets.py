"""Every HTML snippet a user would paste, run in Chromium exactly as written.

The blocks are read from README.md and docs/*.md (never copied here). Each is
served by a plain HTTP server on another origin (http://localhost:<port>) than
the service (http://127.0.0.1:<port>), as a real site's page is, with only the
service's placeholder address replaced by the test server's. A block that shows
something other than code to paste is preceded by `<!-- not a snippet ... -->`.
"""

import html
import json
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SERVICE = "https://search.example.com"  # the address the snippets are written with
DOMAIN = "example.com"  # the domain they search
NOT_A_SNIPPET = "<!-- not a snippet"
HTML_BLOCK = re.compile(r"^([ \t]*)```html\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)
TITLES = {
    "https://example.com/guardians": "Guardians of the Galaxy",
    "https://example.com/hobbit": "The Hobbit: The Battle of the Five Armies",
}
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A site</title>
{head}
</head><body><main><h1>A site</h1>
{body}
</main></body></html>"""


def html_blocks(path: Path) -> list[str]:
    """The ```html blocks of a Markdown file that are meant to be pasted."""
    text = path.read_text(encoding="utf-8")
    blocks = []
    for match in HTML_BLOCK.finditer(text):
        before = text[: match.start()].rstrip().splitlines()
        if before and before[-1].strip().startswith(NOT_A_SNIPPET):
            continue
        blocks.append(textwrap.dedent(match.group(2)))
    return blocks


def pasted_snippets() -> dict[str, list[str]]:
    """Each distinct snippet, with the files that show it."""
    found: dict[str, list[str]] = {}
    for path in DOCUMENTS:
        for block in html_blocks(path):
            found.setdefault(block, []).append(str(path.relative_to(ROOT)))
    return found


SNIPPETS = pasted_snippets()


def the_widget_snippet(path: Path) -> str:
    (snippet,) = [block for block in html_blocks(path) if "autocompeter.min.js" in block]
    return snippet


# How a snippet may end up on a page: as written, or its scripts in <head> with
# the input further down the body, each with `defer`, `async` or neither.
def as_written(snippet: str) -> tuple[str, str]:
    return "", snippet


def scripts_in_head(snippet: str) -> tuple[str, str]:
    lines = snippet.splitlines()
    inputs = [line for line in lines if line.lstrip().startswith("<input")]
    rest = [line for line in lines if line not in inputs]
    return "\n".join(rest), "<p>Some text before the search box.</p>\n" + "\n".join(inputs)


def loading(attribute: str) -> Callable[[str], str]:
    def change(snippet: str) -> str:
        return snippet.replace(" defer>", f"{attribute}>")

    return change


PLACEMENTS = {"as-written": as_written, "scripts-in-head": scripts_in_head}
LOADINGS = {"defer": loading(" defer"), "async": loading(" async"), "plain": loading("")}


@pytest.fixture(scope="session")
def example_com(server) -> str:
    """The snippets' domain on the test service, with a few titles."""
    key = server.create_key(DOMAIN)
    documents = [{"url": url, "title": title} for url, title in TITLES.items()]
    response = httpx.post(f"{server.base_url}/v1/bulk", json={"documents": documents},
                          headers={"Auth-Key": key}, timeout=30)
    assert response.status_code == 201, response.text
    return DOMAIN


def open_site_page(browsing, other_origin, head: str, body: str, path: str):
    url = other_origin.serve(path, PAGE.format(head=head, body=body))
    page = browsing.new_page(origins=(other_origin.origin,))
    page.goto(url)
    return page


def search_requests(page) -> list[str]:
    return [u for u in page.recorded.requests if urlparse(u).path == "/v1" and urlparse(u).query]


def test_the_snippets_are_found():
    assert SNIPPETS, "no ```html block in README.md or docs/"
    widget = the_widget_snippet(ROOT / "README.md")
    assert SNIPPETS[widget] == ["README.md", "docs/widget.md"]


@pytest.mark.parametrize("loading_name", LOADINGS)
@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("snippet", SNIPPETS, ids=[" ".join(f) for f in SNIPPETS.values()])
def test_a_pasted_snippet_shows_results_from_another_origin(
    browsing, other_origin, example_com, snippet, placement, loading_name
):
    service = browsing.server.base_url
    pasted = LOADINGS[loading_name](snippet.replace(SERVICE, service))
    head, body = PLACEMENTS[placement](pasted)
    page = open_site_page(browsing, other_origin, head, body,
                          f"/{placement}-{loading_name}.html")
    assert urlparse(page.url).netloc != urlparse(service).netloc  # really cross-origin

    box = page.get_by_role("combobox")
    box.press_sequentially("guardians gal")
    expect(page.locator("[role=option]")).to_have_text(["Guardians of the Galaxy"])
    expect(page.locator("[role=option] mark")).to_have_text(["Guardians", "Gal"])
    assert all(u.startswith(service) for u in search_requests(page))
    assert page.recorded.errors == []


def test_readme_docs_and_demo_page_show_the_same_snippet():
    readme = the_widget_snippet(ROOT / "README.md")
    docs = the_widget_snippet(ROOT / "docs" / "widget.md")
    demo_html = (ROOT / "static" / "demo.html").read_text(encoding="utf-8")
    code = re.search(r'<pre[^>]*id="widget-snippet"[^>]*><code>(.*?)</code></pre>', demo_html,
                     re.DOTALL)
    assert code, "static/demo.html has no #widget-snippet"
    demo = html.unescape(re.sub(r"<[^>]+>", "", code.group(1)))
    assert readme == docs
    assert demo.strip() == readme.strip()


def test_the_demo_page_shows_the_snippet_with_its_own_address(browsing, demo_domain):
    # / is the demo page only while a demo domain exists (else how to start: app/http/server.py).
    page = browsing.new_page()
    page.goto(browsing.server.base_url + "/")
    shown = page.locator("#widget-snippet").inner_text()
    readme = the_widget_snippet(ROOT / "README.md")
    assert shown.strip() == readme.replace(SERVICE, browsing.server.base_url).strip()


def test_a_wrong_domain_is_named_in_the_console_warning(browsing, other_origin):
    snippet = the_widget_snippet(ROOT / "README.md")
    wrong = snippet.replace(SERVICE, browsing.server.base_url).replace(
        f"'{DOMAIN}'", "'no-such-domain.example'")
    assert wrong.count("no-such-domain.example") == 1
    page = open_site_page(browsing, other_origin, "", wrong, "/wrong-domain.html")
    with page.expect_console_message(lambda m: m.type == "warning") as message:
        page.get_by_role("combobox").press_sequentially("abc")
    # The service's own reason, not the browser's "Failed to fetch".
    assert message.value.text == "Autocompeter: d: unknown domain 'no-such-domain.example'"
    expect(page.get_by_role("listbox")).to_be_hidden()


def test_the_default_domain_is_the_host_name_without_the_port(browsing, other_origin):
    server = browsing.server
    key = server.create_key("localhost")
    response = httpx.post(f"{server.base_url}/v1", headers={"Auth-Key": key},
                          json={"url": "https://localhost/notes", "title": "Launch notes"})
    assert response.status_code == 201, response.text
    call = f"Autocompeter('#q', {{url: {json.dumps(server.base_url + '/v1')}}});"
    body = f'<input type="search" id="q" aria-label="Search">\n<script src="{server.base_url}' \
           f'/static/autocompeter.js"></script>\n<script>{call}</script>'
    page = open_site_page(browsing, other_origin, "", body, "/default-domain.html")
    assert urlparse(page.url).port  # the page's host has a port; the domain must not
    page.get_by_role("combobox").press_sequentially("launch")
    expect(page.locator("[role=option]")).to_have_text(["Launch notes"])
    domains = {parse_qs(urlparse(u).query)["d"][0] for u in search_requests(page)}
    assert domains == {"localhost"}
