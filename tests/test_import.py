"""`autocompeter import` against a small site served by the test itself.

The site is a real HTTP server in a thread: a sitemap index of a plain sitemap
and a gzipped one, pages with a <title>, with only og:title, one that 404s, one
that never answers (it waits until the test ends, so the importer's timeout is
what ends it), one disallowed by robots.txt, and an RSS and an Atom feed.
"""

import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PAGES = {
    "/a": "<html><head><title>Alpha &amp; Omega\n page</title></head><body>a</body></html>",
    "/b": '<html><head><meta property="og:title" content="Beta (og)"></head></html>',
    "/c": "<!doctype html><title>Café crème</title>",
    "/private/secret": "<title>Secret</title>",
}


def urlset(base: str, lastmods: dict[str, str]) -> bytes:
    rows = "".join(f"<url><loc>{base}{path}</loc><lastmod>{lastmod}</lastmod></url>"
                   for path, lastmod in lastmods.items())
    return (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
            f'sitemap/0.9">{rows}</urlset>').encode()


@dataclass
class Site:
    base: str = ""
    lastmods: dict[str, str] = field(default_factory=lambda: {
        "/a": "2026-01-01", "/b": "2026-01-01", "/missing": "2026-01-01",
        "/private/secret": "2026-01-01"})
    gz_lastmods: dict[str, str] = field(default_factory=lambda: {
        "/c": "2026-01-02", "/slow": "2026-01-02"})
    requests: list[str] = field(default_factory=list)
    user_agents: set[str] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)
    many_pages: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    together: threading.Barrier = field(default_factory=lambda: threading.Barrier(8))

    def body(self, path: str) -> tuple[int, str, bytes]:
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nDisallow: /private/\n"
        if path == "/sitemap_index.xml":
            return 200, "application/xml", (
                '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                f'sitemap/0.9"><sitemap><loc>{self.base}/sitemap-pages.xml</loc></sitemap>'
                "<sitemap><loc>/sitemap-more.xml.gz</loc></sitemap></sitemapindex>").encode()
        if path == "/sitemap-pages.xml":
            return 200, "application/xml", urlset(self.base, self.lastmods)
        if path == "/sitemap-more.xml.gz":
            return 200, "application/gzip", gzip.compress(urlset(self.base, self.gz_lastmods))
        if path == "/feed.xml":
            return 200, "application/rss+xml", (
                '<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>'
                f"<item><title>First post</title><link>{self.base}/posts/1</link>"
                "<pubDate>Mon, 05 Jan 2026 10:00:00 GMT</pubDate></item>"
                "<item><title>Second post</title><link>/posts/2</link></item>"
                "<item><title></title><link>/posts/3</link></item>"
                "</channel></rss>").encode()
        if path == "/atom.xml":
            return 200, "application/atom+xml", (
                b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
                b'<entry><title>Atom entry</title><link rel="alternate" href="/atom/1"/>'
                b'<link rel="edit" href="/edit/1"/><updated>2026-01-03T00:00:00Z</updated>'
                b"</entry></feed>")
        if path == "/bomb.xml":
            return 200, "application/xml", (
                b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><urlset>&lol2;</urlset>')
        if path == "/many.xml":
            return 200, "application/xml", urlset(
                self.base, {f"/many/{n}": "2026-01-01" for n in range(self.many_pages)})
        if path.startswith("/many/"):
            return 200, "text/html", f"<title>Many {path[6:]}</title>".encode()
        if path == "/zipbomb.xml.gz":  # 60 MB of spaces in about 60 kB
            return 200, "application/gzip", gzip.compress(b" " * (60 * 1024 * 1024))
        if path in PAGES:
            return 200, "text/html; charset=utf-8", PAGES[path].encode()
        return 404, "text/html", b"<title>Not found</title>"


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            state.user_agents.add(self.headers.get("User-Agent", ""))
            if self.path == "/slow":
                state.release.wait()  # until the test ends: the client gives up first
                return
            if self.path.startswith("/many/"):
                with state.lock:
                    state.in_flight += 1
                    state.most_in_flight = max(state.most_in_flight, state.in_flight)
                # Eight pages answer only once eight are asked for at the same time.
                state.together.wait(timeout=30)
                with state.lock:
                    state.in_flight -= 1
            status, kind, body = state.body(self.path)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


def run_import(tmp_path: Path, *args: str, timeout: str = "1") -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'site.db'}"}
    return subprocess.run([sys.executable, "-m", "app.cli", "import", *args,
                           "--timeout", timeout],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def stored(tmp_path: Path, domain: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'site.db'}"}
    exported = subprocess.run([sys.executable, "-m", "app.cli", "export", domain], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    return {d["url"]: d["title"] for d in json.loads(exported.stdout)["documents"]}


def test_sitemap_index_imports_each_page_title_and_reports_failures(site: Site,
                                                                     tmp_path: Path) -> None:
    result = run_import(tmp_path, f"{site.base}/sitemap_index.xml", "--domain", "ex.com")
    assert result.returncode == 0, result.stderr
    assert stored(tmp_path, "ex.com") == {f"{site.base}/a": "Alpha & Omega page",
                                          f"{site.base}/b": "Beta (og)",
                                          f"{site.base}/c": "Café crème"}
    assert f"skipped {site.base}/missing: HTTP 404" in result.stderr
    assert f"skipped {site.base}/slow: timed out" in result.stderr
    assert f"skipped {site.base}/private/secret: disallowed by robots.txt" in result.stderr
    assert "imported: 3 to send, 0 unchanged, 3 skipped" in result.stderr
    assert "/private/secret" not in site.requests  # robots.txt obeyed: never even asked
    (agent,) = site.user_agents
    assert agent.startswith("Autocompeter-import/") and "(site-search title import)" in agent


def test_rerun_sends_only_pages_whose_lastmod_changed(site: Site, tmp_path: Path) -> None:
    source = f"{site.base}/sitemap_index.xml"
    assert run_import(tmp_path, source, "--domain", "ex.com").returncode == 0
    assert (tmp_path / "site.db.import-state.json").exists()  # next to the database

    site.requests.clear()
    site.lastmods["/a"] = "2026-02-01"
    pages_before = dict(PAGES)
    PAGES["/a"] = "<title>Alpha, renamed</title>"
    try:
        result = run_import(tmp_path, source, "--domain", "ex.com")
    finally:
        PAGES.update(pages_before)
    assert result.returncode == 0, result.stderr
    pages_read = {path for path in site.requests if not path.endswith((".xml", ".gz", ".txt"))}
    # /b and /c are unchanged; the failures were never stored, so they are tried again.
    assert pages_read == {"/a", "/missing", "/slow"}
    assert "imported: 1 to send, 2 unchanged, 3 skipped" in result.stderr
    assert stored(tmp_path, "ex.com")[f"{site.base}/a"] == "Alpha, renamed"


def test_pages_are_read_eight_at_a_time(site: Site, tmp_path: Path) -> None:
    # Shows eight pages are read at once (each group of eight waits for all of
    # them). A client allowed more would not reliably be caught: the barrier lets
    # each group of eight go as soon as it is complete.
    site.many_pages = 24
    result = run_import(tmp_path, f"{site.base}/many.xml", "--domain", "ex.com", timeout="60")
    assert result.returncode == 0, result.stderr
    assert "imported: 24 to send" in result.stderr
    assert site.most_in_flight == 8


def test_rss_and_atom_entries_give_title_and_link_without_fetching_pages(
        site: Site, tmp_path: Path) -> None:
    rss = run_import(tmp_path, f"{site.base}/feed.xml", "--domain", "blog.ex")
    assert rss.returncode == 0, rss.stderr
    atom = run_import(tmp_path, f"{site.base}/atom.xml", "--domain", "blog.ex")
    assert atom.returncode == 0, atom.stderr
    assert stored(tmp_path, "blog.ex") == {f"{site.base}/posts/1": "First post",
                                           f"{site.base}/posts/2": "Second post",
                                           f"{site.base}/atom/1": "Atom entry"}
    assert f"skipped {site.base}/posts/3: title: " in rss.stderr  # an empty title
    assert site.requests == ["/feed.xml", "/atom.xml"]


def test_dry_run_prints_what_it_would_send_and_sends_nothing(site: Site,
                                                             tmp_path: Path) -> None:
    result = run_import(tmp_path, f"{site.base}/feed.xml", "--domain", "blog.ex", "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [{"url": f"{site.base}/posts/1", "title": "First post"},
                     {"url": f"{site.base}/posts/2", "title": "Second post"}]
    assert "dry run: 2 to send, 0 unchanged, 1 skipped" in result.stderr
    assert not (tmp_path / "site.db").exists()
    assert not (tmp_path / "site.db.import-state.json").exists()


@pytest.mark.parametrize(("path", "message"), [
    ("/nothing.xml", "nothing.xml: HTTP 404"),
    ("/robots.txt", "not a sitemap or feed"),
    ("/bomb.xml", "not a sitemap or feed"),  # defusedxml refuses the entities
    ("/zipbomb.xml.gz", "unpacks to more than 52428800 bytes"),
])
def test_a_source_that_cannot_be_read_is_one_clear_line(site: Site, tmp_path: Path,
                                                        path: str, message: str) -> None:
    result = run_import(tmp_path, f"{site.base}{path}", "--domain", "ex.com")
    assert result.returncode == 2
    assert result.stderr.startswith("autocompeter: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
