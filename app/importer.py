"""`autocompeter import URL --domain D`: titles from a sitemap or a feed.

A feed (RSS 2.0 or Atom) already carries each entry's title and link. A sitemap
(a `urlset`, a `sitemapindex` of them, either maybe gzipped) carries only URLs,
so each page is fetched (at most `CONCURRENCY` at a time, robots.txt obeyed)
and its `<title>` (or `og:title`) taken; pages that fail are skipped and
listed at the end.

Re-running sends only what changed: the `lastmod` (sitemaps), `updated` (Atom)
or `pubDate` (RSS) of each URL sent is kept in a small JSON state file, and a
URL whose date is the same is not fetched or sent again. Entries without a
date are always sent.
"""

import argparse
import asyncio
import html
import sys
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser
from xml.etree.ElementTree import Element

import httpx
import orjson
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from tqdm import tqdm

from app.backends import Backends
from app.models import validate_documents
from app.settings import Settings, sqlite_path
from core.store import Document

CONCURRENCY = 8
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_XML_BYTES = 50 * 1024 * 1024
"""A sitemap may hold 50,000 URLs in 50 MB (sitemaps.org); more, gzipped or not, is refused."""
MAX_PAGE_BYTES = 1024 * 1024
"""Of a page only its head matters; a title past the first megabyte is not looked for."""
MAX_SITEMAPS = 1000
SEND_BATCH = 1000
TITLE_LENGTH = 500  # app.models.DocumentIn's limit


def user_agent() -> str:
    try:
        ours = version("autocompeter")
    except PackageNotFoundError:  # run from a checkout that was never installed
        ours = "dev"
    # No address of ours to point at: the project is self-hosted, and the site
    # being read is usually the operator's own.
    return f"Autocompeter-import/{ours} (site-search title import)"


class ImportFailed(Exception):
    """The source itself cannot be read: nothing to import."""


@dataclass
class Entry:
    """One URL found in the source; ``title`` is None until its page is read, and
    stays None when reading it failed."""

    url: str
    changed: str = ""
    title: str | None = None


@dataclass
class Source:
    entries: list[Entry] = field(default_factory=list)
    is_feed: bool = False


# -- reading XML ------------------------------------------------------------------------


