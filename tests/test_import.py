"""`autocompeter import` against a small site served by the test itself.

The site is a real HTTP server in a thread: a sitemap index of a plain sitemap
and a gzipped one, pages with a <title>, with only og:title, one that 404s, one
that never answers (it waits until the test ends, so the importer's timeout is
what ends it), one disallowed by robots.txt, and an RSS and an Atom feed; and
the bad ones: redirects to nowhere, a page that drips one byte at a time, a
gzip bomb, markup that breaks or slows an HTML parser, a robots.txt that fails.
"""

import gzip
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
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


@cache
def zip_bomb() -> bytes:
    """60 MB of spaces in about 60 kB; made once: compressing takes the server seconds
    on a busy machine, longer than the importer is given."""
    return gzip.compress(b" " * (60 * 1024 * 1024))


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
    robots_status: int = 200
    robots_mode: str = "answer"
    """how /robots.txt answers: "answer" (robots_status), "hang up" or "drip"""
    extra_urls: dict[str, str] = field(default_factory=dict)
    """/extra.xml lists these paths (or absolute URLs), each with its lastmod ("" for none)"""
    titles: dict[str, str] = field(default_factory=dict)
    """more pages: path -> the text of its <title>"""
    broken: set[str] = field(default_factory=set)
    """paths that answer 500 for now"""

    def redirect(self, path: str) -> str | None:
        """Where the page at ``path`` redirects to, if it does."""
        return {
            "/to-data": "data:text/html,<title>From data</title>",
            "/to-javascript": "javascript:alert(1)",
            "/to-port-99999": "http://127.0.0.1:99999/a",
            "/to-private": "/private/secret",
            "/to-a": "/a",
            "/to-localhost": self.base.replace("127.0.0.1", "localhost") + "/c",
            "/loop": "/loop",
        }.get(path)

    def body(self, path: str) -> tuple[int, str, bytes]:
        if path in self.broken:
            return 500, "text/plain", b"down for now"
        if path in self.titles:
            return 200, "text/html", f"<title>{self.titles[path]}</title>".encode()
        if path == "/index-of-two.xml":  # /extra.xml and /sitemap-pages.xml, no slow page
            return 200, "application/xml", (
                b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                b'sitemap/0.9"><sitemap><loc>/extra.xml</loc></sitemap>'
                b"<sitemap><loc>/sitemap-pages.xml</loc></sitemap></sitemapindex>")
        if path == "/robots.txt":
            return (self.robots_status, "text/plain",
                    b"User-agent: *\nDisallow: /private/\n")
        if path == "/extra.xml":
            rows = "".join(
                f"<url><loc>{url if '://' in url or '[' in url else self.base + url}</loc>"
                + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>"
                for url, lastmod in self.extra_urls.items())
            return 200, "application/xml", (
                '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                f'sitemap/0.9">{rows}</urlset>').encode()
        if path == "/index-mixed.xml":  # a sitemap on another host, one missing, one fine
            away = self.base.replace("127.0.0.1", "localhost")
            return 200, "application/xml", (
                '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                f'sitemap/0.9"><sitemap><loc>{away}/extra.xml</loc></sitemap>'
                "<sitemap><loc>/nothing.xml</loc></sitemap>"
                "<sitemap><loc>/extra.xml</loc></sitemap></sitemapindex>").encode()
        if path == "/asserts":  # html.parser: "unknown status keyword 'foo' in marked section"
            return 200, "text/html", b"<html><head><title>Marked</title><![foo[ x ]]>"
        if path == "/bad-charset":
            return 200, "text/html; charset=x-no-such-charset", b"<title>Charset</title>"
        if path == "/comments":  # a megabyte of unclosed comments after the title
            return 200, "text/html", b"<title>Many comments</title>" + b"<!--" * (256 * 1024 - 8)
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
        if path == "/zipbomb.xml.gz":
            return 200, "application/gzip", zip_bomb()
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
            if self.path == "/robots.txt" and state.robots_mode == "hang up":
                self.close_connection = True  # no status line: the client sees a hang-up
                return
            if self.path in ("/drip", "/drip.xml") or (
                    self.path == "/robots.txt" and state.robots_mode == "drip"):
                self.drip()
                return
            if location := state.redirect(self.path):
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path == "/gzip-bomb":
                # 4 MB of spaces, then a title: gzip Content-Encoding, about 4 kB sent.
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Encoding", "gzip")
                self.end_headers()
                self.wfile.write(gzip.compress(b" " * (4 * 1024 * 1024) + b"<title>Late</title>"))
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

        def drip(self) -> None:
            """Headers, then one byte every 0.3 s until the client hangs up or the test ends:
            every read is quick, the whole body never comes."""
            self.send_response(200)
            self.send_header("Content-Type", "text/plain" if "robots" in self.path
                             else "application/xml" if self.path.endswith(".xml")
                             else "text/html")
            self.end_headers()
            try:
                while not state.release.wait(0.3):
                    self.wfile.write(b" ")
                    self.wfile.flush()
            except OSError:
                pass

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


def run_import(tmp_path: Path, *args: str, timeout: str = "3",
               give_up_after: float = 120) -> subprocess.CompletedProcess:
    """`autocompeter import ARGS` in a process of its own. ``timeout`` is the whole of each
    request: short, so the pages that never end end soon, yet not so short that a busy
    machine's ordinary fetch misses it."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'site.db'}"}
    return subprocess.run([sys.executable, "-m", "app.cli", "import", *args,
                           "--timeout", timeout],
                          cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=give_up_after)


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
    assert "imported: 3 sent, 0 unchanged, 3 skipped" in result.stderr
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
    assert "imported: 1 sent, 2 unchanged, 3 skipped" in result.stderr
    assert stored(tmp_path, "ex.com")[f"{site.base}/a"] == "Alpha, renamed"


def test_pages_are_read_eight_at_a_time(site: Site, tmp_path: Path) -> None:
    # Shows eight pages are read at once (each group of eight waits for all of
    # them). A client allowed more would not reliably be caught: the barrier lets
    # each group of eight go as soon as it is complete.
    site.many_pages = 24
    result = run_import(tmp_path, f"{site.base}/many.xml", "--domain", "ex.com", timeout="60")
    assert result.returncode == 0, result.stderr
    assert "imported: 24 sent" in result.stderr
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
    zip_bomb()  # made before the clock starts
    result = run_import(tmp_path, f"{site.base}{path}", "--domain", "ex.com")
    assert result.returncode == 2
    assert result.stderr.startswith("autocompeter: ") and message in result.stderr
    assert result.stderr.count("\n") == 1



def test_an_unreadable_state_file_is_one_clear_line_and_kept(tmp_path: Path) -> None:
    """app/importer/state.py: the state is not read as empty (everything sent again, the
    file overwritten); `StateUnreadable` is a `Refused`, printed once by app/cli/main.py."""
    state = tmp_path / "state.json"
    state.write_text("{not json")
    # Refused before the source is asked for: nothing listens at this address.
    result = run_import(tmp_path, "http://127.0.0.1:9/sitemap.xml", "--domain", "ex.com",
                        "--state", str(state))
    assert result.returncode == 2
    assert result.stderr.startswith(f"autocompeter: cannot read the state file {state}: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert state.read_text() == "{not json"


# -- bad pages, slow servers and the limits (issue 25, items 5-8) -------------------------


def state_of(tmp_path: Path, domain: str) -> dict[str, dict[str, str]]:
    return json.loads((tmp_path / "site.db.import-state.json").read_text())[domain]


def test_bad_pages_are_skipped_and_listed_and_the_rest_sent_and_saved(site: Site,
                                                                       tmp_path: Path) -> None:
    site.extra_urls = {"/to-data": "", "/to-javascript": "", "/to-port-99999": "",
                       "http://[bad": "", "/loop": "", "/asserts": "", "/bad-charset": "",
                       "/a": "2026-01-01"}
    result = run_import(tmp_path, f"{site.base}/extra.xml", "--domain", "ex.com")
    assert result.returncode == 0, result.stderr
    assert stored(tmp_path, "ex.com") == {f"{site.base}/a": "Alpha & Omega page",
                                          f"{site.base}/asserts": "Marked",
                                          f"{site.base}/bad-charset": "Charset"}
    for line in ("/to-data: redirected to data:text/html,<title>From data</title>: "
                 "not an http(s) URL",
                 "/to-javascript: redirected to javascript:alert(1): not an http(s) URL",
                 "/to-port-99999: redirected to http://127.0.0.1:99999/a: not a valid URL",
                 "/loop: more than 5 redirects"):
        assert f"skipped {site.base}{line}" in result.stderr
    assert "skipped http://[bad: not a valid URL" in result.stderr
    assert "imported: 3 sent, 0 unchanged, 5 skipped" in result.stderr
    assert state_of(tmp_path, "ex.com")[f"{site.base}/a"] == {
        "changed": "2026-01-01", "source": f"{site.base}/extra.xml", "trim": ""}


def test_a_bad_sitemap_in_an_index_is_skipped_and_listed(site: Site, tmp_path: Path) -> None:
    site.extra_urls = {"/a": "2026-01-01"}
    result = run_import(tmp_path, f"{site.base}/index-mixed.xml", "--domain", "ex.com")
    assert result.returncode == 0, result.stderr
    assert stored(tmp_path, "ex.com") == {f"{site.base}/a": "Alpha & Omega page"}
    away = site.base.replace("127.0.0.1", "localhost")
    assert (f"skipped {away}/extra.xml: sitemap not read: on another host "
            "(localhost; --allow-host localhost reads it)") in result.stderr
    assert f"skipped {site.base}/nothing.xml: sitemap not read: HTTP 404" in result.stderr


def test_a_megabyte_of_unclosed_comments_is_read_quickly(site: Site, tmp_path: Path) -> None:
    # Python 3.11's html.parser took about 4.5 s on 64 kB of "<!--" and grows with the
    # square of the size: a megabyte would take many minutes.
    site.extra_urls = {"/comments": ""}
    started = time.monotonic()
    result = run_import(tmp_path, f"{site.base}/extra.xml", "--domain", "ex.com",
                        give_up_after=60)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 15
    assert stored(tmp_path, "ex.com") == {f"{site.base}/comments": "Many comments"}


@pytest.mark.parametrize("markup", [
    "<!--" * 250_000, "<a" * 500_000, "<![" * 300_000, "</a" * 300_000, "<?" * 500_000,
    "<title" * 150_000, '<meta a="' * 100_000, "<a b" * 250_000, "<a>" * 300_000,
    "&" * 1_000_000, "<script>" + "</scrip" * 120_000,
])
def test_title_parsing_is_linear_on_hostile_markup(markup: str) -> None:
    from app.importer.titles import page_title

    started = time.monotonic()
    page_title("<title>Hostile</title>" + markup)
    page_title(markup + "<title>Hostile</title>")
    assert time.monotonic() - started < 10  # linear: about 2 s a megabyte at worst here


@pytest.mark.parametrize(("markup", "title"), [
    ("<TITLE lang=en>Upper &amp; lower</TITLE>", "Upper & lower"),
    ("<!-- <title>Commented</title> --><title>Real</title>", "Real"),
    ("<script>'<title>In script</title>'</script><title>Real</title>", "Real"),
    ('<meta content="A > B" property="og:title"><title> </title>', "A > B"),
    ("<meta property='og:title' content='Og &amp; co'/>", "Og & co"),
    ("<title>Unclosed title", "Unclosed title"),
    ("<title>First</title><title>Second</title>", "First"),
    ("<!--> <title>After an empty comment</title>", "After an empty comment"),
    ("<p>no title</p>", ""),
])
def test_title_parsing_reads_what_a_browser_would(markup: str, title: str) -> None:
    from app.importer.titles import page_title

    assert page_title(markup) == title


def test_a_page_that_drips_bytes_is_cut_off_at_the_deadline(site: Site,
                                                            tmp_path: Path) -> None:
    # Every read gets a byte within 0.3 s, so only a deadline on the whole fetch ends it.
    site.extra_urls = {"/drip": "", "/a": ""}
    started = time.monotonic()
    result = run_import(tmp_path, f"{site.base}/extra.xml", "--domain", "ex.com",
                        give_up_after=60)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 20
    assert f"skipped {site.base}/drip: timed out" in result.stderr
    assert stored(tmp_path, "ex.com") == {f"{site.base}/a": "Alpha & Omega page"}


def test_a_sitemap_that_drips_bytes_is_cut_off_at_the_deadline(site: Site,
                                                               tmp_path: Path) -> None:
    result = run_import(tmp_path, f"{site.base}/drip.xml", "--domain", "ex.com",
                        give_up_after=60)
    assert result.returncode == 2
    assert f"autocompeter: {site.base}/drip.xml: timed out" in result.stderr


def test_a_dripping_robots_txt_is_read_once_and_disallows_all(site: Site,
                                                              tmp_path: Path) -> None:
    site.robots_mode = "drip"
    site.extra_urls = {"/a": "", "/b": "", "/c": ""}
    started = time.monotonic()
    result = run_import(tmp_path, f"{site.base}/extra.xml", "--domain", "ex.com",
                        give_up_after=60)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 20
    for path in ("/a", "/b", "/c"):
        assert (f"skipped {site.base}{path}: disallowed by robots.txt (not read: timed out; "
                "an unreachable robots.txt disallows all)") in result.stderr
    assert site.requests.count("/robots.txt") == 1
    assert not {"/a", "/b", "/c"} & set(site.requests)


@pytest.mark.parametrize(("mode", "status", "allowed"), [
    ("answer", 401, False), ("answer", 403, False), ("answer", 500, False),
    ("answer", 503, False), ("hang up", 200, False), ("answer", 404, True),
    ("answer", 410, True),
])
def test_robots_txt_status_decides_what_may_be_read(site: Site, tmp_path: Path, mode: str,
                                                    status: int, allowed: bool) -> None:
    site.robots_mode, site.robots_status = mode, status
    site.extra_urls = {"/a": "", "/private/secret": ""}
    result = run_import(tmp_path, f"{site.base}/extra.xml", "--domain", "ex.com")
    assert result.returncode == 0, result.stderr
    if allowed:  # no robots.txt: everything may be read, /private/ included
        assert stored(tmp_path, "ex.com") == {f"{site.base}/a": "Alpha & Omega page",
                                              f"{site.base}/private/secret": "Secret"}
    else:
        assert f"skipped {site.base}/a: disallowed by robots.txt" in result.stderr
        assert not {"/a", "/private/secret"} & set(site.requests)
        assert "imported: 0 sent, 0 unchanged, 2 skipped" in result.stderr


def test_redirect_targets_are_checked_against_robots_txt(site: Site, tmp_path: Path) -> None:
    site.extra_urls = {"/to-private": "", "/to-a": ""}
    result = run_import(tmp_path, f"{site.base}/extra.xml", "--domain", "ex.com")
    assert result.returncode == 0, result.stderr
    assert stored(tmp_path, "ex.com") == {f"{site.base}/to-a": "Alpha & Omega page"}
    assert (f"skipped {site.base}/to-private: redirected to {site.base}/private/secret: "
            "disallowed by robots.txt") in result.stderr
    assert "/private/secret" not in site.requests


def test_only_the_sitemaps_host_is_read_unless_another_is_allowed(site: Site,
                                                                  tmp_path: Path) -> None:
    away = site.base.replace("127.0.0.1", "localhost")
    site.extra_urls = {"/a": "", f"{away}/b": "", "/to-localhost": ""}
    result = run_import(tmp_path, f"{site.base}/extra.xml", "--domain", "ex.com")
    assert result.returncode == 0, result.stderr
    assert stored(tmp_path, "ex.com") == {f"{site.base}/a": "Alpha & Omega page"}
    assert (f"skipped {away}/b: on another host (localhost; --allow-host localhost "
            "reads it)") in result.stderr
    assert f"skipped {site.base}/to-localhost: redirected to {away}/c: on another host" \
        in result.stderr
    assert not {"/b", "/c"} & set(site.requests)

    allowed = run_import(tmp_path, f"{site.base}/extra.xml", "--domain", "ex.com",
                         "--allow-host", "LOCALHOST")
    assert allowed.returncode == 0, allowed.stderr
    assert stored(tmp_path, "ex.com") == {f"{site.base}/a": "Alpha & Omega page",
                                          f"{away}/b": "Beta (og)",
                                          f"{site.base}/to-localhost": "Café crème"}


def test_the_page_limit_counts_unpacked_bytes(site: Site, tmp_path: Path) -> None:
    # 4 kB sent, 4 MB once unpacked: the title after them is past the first megabyte.
    site.extra_urls = {"/gzip-bomb": ""}
    result = run_import(tmp_path, f"{site.base}/extra.xml", "--domain", "ex.com")
    assert result.returncode == 0, result.stderr
    assert f"skipped {site.base}/gzip-bomb: no <title> and no og:title" in result.stderr


def test_urls_per_sitemap_and_sitemaps_per_index_are_capped(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from app.importer import sources
    from app.importer.collect import collect

    monkeypatch.setattr(sources, "MAX_URLS_PER_SITEMAP", 2)
    monkeypatch.setattr(sources, "MAX_SITEMAPS_PER_INDEX", 1)
    site.extra_urls = {"/a": "", "/b": "", "/c": ""}
    outcome = asyncio.run(collect(f"{site.base}/extra.xml", {}, 5, progress=False))
    assert [document.url for document in outcome.documents] == [f"{site.base}/a",
                                                                f"{site.base}/b"]
    assert outcome.skipped == [(f"{site.base}/extra.xml",
                                "1 more URL not read: a sitemap is read up to 2")]
    outcome = asyncio.run(collect(f"{site.base}/sitemap_index.xml", {}, 5, progress=False))
    assert (f"{site.base}/sitemap_index.xml",
            "1 more sitemap not read: an index is read up to 1") in outcome.skipped
    assert "/sitemap-more.xml.gz" not in site.requests


def test_rerun_sends_undated_entries_again(site: Site, tmp_path: Path) -> None:
    site.extra_urls = {"/a": "2026-01-01", "/b": ""}
    first = run_import(tmp_path, f"{site.base}/extra.xml", "--domain", "ex.com")
    assert "imported: 2 sent, 0 unchanged, 0 skipped" in first.stderr, first.stderr
    site.requests.clear()
    again = run_import(tmp_path, f"{site.base}/extra.xml", "--domain", "ex.com")
    assert "imported: 1 sent, 1 unchanged, 0 skipped" in again.stderr, again.stderr
    assert "/b" in site.requests and "/a" not in site.requests

    feed = run_import(tmp_path, f"{site.base}/feed.xml", "--domain", "blog.ex")
    assert "imported: 2 sent, 0 unchanged, 1 skipped" in feed.stderr, feed.stderr
    feed = run_import(tmp_path, f"{site.base}/feed.xml", "--domain", "blog.ex")
    # /posts/2 has no pubDate: sent again; /posts/1's date is unchanged.
    assert "imported: 1 sent, 1 unchanged, 1 skipped" in feed.stderr, feed.stderr


# -- import that follows the site (issue 27, item 5) ----------------------------------------


DASH = "\N{EN DASH}"  # what sites put between a page's name and theirs


def load_as_owner(tmp_path: Path, domain: str, documents: list[dict[str, str]]) -> None:
    """Titles the owner adds without the import: `autocompeter load`."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'site.db'}"}
    path = tmp_path / "owner.json"
    path.write_text(json.dumps({"documents": documents}))
    loaded = subprocess.run([sys.executable, "-m", "app.cli", "load", str(path),
                             "--domain", domain], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert loaded.returncode == 0, loaded.stderr


def test_prune_removes_only_what_this_import_added_and_left_the_sitemap(
        site: Site, tmp_path: Path) -> None:
    source = f"{site.base}/extra.xml"
    site.extra_urls = {"/a": "2026-01-01", "/b": "2026-01-01"}
    assert run_import(tmp_path, source, "--domain", "ex.com").returncode == 0
    # Another source into the same domain, and a title the owner added by hand.
    assert run_import(tmp_path, f"{site.base}/atom.xml", "--domain", "ex.com").returncode == 0
    load_as_owner(tmp_path, "ex.com", [{"url": f"{site.base}/by-hand", "title": "By hand"}])
    everything = {f"{site.base}/a": "Alpha & Omega page", f"{site.base}/b": "Beta (og)",
                  f"{site.base}/atom/1": "Atom entry", f"{site.base}/by-hand": "By hand"}
    assert stored(tmp_path, "ex.com") == everything

    del site.extra_urls["/b"]  # the site dropped a page
    dry = run_import(tmp_path, source, "--domain", "ex.com", "--prune", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would remove {site.base}/b: no longer in {source}" in dry.stderr
    assert "dry run: 1 title to remove" in dry.stderr
    assert "/atom/1" not in dry.stderr and "/by-hand" not in dry.stderr
    assert stored(tmp_path, "ex.com") == everything  # the dry run removed nothing

    pruned = run_import(tmp_path, source, "--domain", "ex.com", "--prune")
    assert pruned.returncode == 0, pruned.stderr
    assert f"removed {site.base}/b: no longer in {source}" in pruned.stderr
    assert "removed 1 title" in pruned.stderr
    del everything[f"{site.base}/b"]
    assert stored(tmp_path, "ex.com") == everything
    assert f"{site.base}/b" not in state_of(tmp_path, "ex.com")

    # Without --prune a dropped page stays, as before.
    del site.extra_urls["/a"]
    kept = run_import(tmp_path, source, "--domain", "ex.com")
    assert kept.returncode == 0, kept.stderr
    assert stored(tmp_path, "ex.com") == everything


def test_a_state_file_without_sources_is_read_and_its_urls_never_pruned_unseen(
        site: Site, tmp_path: Path) -> None:
    # Written before sources were kept: {domain: {url: date}}. Its dates still count;
    # a URL the source no longer lists cannot be told from one the owner added.
    source = f"{site.base}/extra.xml"
    site.extra_urls = {"/a": "2026-01-01"}
    load_as_owner(tmp_path, "ex.com", [{"url": f"{site.base}/b", "title": "Old B"}])
    (tmp_path / "site.db.import-state.json").write_text(json.dumps({"ex.com": {
        f"{site.base}/a": "2026-01-01", f"{site.base}/b": "2026-01-01"}}))
    result = run_import(tmp_path, source, "--domain", "ex.com", "--prune")
    assert result.returncode == 0, result.stderr
    assert "imported: 0 sent, 1 unchanged, 0 skipped" in result.stderr
    assert "removed 0 titles" in result.stderr
    assert stored(tmp_path, "ex.com") == {f"{site.base}/b": "Old B"}
    # /a is this source's now: once it leaves, --prune removes it (nothing to remove:
    # it was never stored here, so only the state forgets it).
    assert state_of(tmp_path, "ex.com")[f"{site.base}/a"]["source"] == source
    site.extra_urls = {"/c": "2026-01-01"}
    again = run_import(tmp_path, source, "--domain", "ex.com", "--prune")
    assert f"already gone {site.base}/a: no longer in {source}" in again.stderr, again.stderr
    assert f"{site.base}/a" not in state_of(tmp_path, "ex.com")
    assert stored(tmp_path, "ex.com") == {f"{site.base}/b": "Old B", f"{site.base}/c": "Café crème"}


def test_prune_removes_nothing_when_part_of_the_source_was_not_read(
        site: Site, tmp_path: Path) -> None:
    # A sitemap of the index that fails for now lists nothing: its pages did not leave.
    source = f"{site.base}/index-of-two.xml"
    site.extra_urls = {"/c": "2026-01-01"}
    assert run_import(tmp_path, source, "--domain", "ex.com").returncode == 0
    before = stored(tmp_path, "ex.com")
    assert set(before) == {f"{site.base}/a", f"{site.base}/b", f"{site.base}/c"}

    site.broken.add("/sitemap-pages.xml")
    result = run_import(tmp_path, source, "--domain", "ex.com", "--prune")
    assert result.returncode == 0, result.stderr
    assert ("not pruned: part of the source was not read (listed above as skipped), "
            "so 2 titles that seem to have left it may not have") in result.stderr
    assert stored(tmp_path, "ex.com") == before


SUFFIXED = {"/install": f"Install {DASH} Docs", "/usage": f"Usage {DASH} Docs",
            "/faq": f"FAQ {DASH} Docs", "/api": f"API reference {DASH} Docs", "/blog": "Our blog"}


def test_strip_suffix_and_prefix_take_them_off_every_title(site: Site, tmp_path: Path) -> None:
    site.titles = {**SUFFIXED, "/only": f"{DASH} Docs", "/pre": "Docs: Start"}
    site.extra_urls = {path: "2026-01-01" for path in site.titles}
    source = f"{site.base}/extra.xml"
    result = run_import(tmp_path, source, "--domain", "ex.com",
                        "--strip-suffix", f" {DASH} Docs", "--strip-prefix", "Docs:")
    assert result.returncode == 0, result.stderr
    assert stored(tmp_path, "ex.com") == {
        f"{site.base}/install": "Install", f"{site.base}/usage": "Usage",
        f"{site.base}/faq": "FAQ", f"{site.base}/api": "API reference",
        f"{site.base}/blog": "Our blog",
        f"{site.base}/only": f"{DASH} Docs",  # nothing would be left: kept whole
        f"{site.base}/pre": "Start"}

    # Asked for later, it applies to titles already sent: their dates did not change.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert run_import(fresh, source, "--domain", "ex.com").returncode == 0
    assert stored(fresh, "ex.com")[f"{site.base}/install"] == f"Install {DASH} Docs"
    again = run_import(fresh, source, "--domain", "ex.com", "--strip-suffix", f"{DASH} Docs")
    assert again.returncode == 0, again.stderr
    assert "imported: 7 sent, 0 unchanged" in again.stderr
    assert stored(fresh, "ex.com")[f"{site.base}/install"] == "Install"
    same = run_import(fresh, source, "--domain", "ex.com", "--strip-suffix", f"{DASH} Docs")
    assert "imported: 0 sent, 7 unchanged" in same.stderr, same.stderr


def test_dry_run_shows_a_suffix_most_titles_share_and_the_flag_that_strips_it(
        site: Site, tmp_path: Path) -> None:
    site.titles = dict(SUFFIXED)
    site.extra_urls = {path: "" for path in site.titles}
    result = run_import(tmp_path, f"{site.base}/extra.xml", "--domain", "ex.com", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert (f"dry run: 4 of 5 titles end with ' {DASH} Docs'; --strip-suffix ' {DASH} Docs' "
            "strips it") in result.stderr
    assert "--strip-prefix" not in result.stderr

    stripped = run_import(tmp_path, f"{site.base}/extra.xml", "--domain", "ex.com",
                          "--dry-run", "--strip-suffix", f" {DASH} Docs")
    assert "end with" not in stripped.stderr  # once stripped, nothing more to suggest
    titles = {json.loads(line)["title"] for line in stripped.stdout.splitlines()}
    assert titles == {"Install", "Usage", "FAQ", "API reference", "Our blog"}


@pytest.mark.parametrize(("titles", "prefix", "suffix"), [
    (["Docs | Install", "Docs | Usage", "Docs | FAQ", "Docs | API"], "Docs | ", ""),
    (["A · Site", "B · Site", "C · Site", "D · Other", "E · Site"], "", " · Site"),
    ([f"A {DASH} Guide {DASH} Site", f"B {DASH} Site", f"C {DASH} Site"], "", f" {DASH} Site"),
    ([f"A {DASH} Site", f"B {DASH} Site", f"C {DASH} Site", "D", "E"], "", ""),  # 3 of 5: not most
    ([f"A {DASH} Site", f"B {DASH} Site"], "", ""),  # too few titles to tell
    (["Install guide", "Usage guide", "FAQ guide"], "", ""),  # no separator: a word
])
def test_common_affix_needs_a_separator_and_most_titles(titles: list[str], prefix: str,
                                                        suffix: str) -> None:
    from app.importer.affixes import common_affixes

    assert common_affixes(titles) == (prefix, suffix)
