"""Browser fixtures: Debian's Chromium driven by Playwright for Python.

`scripts/install-browser-deps.sh` (run by `make test`) installs /usr/bin/chromium and
axe-core; Playwright's own browser download is never used. Without Chromium the
browser tests are skipped locally and fail in CI (CI=true).
"""

import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output"
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / ".work" / "node" / "node_modules" / "axe-core" / "axe.min.js"
DATA = Path(__file__).parent / "data"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def movies() -> list[dict]:
    return json.loads((DATA / "movies-2014.json").read_text())["items"]


def _missing(what: str) -> None:
    message = f"{what}: run `bash scripts/install-browser-deps.sh` (or `make browser-deps`)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser(server) -> Iterator:
    # Module scope, not session: while Playwright's sync API runs, its event loop
    # is current in this thread and asyncio.run() (tests/conftest.py's create_key)
    # refuses to run, so it must be stopped before other test modules run.
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Recorder:
    """What a page said that a test may want to assert on."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@dataclass
class Browsing:
    """Opens pages on the live server's origin, each in a context of its own."""

    browser: object
    server: object
    contexts: list = field(default_factory=list)

    def new_page(self, *, origins: tuple[str, ...] = (), **context_options: object):
        """A page in a context of its own; `origins` are reached besides the server's."""
        context = self.browser.new_context(**context_options)
        self.contexts.append(context)
        reachable = (self.server.base_url, *origins)

        # Nothing leaves the machine: any other origin (the titles' links) gets a stub.
        def outside(route) -> None:
            if route.request.url.startswith(reachable):
                route.fallback()
            else:
                route.fulfill(
                    status=200,
                    content_type="text/html",
                    body="<!doctype html><title>Followed</title><p>followed",
                )

        context.route("**/*", outside)
        page = context.new_page()
        page.set_default_timeout(10_000)
        record = Recorder()
        page.recorded = record

        def console(message) -> None:
            if message.type == "error":
                record.errors.append(message.text)
            elif message.type == "warning":
                record.warnings.append(message.text)

        def dialog(d) -> None:
            record.dialogs.append(d.message)
            d.dismiss()

        page.on("console", console)
        page.on("pageerror", lambda error: record.errors.append(f"pageerror: {error}"))
        page.on("dialog", dialog)
        page.on("request", lambda request: record.requests.append(request.url))
        return page

    def open_widgets(self, body: str, script: str, **context_options: object):
        """A test page on the server's origin loading /static/autocompeter.js."""
        page = self.new_page(**context_options)
        html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Widget test</title>
<link rel="stylesheet" href="/static/autocompeter.css">
<script src="/static/autocompeter.js"></script>
</head><body><main>{body}</main><script>{script}</script></body></html>"""
        url = self.server.base_url + "/__test__"
        page.route(
            url, lambda route: route.fulfill(status=200, content_type="text/html", body=html)
        )
        page.goto(url)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsing(browser, server) -> Iterator[Browsing]:
    session = Browsing(browser, server)
    yield session
    session.close()


@pytest.fixture
def page(browsing: Browsing):
    return browsing.new_page()


@pytest.fixture(scope="session")
def demo_domain(server) -> str:
    """The `demo` domain with real titles, whatever the server seeded or not."""
    import httpx

    key = server.create_key("demo")
    response = httpx.post(
        f"{server.base_url}/v1/bulk",
        json={"documents": movies()},
        headers={"Auth-Key": key},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return "demo"


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def axe_scan() -> Callable:
    if not AXE.exists():
        _missing(f"{AXE} is not installed")

    def scan(page) -> list[dict]:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            """async () => {
                const r = await axe.run(document, {resultTypes: ['violations']});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => [n.target.join(' '), n.failureSummary])}));
            }"""
        )
        return result

    return scan


class OtherOrigin:
    """A plain HTTP server for a site's pages, on another origin than the service.

    The service listens on 127.0.0.1; this one on `localhost` and another port,
    so its pages call the service cross-origin, as a real site's pages do.
    """

    def __init__(self) -> None:
        pages: dict[str, str] = {}
        self.pages = pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "not found").encode())

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve(self, path: str, html: str) -> str:
        """Serves `html` at `path`; its URL."""
        self.pages[path] = html
        return self.origin + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def other_origin() -> Iterator[OtherOrigin]:
    site = OtherOrigin()
    yield site
    site.close()
