"""`autocompeter import URL --domain D`: titles from a sitemap or a feed.

A feed (RSS 2.0 or Atom) already carries each entry's title and link. A sitemap
(a `urlset`, a `sitemapindex` of them, either maybe gzipped) carries only URLs,
so each page is fetched (at most `CONCURRENCY` at a time, robots.txt obeyed)
and its `<title>` (or `og:title`) taken; pages that fail are skipped and
listed at the end, as are sitemaps of an index that cannot be read.

Only the source's own host is read (and hosts given with --allow-host). Each
request must be done, body and all, within the timeout; redirects are
followed by hand, each target checked (http(s), host, robots.txt) before it
is asked for. A robots.txt that answers 401, 403 or 5xx, or cannot be read at
all, disallows the whole site (RFC 9309); another 4xx allows it.

Re-running sends only what changed: the `lastmod` (sitemaps), `updated` (Atom)
or `pubDate` (RSS) of each URL sent is kept in a small JSON state file, and a
URL whose date is the same is not fetched or sent again. Entries without a
date are always sent.

The state also keeps which source sent each URL, so that `--prune` removes the
titles of URLs that left that source, and only those: never a title the owner
added otherwise, nor one another source sent. `--strip-suffix` and
`--strip-prefix` take a text the site puts on every title (" | Docs") off it;
a dry run shows one that most titles share.
"""

import argparse
import asyncio
import codecs
import html
import re
import shlex
import sys
import zlib
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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

from app.shared.backends import Backends
from app.shared.models import validate_documents
from app.shared.settings import Settings, sqlite_path
from core.store import Document

CONCURRENCY = 8
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_XML_BYTES = 50 * 1024 * 1024
"""A sitemap may hold 50,000 URLs in 50 MB (sitemaps.org); more, gzipped or not, is refused."""
MAX_PAGE_BYTES = 1024 * 1024
"""Of a page only its head matters; a title past the first megabyte is not looked for."""
MAX_URLS_PER_SITEMAP = 50_000
"""The most a sitemap may list (sitemaps.org); the URLs after them are not read."""
MAX_SITEMAPS_PER_INDEX = 1000
"""Of an index, the sitemaps after the first 1,000 are not read."""
MAX_SITEMAPS = 1000
"""Nor more than 1,000 sitemaps in all, were indexes to list indexes."""
MAX_REDIRECTS = 5
"""RFC 9309 asks to follow at least five for robots.txt; pages get the same."""
SEND_BATCH = 1000
TITLE_LENGTH = 500  # app.shared.models.DocumentIn's limit
AFFIX_SEPARATORS = (" \N{EN DASH} ", " \N{EM DASH} ", " - ", " | ", " · ", " • ", " :: ",
                    " » ", " / ", ": ")