def local_name(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def children(element: Element, name: str) -> Iterable[Element]:
    return (child for child in element if local_name(child) == name)


def child_text(element: Element, name: str) -> str:
    for child in children(element, name):
        return " ".join((child.text or "").split())
    return ""


def gunzip(body: bytes, url: str) -> bytes:
    """Gzip of at most MAX_XML_BYTES unpacked: a small file must not unpack to gigabytes."""
    unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = unpacker.decompress(body, MAX_XML_BYTES + 1)
    except zlib.error as error:
        raise ImportFailed(f"{url}: not valid gzip ({error})") from None
    if len(data) > MAX_XML_BYTES or unpacker.unconsumed_tail:
        raise ImportFailed(f"{url}: unpacks to more than {MAX_XML_BYTES} bytes")
    return data


def parse_xml(body: bytes, url: str) -> Element:
    if body[:2] == b"\x1f\x8b":  # gzip, whatever the name or the content type says
        body = gunzip(body, url)
    try:
        # defusedxml refuses entity expansion (billion laughs) and external entities.
        return fromstring(body)
    except (ParseError, DefusedXmlException) as error:
        raise ImportFailed(f"{url}: not a sitemap or feed ({error})") from None


def atom_link(entry: Element) -> str:
    for link in children(entry, "link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href", "")
    return ""


def feed_entries(root: Element, base: str) -> list[Entry] | None:
    """The entries of an RSS or Atom feed; None when ``root`` is not a feed."""
    name = local_name(root)
    if name == "rss":
        items = [item for channel in children(root, "channel")
                 for item in children(channel, "item")]
        return [Entry(urljoin(base, child_text(item, "link")), child_text(item, "pubDate"),
                      child_text(item, "title")) for item in items]
    if name == "feed":
        return [Entry(urljoin(base, atom_link(entry)), child_text(entry, "updated"),
                      child_text(entry, "title")) for entry in children(root, "entry")]
    return None


# -- fetching ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    status: int
    content_type: str
    charset: str
    content: bytes
    """at most the limit asked for, plus one byte when there was more"""


async def fetch(client: httpx.AsyncClient, url: str, limit: int) -> Fetched:
    """GET ``url``, reading at most ``limit`` (+1) bytes of its body."""
    async with client.stream("GET", url) as response:
        body = bytearray()
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > limit:
                break
        # Content-Encoding undone by hand: aiter_bytes would unpack without a bound.
        encoding = response.headers.get("content-encoding", "").lower()
        data = gunzip(bytes(body), url) if encoding == "gzip" else bytes(body[: limit + 1])
        kind = response.headers.get("content-type", "")
        return Fetched(response.status_code, kind.split(";")[0].strip().lower(),
                       response.charset_encoding or "utf-8", data)


async def read_source(client: httpx.AsyncClient, url: str) -> Source:
    """Every URL of the sitemap (following an index) or every entry of the feed."""
    source, pending, seen = Source(), [url], set()
    while pending:
        sitemap_url = pending.pop(0)
        if sitemap_url in seen:
            continue
        seen.add(sitemap_url)
        if len(seen) > MAX_SITEMAPS:
            raise ImportFailed(f"{url}: more than {MAX_SITEMAPS} sitemaps")
        try:
            response = await fetch(client, sitemap_url, MAX_XML_BYTES)
        except httpx.HTTPError as error:
            raise ImportFailed(f"{sitemap_url}: {describe_http_error(error)}") from None
        if response.status != 200:
            raise ImportFailed(f"{sitemap_url}: HTTP {response.status}")
        if len(response.content) > MAX_XML_BYTES:
            raise ImportFailed(f"{sitemap_url}: larger than {MAX_XML_BYTES} bytes")
        root = parse_xml(response.content, sitemap_url)
        entries = feed_entries(root, sitemap_url)
        if entries is not None:
            source.entries.extend(entries)
            source.is_feed = True
        elif local_name(root) == "sitemapindex":
            pending.extend(urljoin(sitemap_url, child_text(item, "loc"))
                           for item in children(root, "sitemap"))
        elif local_name(root) == "urlset":
            source.entries.extend(
                Entry(urljoin(sitemap_url, child_text(item, "loc")), child_text(item, "lastmod"))
                for item in children(root, "url"))
        else:
            raise ImportFailed(f"{sitemap_url}: <{local_name(root)}> is neither a sitemap "
                               "(urlset, sitemapindex) nor a feed (rss, feed)")
    return source


def describe_http_error(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    return f"{error.__class__.__name__} {error}".strip()


class Robots:
    """robots.txt of each site, fetched once with our own User-Agent and timeout."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.parsers: dict[str, RobotFileParser] = {}
        self.lock = asyncio.Lock()

    async def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        async with self.lock:
            if site not in self.parsers:
                self.parsers[site] = await self._load(site)
        return self.parsers[site].can_fetch(self.client.headers["User-Agent"], url)

    async def _load(self, site: str) -> RobotFileParser:
        parser = RobotFileParser(f"{site}/robots.txt")
        try:
            response = await fetch(self.client, f"{site}/robots.txt", MAX_PAGE_BYTES)
        except httpx.HTTPError:
            parser.parse([])  # unreachable: as if there were none
            return parser
        # As urllib.robotparser reads the codes: 401/403 forbid all, other 4xx allow all.
        if response.status in (401, 403):
            parser.disallow_all = True
        elif response.status == 200:
            parser.parse(response.content.decode("utf-8", "replace").splitlines())
        else:
            parser.parse([])
        return parser


class TitleParser(HTMLParser):
    """The page's <title> text and its og:title, whichever it has."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.og_title = ""
        self.in_title = False
        self.title_seen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and not self.title_seen:
            self.in_title = True
        elif tag == "meta":
            values = dict(attrs)
            if values.get("property") == "og:title" and not self.og_title:
                self.og_title = values.get("content") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.in_title:
            self.in_title, self.title_seen = False, True

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)


def page_title(markup: str) -> str:
    parser = TitleParser()
    parser.feed(markup)
    parser.close()
    for candidate in ("".join(parser.title), parser.og_title):
        title = " ".join(html.unescape(candidate).split())
        if title:
            return title[:TITLE_LENGTH]
    return ""


class PageSkipped(Exception):
    """A page gave no title; the message says why."""


async def read_title(client: httpx.AsyncClient, robots: Robots, url: str) -> str:
    if not await robots.allows(url):
        raise PageSkipped("disallowed by robots.txt")
    try:
        response = await fetch(client, url, MAX_PAGE_BYTES)
    except httpx.HTTPError as error:
        raise PageSkipped(describe_http_error(error)) from None
    except ImportFailed as error:
        raise PageSkipped(str(error)) from None
    if response.status != 200:
        raise PageSkipped(f"HTTP {response.status}")
    if response.content_type not in ("", "text/html", "application/xhtml+xml"):
        raise PageSkipped(f"not a web page ({response.content_type})")
    title = page_title(response.content.decode(response.charset, "replace"))
    if not title:
        raise PageSkipped("no <title> and no og:title")
    return title


# -- the state of earlier runs -------------------------------------------------------------


def default_state_path(settings: Settings) -> Path:
    """Next to the SQLite file; in the working directory for a PostgreSQL setup."""
    if settings.embedded:
        database = Path(sqlite_path(settings.database_url))
        return database.with_name(database.name + ".import-state.json")
    return Path("autocompeter-import-state.json")


def read_state(path: Path) -> dict[str, dict[str, str]]:
    """{domain: {url: the date it was sent with}}."""
    try:
        state = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, orjson.JSONDecodeError) as error:
        raise ImportFailed(f"cannot read the state file {path}: {error}") from None
    return state if isinstance(state, dict) else {}