"""What sets a site's name off a page's in a title: a common end without one is a word."""
AFFIX_SHARE = 0.8
"""A dry run shows a prefix or suffix this share of the titles has..."""
AFFIX_MIN_TITLES = 3
"""...when there are at least this many titles to tell from."""


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
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(sitemap URL, why it, or part of it, was not read); the source is complete
    when there are none: only then are the URLs it lacks known to have left it"""


# -- reading XML ------------------------------------------------------------------------


def local_name(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def children(element: Element, name: str) -> Iterable[Element]:
    return (child for child in element if local_name(child) == name)


def child_text(element: Element, name: str) -> str:
    for child in children(element, name):
        return " ".join((child.text or "").split())
    return ""


def gunzip(body: bytes) -> bytes:
    """Gzip of at most MAX_XML_BYTES unpacked: a small file must not unpack to gigabytes."""
    unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = unpacker.decompress(body, MAX_XML_BYTES + 1)
    except zlib.error as error:
        raise Skipped(f"not valid gzip ({error})") from None
    if len(data) > MAX_XML_BYTES or unpacker.unconsumed_tail:
        raise Skipped(f"unpacks to more than {MAX_XML_BYTES} bytes")
    return data


def parse_xml(body: bytes) -> Element:
    if body[:2] == b"\x1f\x8b":  # gzip, whatever the name or the content type says
        body = gunzip(body)
    try:
        # defusedxml refuses entity expansion (billion laughs) and external entities.
        return fromstring(body)
    except (ParseError, DefusedXmlException) as error:
        raise Skipped(f"not a sitemap or feed ({error})") from None


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
        return [Entry(absolute(base, child_text(item, "link")), child_text(item, "pubDate"),
                      child_text(item, "title")) for item in items]
    if name == "feed":
        return [Entry(absolute(base, atom_link(entry)), child_text(entry, "updated"),
                      child_text(entry, "title")) for entry in children(root, "entry")]
    return None


# -- fetching ----------------------------------------------------------------------------


class Skipped(Exception):
    """A URL not read (a page, a sitemap, robots.txt); the message says why."""


def shown(url: str) -> str:
    """A URL for a message: a data: URL can be a megabyte."""
    return url if len(url) <= 200 else url[:200] + "…"


def host_name(value: str) -> str:
    """An --allow-host value as urlsplit spells a host: lower case, no brackets."""
    return value.strip().lower().removeprefix("[").removesuffix("]")


def check_url(url: str, hosts: frozenset[str]) -> None:
    """Raise Skipped unless ``url`` is an http(s) URL on one of ``hosts``."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port past 65535
    except ValueError as error:
        raise Skipped(f"not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise Skipped("not an http(s) URL")
    try:
        httpx.URL(url)
    except httpx.InvalidURL as error:
        raise Skipped(f"not a valid URL ({error})") from None
    host = parts.hostname
    if not host:
        raise Skipped("not a valid URL (no host)")
    if host not in hosts:
        raise Skipped(f"on another host ({host}; --allow-host {host} reads it)")


def own_host(url: str) -> str:
    """The source's host; "" when it has none (check_url then says what is wrong)."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def absolute(base: str, link: str) -> str:
    """``link`` made absolute; as it is when it cannot be (check_url then says why)."""
    try:
        return urljoin(base, link)
    except ValueError:  # "http://[bad": one bad URL must not stop the import
        return link


def describe_http_error(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    return f"{error.__class__.__name__} {error}".strip()


@dataclass(frozen=True)
class Fetched:
    status: int
    content_type: str
    charset: str
    content: bytes
    """at most the limit asked for, plus one byte when there was more, unpacked"""
    location: str | None = None
    """where a redirect points"""


REDIRECTS = frozenset({301, 302, 303, 307, 308})
LOCATION = "autocompeter.location"


async def set_location_aside(response: httpx.Response) -> None:
    """httpx builds a redirect's next request even when not following it, and raises
    InvalidURL on a Location such as "data:…". Fetcher checks each target itself, so
    this response hook moves the header out of httpx's sight, into the extensions."""
    if "location" in response.headers:
        response.extensions[LOCATION] = response.headers["location"]
        del response.headers["location"]


async def read_body(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` (+1) bytes of the body, gzip Content-Encoding undone as it comes:
    the limit counts unpacked bytes, so a small gzip bomb is cut like a big page."""
    unpacker = (zlib.decompressobj(16 + zlib.MAX_WBITS)
                if response.headers.get("content-encoding", "").lower() == "gzip" else None)
    body = bytearray()
    async for chunk in response.aiter_raw():
        if unpacker is not None:
            try:
                chunk = unpacker.decompress(chunk, limit + 1 - len(body))
            except zlib.error as error:
                raise Skipped(f"not valid gzip ({error})") from None
        body += chunk
        if len(body) > limit:
            break
    return bytes(body[: limit + 1])


class Fetcher:
    """GETs with a deadline for each request, redirects followed by hand so that each
    target is checked (scheme, host, robots.txt) before it is asked for."""

    def __init__(self, client: httpx.AsyncClient, hosts: frozenset[str],
                 timeout: float) -> None:
        self.client, self.hosts, self.timeout = client, hosts, timeout
        self.robots = Robots(self)

    async def get(self, url: str, limit: int, obey_robots: bool = False) -> Fetched:
        """``url``, following at most MAX_REDIRECTS redirects."""
        for hop in range(MAX_REDIRECTS + 1):
            try:
                check_url(url, self.hosts)
                if obey_robots:
                    await self.robots.check(url)
                response = await self.fetch_once(url, limit)
            except Skipped as reason:
                raise Skipped(f"redirected to {shown(url)}: {reason}" if hop else
                              str(reason)) from None
            if response.location is None:
                return response
            url = absolute(url, response.location)
        raise Skipped(f"more than {MAX_REDIRECTS} redirects")

    async def fetch_once(self, url: str, limit: int) -> Fetched:
        """One request, all of it (connecting, headers, body) within ``timeout`` seconds:
        a server sending a byte a second never times out a read, only this deadline."""
        try:
            async with asyncio.timeout(self.timeout):
                async with self.client.stream("GET", url) as response:
                    location = response.extensions.get(LOCATION)
                    if response.status_code in REDIRECTS and location is not None:
                        return Fetched(response.status_code, "", "", b"", location)
                    content = await read_body(response, limit)
        except (TimeoutError, httpx.TimeoutException):
            raise Skipped("timed out") from None
        except httpx.HTTPError as error:
            raise Skipped(describe_http_error(error)) from None
        except httpx.InvalidURL as error:
            raise Skipped(f"not a valid URL ({error})") from None
        kind = response.headers.get("content-type", "")
        return Fetched(response.status_code, kind.split(";")[0].strip().lower(),
                       known_charset(response.charset_encoding), content)


def known_charset(charset: str | None) -> str:
    """The page's charset when Python knows it, else UTF-8 (what browsers mostly guess)."""
    try:
        return codecs.lookup(charset or "utf-8").name
    except LookupError:
        return "utf-8"


# -- sitemaps and feeds ------------------------------------------------------------------


def urlset_entries(root: Element, sitemap_url: str, source: Source) -> None:
    urls = list(children(root, "url"))
    source.entries.extend(Entry(absolute(sitemap_url, child_text(item, "loc")),
                                child_text(item, "lastmod"))
                          for item in urls[:MAX_URLS_PER_SITEMAP])
    if (more := len(urls) - MAX_URLS_PER_SITEMAP) > 0:
        source.skipped.append((sitemap_url, f"{plural(more, 'more URL')} not read: "
                                            f"a sitemap is read up to {MAX_URLS_PER_SITEMAP}"))


def index_entries(root: Element, index_url: str, source: Source) -> list[str]:
    sitemaps = [absolute(index_url, child_text(item, "loc"))
                for item in children(root, "sitemap")]
    if (more := len(sitemaps) - MAX_SITEMAPS_PER_INDEX) > 0:
        source.skipped.append((index_url, f"{plural(more, 'more sitemap')} not read: "
                                          f"an index is read up to {MAX_SITEMAPS_PER_INDEX}"))
    return sitemaps[:MAX_SITEMAPS_PER_INDEX]


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


async def read_xml(fetcher: Fetcher, url: str) -> Element:
    response = await fetcher.get(url, MAX_XML_BYTES)
    if response.status != 200:
        raise Skipped(f"HTTP {response.status}")
    if len(response.content) > MAX_XML_BYTES:
        raise Skipped(f"larger than {MAX_XML_BYTES} bytes")
    return await asyncio.to_thread(parse_xml, response.content)


async def read_source(fetcher: Fetcher, url: str) -> Source:
    """Every URL of the sitemap (following an index) or every entry of the feed. The
    source itself must be read; a sitemap of an index that cannot be is skipped."""
    source, pending, seen = Source(), deque([url]), set()
    while pending:
        sitemap_url = pending.popleft()
        if sitemap_url in seen:
            continue
        if len(seen) == MAX_SITEMAPS:
            source.skipped.append((sitemap_url, f"not read: an import reads at most "
                                                f"{MAX_SITEMAPS} sitemaps"))
            continue
        seen.add(sitemap_url)
        try:
            root = await read_xml(fetcher, sitemap_url)
            entries = feed_entries(root, sitemap_url)
            if entries is not None:
                source.entries.extend(entries)
                source.is_feed = True
            elif local_name(root) == "sitemapindex":
                pending.extend(index_entries(root, sitemap_url, source))
            elif local_name(root) == "urlset":
                urlset_entries(root, sitemap_url, source)
            else:
                raise Skipped(f"<{local_name(root)}> is neither a sitemap "
                              "(urlset, sitemapindex) nor a feed (rss, feed)")
        except Skipped as reason:
            if sitemap_url == url:
                raise ImportFailed(f"{url}: {reason}") from None
            source.skipped.append((sitemap_url, f"sitemap not read: {reason}"))
    return source


# -- robots.txt ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RobotsRules:
    parser: RobotFileParser
    why_all_disallowed: str = ""


class Robots:
    """robots.txt of each site, fetched once (RFC 9309): 401/403, a 5xx or no answer
    disallow all; another 4xx allows all. Each site is loaded by a task of its own, so
    a slow robots.txt holds up only the pages of its own site, at most one deadline."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self.sites: dict[str, asyncio.Future[RobotsRules]] = {}

    async def check(self, url: str) -> None:
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        if site not in self.sites:
            self.sites[site] = asyncio.ensure_future(self._load(site))
        # Shielded: a page given up on must not cancel the load the others wait for.
        rules = await asyncio.shield(self.sites[site])
        if rules.why_all_disallowed:
            raise Skipped(f"disallowed by robots.txt ({rules.why_all_disallowed})")
        if not rules.parser.can_fetch(self.fetcher.client.headers["User-Agent"], url):
            raise Skipped("disallowed by robots.txt")

    async def _load(self, site: str) -> RobotsRules:
        parser = RobotFileParser(f"{site}/robots.txt")
        try:
            response = await self.fetcher.get(f"{site}/robots.txt", MAX_PAGE_BYTES)
        except Skipped as reason:
            return RobotsRules(parser, f"not read: {reason}; "
                                       "an unreachable robots.txt disallows all")
        if response.status in (401, 403) or response.status >= 500:
            return RobotsRules(parser, f"HTTP {response.status} disallows all")
        lines = (response.content.decode("utf-8", "replace").splitlines()
                 if response.status == 200 else [])  # another 4xx: no rules, all allowed
        await asyncio.to_thread(parser.parse, lines)
        return RobotsRules(parser)


# -- page titles ---------------------------------------------------------------------------
# Not html.parser: Python 3.11's is quadratic on runs of "<!--" and the like (64 kB took
# 14 s) and raises AssertionError on some markup ("<![foo["). This scanner finds only
# what a title needs, in one pass: each search either moves on past what it found or,
# finding nothing, ends the scan, as an unclosed comment, tag or script ends a page.

TAG_NAME = re.compile(r"[a-zA-Z][^\s/>]*")
ATTRIBUTE = re.compile(  # a name, maybe = and a value, quoted ("", '') or not
    r"""[\s/]*([^\s/>"'=][^\s/>=]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""")
RAW_TEXT_END = {name: re.compile(rf"</{name}[\s/>]", re.IGNORECASE)
                for name in ("script", "style", "title")}


@dataclass
class TitleScan:
    """The text of the first <title> and the content of the first og:title meta."""

    markup: str
    position: int = 0
    title: str | None = None
    og_title: str | None = None

    def run(self) -> str:
        # A blank <title> does not end the scan: an og:title after it may still serve.
        while not (self.title or "").strip() and self.step():
            pass
        for candidate in (self.title, self.og_title):
            text = " ".join(html.unescape(candidate or "").split())
            if text:
                return text[:TITLE_LENGTH]
        return ""

    def step(self) -> bool:
        """Read past the next markup construct; False when there is no more to read."""
        markup, start = self.markup, self.markup.find("<", self.position)
        if start < 0:
            return False
        if markup.startswith("<!--", start):
            return self.skip_comment(start + 4)
        if name := TAG_NAME.match(markup, start + 1):
            return self.start_tag(name.group().lower(), name.end())
        if markup.startswith(("<!", "<?", "</"), start):  # doctype, end tag, bogus comment
            return self.skip_past(">", start + 2)
        self.position = start + 1  # a lone "<" is text
        return True

    def skip_comment(self, inside: int) -> bool:
        if self.markup.startswith((">", "->"), inside):  # "<!-->", "<!--->": empty
            self.position = self.markup.index(">", inside) + 1
            return True
        return self.skip_past("-->", inside)

    def skip_past(self, end: str, start: int) -> bool:
        found = self.markup.find(end, start)
        self.position = found + len(end)
        return found >= 0

    def start_tag(self, name: str, position: int) -> bool:
        attributes: dict[str, str] = {}
        while attribute := ATTRIBUTE.match(self.markup, position):
            key, *values = attribute.groups()
            attributes.setdefault(key.lower(), next((v for v in values if v is not None), ""))
            position = attribute.end()
        if not self.skip_past(">", position):
            return False
        if name == "meta" and attributes.get("property") == "og:title":
            if self.og_title is None:
                self.og_title = attributes.get("content", "")
        elif name in RAW_TEXT_END:
            end = RAW_TEXT_END[name].search(self.markup, self.position)
            if name == "title" and self.title is None:  # unclosed: runs to the end
                self.title = self.markup[self.position : end.start() if end else None]
            if end is None:
                return False
            self.position = end.start()
        return True


def page_title(markup: str) -> str:
    return TitleScan(markup).run()


def title_of(content: bytes, charset: str) -> str:
    return page_title(content[:MAX_PAGE_BYTES].decode(charset, "replace"))


async def read_title(fetcher: Fetcher, url: str) -> str:
    response = await fetcher.get(url, MAX_PAGE_BYTES, obey_robots=True)
    if response.status != 200:
        raise Skipped(f"HTTP {response.status}")
    if response.content_type not in ("", "text/html", "application/xhtml+xml"):
        raise Skipped(f"not a web page ({response.content_type})")
    # Off the event loop: a megabyte of markup is CPU work the other fetches need not wait on.
    title = await asyncio.to_thread(title_of, response.content, response.charset)
    if not title:
        raise Skipped("no <title> and no og:title")
    return title


# -- the state of earlier runs -------------------------------------------------------------


def default_state_path(settings: Settings) -> Path:
    """Next to the SQLite file; in the working directory for a PostgreSQL setup."""
    if settings.embedded:
        database = Path(sqlite_path(settings.database_url))
        return database.with_name(database.name + ".import-state.json")
    return Path("autocompeter-import-state.json")


@dataclass(frozen=True)
class Record:
    """What the state file keeps of a URL sent."""

    changed: str
    """the date it was sent with ("" for none)"""
    source: str = ""
    """the sitemap or feed that listed it; "" in a state written before sources were kept"""
    trim: str = ""
    """the prefix and suffix its title was stripped of (Trim.key)"""

    @classmethod
    def of(cls, value: object) -> "Record":
        if isinstance(value, str):  # a state file written before sources were kept
            return cls(value)
        if isinstance(value, dict):
            return cls(*(str(value.get(name, "")) for name in ("changed", "source", "trim")))
        return cls("")

    def saved(self) -> dict[str, str]:
        return {"changed": self.changed, "source": self.source, "trim": self.trim}


State = dict[str, dict[str, object]]
"""{domain: {url: Record.saved()}}, as read from and written to the state file."""


def read_state(path: Path) -> State:
    """{domain: {url: what was sent}}; a value may be a bare date (older files)."""
    try:
        state = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, orjson.JSONDecodeError) as error:
        raise ImportFailed(f"cannot read the state file {path}: {error}") from None
    return state if isinstance(state, dict) else {}


def write_state(path: Path, state: State) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(orjson.dumps(state, option=orjson.OPT_INDENT_2))
    partial.replace(path)  # atomically: a crash leaves the old state, not half a file


# -- a site's prefix and suffix ------------------------------------------------------------


@dataclass(frozen=True)
class Trim:
    """--strip-prefix and --strip-suffix: a text the site puts on every title."""

    prefix: str = ""
    suffix: str = ""

    def __post_init__(self) -> None:
        # As titles are: " | Docs" and "| Docs" strip the same.
        object.__setattr__(self, "prefix", " ".join(self.prefix.split()))
        object.__setattr__(self, "suffix", " ".join(self.suffix.split()))

    def apply(self, title: str) -> str:
        """``title`` without them; whole when nothing would be left of it."""
        trimmed = title
        if self.suffix and trimmed.endswith(self.suffix):
            trimmed = trimmed.removesuffix(self.suffix)
        if self.prefix and trimmed.startswith(self.prefix):
            trimmed = trimmed.removeprefix(self.prefix)
        return " ".join(trimmed.split()) or title

    @property
    def key(self) -> str:
        """For the state file: a title stripped otherwise is sent again."""
        if not (self.prefix or self.suffix):
            return ""
        return orjson.dumps([self.prefix, self.suffix]).decode()


def common_affixes(titles: list[str]) -> tuple[str, str]:
    """The (prefix, suffix) that AFFIX_SHARE of ``titles`` share, each "" when none:
    the text before a title's first separator, or from its last one on."""
    prefixes, suffixes = Counter[str](), Counter[str]()
    for title in titles:
        found = [(at, separator) for separator in AFFIX_SEPARATORS
                 if (at := title.find(separator)) > 0]
        if found:
            at, separator = min(found)
            prefixes[title[: at + len(separator)]] += 1
        last = [(at, separator) for separator in AFFIX_SEPARATORS
                if (at := title.rfind(separator)) > 0 and separator != ": "]
        if last:
            suffixes[title[max(last)[0]:]] += 1
    return most_titles(prefixes, len(titles)), most_titles(suffixes, len(titles))


def most_titles(counts: Counter[str], titles: int) -> str:
    if titles < AFFIX_MIN_TITLES or not counts:
        return ""
    affix, count = counts.most_common(1)[0]
    return affix if count >= AFFIX_SHARE * titles else ""


def suggest_affixes(titles: list[str]) -> list[str]:
    """Lines for a dry run: the prefix or suffix most titles share, and the flag for it."""
    prefix, suffix = common_affixes(titles)
    lines = []
    if prefix:
        count = sum(title.startswith(prefix) for title in titles)
        lines.append(f"{count} of {len(titles)} titles start with {shlex.quote(prefix)}; "
                     f"--strip-prefix {shlex.quote(prefix)} strips it")
    if suffix:
        count = sum(title.endswith(suffix) for title in titles)
        lines.append(f"{count} of {len(titles)} titles end with {shlex.quote(suffix)}; "
                     f"--strip-suffix {shlex.quote(suffix)} strips it")
    return lines


# -- the command ---------------------------------------------------------------------------


@dataclass
class Outcome:
    documents: list[Document]
    sent: dict[str, Record]
    """url -> what the state file keeps of it, of what is sent"""
    skipped: list[tuple[str, str]]
    unchanged: int
    listed: frozenset[str] = frozenset()
    """every URL the source lists, read or not"""
    complete: bool = True
    """the whole source was read (no sitemap of it skipped or cut short)"""


async def collect(url: str, domain_state: Mapping[str, object], timeout: float,
                  progress: bool, allow_hosts: Iterable[str] = (),
                  trim: Trim = Trim()) -> Outcome:
    limits = httpx.Limits(max_connections=CONCURRENCY)
    # Only gzip is asked for: it is the one encoding `read_body` unpacks with a bound.
    headers = {"User-Agent": user_agent(), "Accept-Encoding": "gzip"}
    hosts = frozenset({own_host(url), *map(host_name, allow_hosts)})
    # Redirects are followed by Fetcher, which checks each target first.
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, limits=limits,
                                 headers=headers,
                                 event_hooks={"response": [set_location_aside]}) as client:
        fetcher = Fetcher(client, hosts, timeout)
        source = await read_source(fetcher, url)
        unique = {entry.url: entry for entry in source.entries if entry.url}
        todo = [entry for entry in unique.values()
                if not unchanged(entry, Record.of(domain_state.get(entry.url)), trim)]
        complete = not source.skipped
        skipped = source.skipped
        if not source.is_feed:
            skipped += await read_titles(fetcher, todo, progress)
    titled = [entry for entry in todo if entry.title is not None]
    for entry in titled:
        entry.title = trim.apply(entry.title or "")
    documents, invalid = validate_documents({"url": entry.url, "title": entry.title}
                                            for entry in titled)
    problems = dict(invalid)
    skipped.extend((entry.url, problems[index]) for index, entry in enumerate(titled)
                   if index in problems)
    sent = {entry.url: Record(entry.changed, url, trim.key)
            for index, entry in enumerate(titled) if index not in problems}
    return Outcome(documents, sent, sorted(skipped), len(unique) - len(todo),
                   frozenset(unique), complete)


def unchanged(entry: Entry, record: Record, trim: Trim) -> bool:
    """Sent before with the same date, its title stripped the same way."""
    return bool(entry.changed) and (record.changed, record.trim) == (entry.changed, trim.key)


async def read_titles(fetcher: Fetcher, todo: list[Entry],
                      progress: bool) -> list[tuple[str, str]]:
    """Each entry's title, CONCURRENCY pages at a time; (url, why) of those not read."""
    gate, skipped = asyncio.Semaphore(CONCURRENCY), []
    with tqdm(total=len(todo), unit="page", desc="reading pages", file=sys.stderr,
              disable=not progress) as bar:
        async def one(entry: Entry) -> None:
            try:
                async with gate:
                    entry.title = await read_title(fetcher, entry.url)
            except Skipped as reason:
                skipped.append((entry.url, str(reason)))
            except Exception as error:  # whatever else one odd page causes: listed
                skipped.append((entry.url, f"failed: {error.__class__.__name__} {error}"))
            bar.update(1)

        await asyncio.gather(*(one(entry) for entry in todo))
    return skipped


async def send(backends: Backends, domain: str, documents: list[Document]) -> None:
    with tqdm(total=len(documents), unit="doc", desc=f"sending to {domain}",
              file=sys.stderr) as bar:
        for start in range(0, len(documents), SEND_BATCH):
            batch = documents[start : start + SEND_BATCH]
            await backends.store.upsert(domain, batch)
            bar.update(len(batch))


def left_the_source(domain_state: Mapping[str, object], source: str,
                    listed: frozenset[str]) -> list[str]:
    """URLs that ``source`` sent before and no longer lists: what --prune removes. A URL
    the owner added otherwise, or another source sent, is not in the state as this one's."""
    return sorted(url for url, value in domain_state.items()
                  if url not in listed and Record.of(value).source == source)


def to_prune(domain_state: Mapping[str, object], source: str, outcome: Outcome) -> list[str]:
    """What --prune removes; nothing, said why, when the source may only seem to lack them."""
    gone = left_the_source(domain_state, source, outcome.listed)
    if gone and not outcome.complete:
        print("not pruned: part of the source was not read (listed above as skipped), so "
              f"{plural(len(gone), 'title')} that seem to have left it may not have",
              file=sys.stderr)
        return []
    if gone and not outcome.listed:
        print(f"not pruned: the source lists no URLs at all, more likely a broken site than "
              f"{plural(len(gone), 'page')} removed", file=sys.stderr)
        return []
    return gone


async def remove(backends: Backends, domain: str, urls: list[str], source: str) -> int:
    """Delete the titles of ``urls``; how many there were (the owner may have gone first)."""
    removed = 0
    for url in urls:
        # The store's delete, as DELETE /v1?url= does it.
        if await backends.store.delete(domain, url):
            removed += 1
            print(f"removed {url}: no longer in {source}", file=sys.stderr)
        else:  # the owner removed it already: only the state forgets it
            print(f"already gone {url}: no longer in {source}", file=sys.stderr)
    return removed


def next_state(domain_state: Mapping[str, object], source: str, outcome: Outcome,
               removed: list[str]) -> dict[str, object]:
    """The domain's state after a run: what was sent, without what was removed."""
    kept = {url: value for url, value in domain_state.items() if url not in set(removed)}
    # What the source still lists but was not sent this time is still its own (a
    # state written before sources were kept learns them here).
    for url in (outcome.listed & kept.keys()) - outcome.sent.keys():
        record = Record.of(kept[url])
        kept[url] = Record(record.changed, source, record.trim).saved()
    kept.update({url: record.saved() for url, record in outcome.sent.items()})
    return kept


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
                         help="seconds each request may take in all, from connecting to "
                              "the last byte (default %(default)s)")
    command.add_argument("--allow-host", action="append", default=[], metavar="HOST",
                         help="also read pages and sitemaps on HOST (by default only the "
                              "source's own host); may be repeated")
    command.add_argument("--prune", action="store_true",
                         help="remove the titles this source sent before whose URLs it no "
                              "longer lists (never titles added otherwise); with --dry-run, "
                              "list them")
    command.add_argument("--strip-suffix", default="", metavar="TEXT",
                         help="take TEXT off the end of every title that has it, such as "
                              "' \N{EN DASH} Docs' (a dry run shows one most titles share)")
    command.add_argument("--strip-prefix", default="", metavar="TEXT",
                         help="take TEXT off the start of every title that has it")


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    from app.cli import with_backends

    state_path = args.state or default_state_path(settings)
    try:
        state = read_state(state_path)
        domain_state = state.get(args.domain, {})
        outcome = asyncio.run(collect(args.url, domain_state, args.timeout,
                                      progress=not args.dry_run,
                                      allow_hosts=args.allow_host,
                                      trim=Trim(args.strip_prefix, args.strip_suffix)))
    except ImportFailed as error:
        # Like app.cli's CommandError (which `python -m app.cli` would import twice).
        print(f"autocompeter: {error}", file=sys.stderr)
        return 2
    for url, reason in outcome.skipped:
        print(f"skipped {url}: {reason}", file=sys.stderr)
    # Said before sending in a dry run, after it otherwise: "to send" or "sent".
    sending = "to send" if args.dry_run else "sent"
    summary = (f"{len(outcome.documents)} {sending}, {outcome.unchanged} unchanged, "
               f"{len(outcome.skipped)} skipped")
    pruned = to_prune(domain_state, args.url, outcome) if args.prune else []
    if args.dry_run:
        dry_run(outcome, pruned, summary, args)
        return 0
    removed = 0
    if outcome.documents or pruned:
        async def work(backends: Backends) -> int:
            await send(backends, args.domain, outcome.documents)
            return await remove(backends, args.domain, pruned, args.url)

        removed = asyncio.run(with_backends(settings, work))
    # Recorded only once stored: a failed send is tried again next time.
    state[args.domain] = next_state(domain_state, args.url, outcome, pruned)
    write_state(state_path, state)
    print(f"imported: {summary}", file=sys.stderr)
    if args.prune:
        print(f"removed {plural(removed, 'title')} whose URL left the source",
              file=sys.stderr)
    return 0


def dry_run(outcome: Outcome, pruned: list[str], summary: str,
            args: argparse.Namespace) -> None:
    """What would be sent (stdout, JSON lines) and removed, and a prefix or suffix
    most titles share."""
    for document in outcome.documents:
        print(orjson.dumps({"url": document.url, "title": document.title}).decode())
    for url in pruned:
        print(f"would remove {url}: no longer in {args.url}", file=sys.stderr)
    print(f"dry run: {summary}", file=sys.stderr)
    if args.prune:
        print(f"dry run: {plural(len(pruned), 'title')} to remove", file=sys.stderr)
    for line in suggest_affixes([document.title for document in outcome.documents]):
        print(f"dry run: {line}", file=sys.stderr)