def write_state(path: Path, state: dict[str, dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(orjson.dumps(state, option=orjson.OPT_INDENT_2))
    partial.replace(path)  # atomically: a crash leaves the old state, not half a file


# -- the command ---------------------------------------------------------------------------


@dataclass
class Outcome:
    documents: list[Document]
    sent: dict[str, str]
    """url -> date, of what is sent, for the state file"""
    skipped: list[tuple[str, str]]
    unchanged: int


async def collect(url: str, domain_state: dict[str, str], timeout: float,
                  progress: bool) -> Outcome:
    limits = httpx.Limits(max_connections=CONCURRENCY)
    # Only gzip is asked for: it is the one encoding `fetch` unpacks with a bound.
    headers = {"User-Agent": user_agent(), "Accept-Encoding": "gzip"}
    skipped: list[tuple[str, str]] = []
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=True, limits=limits,
                                 headers=headers) as client:
        source = await read_source(client, url)
        unique = {entry.url: entry for entry in source.entries if entry.url}
        todo = [entry for entry in unique.values()
                if not entry.changed or domain_state.get(entry.url) != entry.changed]
        if not source.is_feed:
            robots, gate = Robots(client), asyncio.Semaphore(CONCURRENCY)
            with tqdm(total=len(todo), unit="page", desc="reading pages", file=sys.stderr,
                      disable=not progress) as bar:
                async def one(entry: Entry) -> None:
                    try:
                        async with gate:
                            entry.title = await read_title(client, robots, entry.url)
                    except PageSkipped as reason:
                        skipped.append((entry.url, str(reason)))
                    bar.update(1)

                await asyncio.gather(*(one(entry) for entry in todo))
    titled = [entry for entry in todo if entry.title is not None]
    documents, invalid = validate_documents({"url": entry.url, "title": entry.title}
                                            for entry in titled)
    problems = dict(invalid)
    skipped.extend((entry.url, problems[index]) for index, entry in enumerate(titled)
                   if index in problems)
    sent = {entry.url: entry.changed for index, entry in enumerate(titled)
            if index not in problems}
    return Outcome(documents, sent, sorted(skipped), len(unique) - len(todo))


async def send(backends: Backends, domain: str, documents: list[Document]) -> None:
    with tqdm(total=len(documents), unit="doc", desc=f"sending to {domain}",
              file=sys.stderr) as bar:
        for start in range(0, len(documents), SEND_BATCH):
            batch = documents[start : start + SEND_BATCH]
            await backends.store.upsert(domain, batch)
            bar.update(len(batch))


def add_import_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    command = commands.add_parser(
        "import", help="titles from a sitemap (or sitemap index, gzipped or not) or a feed")
    command.add_argument("url", help="of a sitemap.xml, a sitemap index, an RSS or Atom feed")
    command.add_argument("--domain", required=True)
    command.add_argument("--dry-run", action="store_true",
                         help="print what would be sent (JSON lines), send nothing")
    command.add_argument("--state", type=Path,
                         help="the file of dates already sent (default: next to the SQLite "
                              "file, or ./autocompeter-import-state.json)")
    command.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS,
                         help="seconds per request (default %(default)s)")


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    from app.cli import with_backends

    state_path = args.state or default_state_path(settings)
    try:
        state = read_state(state_path)
        outcome = asyncio.run(collect(args.url, state.get(args.domain, {}), args.timeout,
                                      progress=not args.dry_run))
    except ImportFailed as error:
        # Like app.cli's CommandError (which `python -m app.cli` would import twice).
        print(f"autocompeter: {error}", file=sys.stderr)
        return 2
    for url, reason in outcome.skipped:
        print(f"skipped {url}: {reason}", file=sys.stderr)
    summary = (f"{len(outcome.documents)} to send, {outcome.unchanged} unchanged, "
               f"{len(outcome.skipped)} skipped")
    if args.dry_run:
        for document in outcome.documents:
            print(orjson.dumps({"url": document.url, "title": document.title}).decode())
        print(f"dry run: {summary}", file=sys.stderr)
        return 0
    if outcome.documents:
        async def work(backends: Backends) -> int:
            await send(backends, args.domain, outcome.documents)
            return 0

        asyncio.run(with_backends(settings, work))
    # Recorded only once stored: a failed send is tried again next time.
    state[args.domain] = {**state.get(args.domain, {}), **outcome.sent}
    write_state(state_path, state)
    print(f"imported: {summary}", file=sys.stderr)
    return 0

