"""HTTP GETs for the importer: only allowed hosts, robots.txt obeyed, each within a deadline.

Only the source's own host is read (and hosts given with --allow-host). Each
request must be done, body and all, within the timeout; redirects are followed
by hand, each target checked (http(s), host, robots.txt) before it is asked
for. A robots.txt that answers 401, 403 or 5xx, or cannot be read at all,
disallows the whole site (RFC 9309); another 4xx allows it. Bodies are cut at
the limit asked for, gzip undone as they come, so no answer can fill memory.
"""

import asyncio
import codecs
import zlib
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

CONCURRENCY = 8
"""Pages read at a time, and connections open at a time."""
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_PAGE_BYTES = 1024 * 1024
"""Of a page only its head matters; a title past the first megabyte is not looked for."""
MAX_REDIRECTS = 5
"""RFC 9309 asks to follow at least five for robots.txt; pages get the same."""


def user_agent() -> str:
    try:
        ours = version("autocompeter")
    except PackageNotFoundError:  # run from a checkout that was never installed
        ours = "dev"
    # No address of ours to point at: the project is self-hosted, and the site
    # being read is usually the operator's own.
    return f"Autocompeter-import/{ours} (site-search title import)"


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
class Download:
    """What one GET answered (the last hop, when there were redirects)."""

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
    InvalidURL on a Location such as "data:…". Downloader checks each target itself, so
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


class Downloader:
    """GETs with a deadline for each request, redirects followed by hand so that each
    target is checked (scheme, host, robots.txt) before it is asked for."""

    def __init__(self, client: httpx.AsyncClient, hosts: frozenset[str],
                 timeout: float) -> None:
        self.client, self.hosts, self.timeout = client, hosts, timeout
        self.robots = Robots(self)

    async def get(self, url: str, limit: int, obey_robots: bool = False) -> Download:
        """``url``, following at most MAX_REDIRECTS redirects."""
        for hop in range(MAX_REDIRECTS + 1):
            try:
                check_url(url, self.hosts)
                if obey_robots:
                    await self.robots.check(url)
                response = await self.get_once(url, limit)
            except Skipped as reason:
                raise Skipped(f"redirected to {shown(url)}: {reason}" if hop else
                              str(reason)) from None
            if response.location is None:
                return response
            url = absolute(url, response.location)
        raise Skipped(f"more than {MAX_REDIRECTS} redirects")

    async def get_once(self, url: str, limit: int) -> Download:
        """One request, all of it (connecting, headers, body) within ``timeout`` seconds:
        a server sending a byte a second never times out a read, only this deadline."""
        try:
            async with asyncio.timeout(self.timeout):
                async with self.client.stream("GET", url) as response:
                    location = response.extensions.get(LOCATION)
                    if response.status_code in REDIRECTS and location is not None:
                        return Download(response.status_code, "", "", b"", location)
                    content = await read_body(response, limit)
        except (TimeoutError, httpx.TimeoutException):
            raise Skipped("timed out") from None
        except httpx.HTTPError as error:
            raise Skipped(describe_http_error(error)) from None
        except httpx.InvalidURL as error:
            raise Skipped(f"not a valid URL ({error})") from None
        kind = response.headers.get("content-type", "")
        return Download(response.status_code, kind.split(";")[0].strip().lower(),
                        known_charset(response.charset_encoding), content)


def known_charset(charset: str | None) -> str:
    """The page's charset when Python knows it, else UTF-8 (what browsers mostly guess)."""
    try:
        return codecs.lookup(charset or "utf-8").name
    except LookupError:
        return "utf-8"


@dataclass(frozen=True)
class RobotsRules:
    parser: RobotFileParser
    why_all_disallowed: str = ""


class Robots:
    """robots.txt of each site, downloaded once (RFC 9309): 401/403, a 5xx or no answer
    disallow all; another 4xx allows all. Each site is loaded by a task of its own, so
    a slow robots.txt holds up only the pages of its own site, at most one deadline."""

    def __init__(self, downloader: "Downloader") -> None:
        self.downloader = downloader
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
        if not rules.parser.can_fetch(self.downloader.client.headers["User-Agent"], url):
            raise Skipped("disallowed by robots.txt")

    async def _load(self, site: str) -> RobotsRules:
        parser = RobotFileParser(f"{site}/robots.txt")
        try:
            response = await self.downloader.get(f"{site}/robots.txt", MAX_PAGE_BYTES)
        except Skipped as reason:
            return RobotsRules(parser, f"not read: {reason}; "
                                       "an unreachable robots.txt disallows all")
        if response.status in (401, 403) or response.status >= 500:
            return RobotsRules(parser, f"HTTP {response.status} disallows all")
        lines = (response.content.decode("utf-8", "replace").splitlines()
                 if response.status == 200 else [])  # another 4xx: no rules, all allowed
        await asyncio.to_thread(parser.parse, lines)
        return RobotsRules(parser)


@asynccontextmanager
async def downloader(source_url: str, timeout: float,
                     allow_hosts: Iterable[str] = ()) -> AsyncIterator[Downloader]:
    """A Downloader for the source's host and ``allow_hosts``, its connections closed after."""
    limits = httpx.Limits(max_connections=CONCURRENCY)
    # Only gzip is asked for: it is the one encoding `read_body` unpacks with a bound.
    headers = {"User-Agent": user_agent(), "Accept-Encoding": "gzip"}
    hosts = frozenset({own_host(source_url), *map(host_name, allow_hosts)})
    # Redirects are followed by Downloader, which checks each target first.
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, limits=limits,
                                 headers=headers,
                                 event_hooks={"response": [set_location_aside]}) as client:
        yield Downloader(client, hosts, timeout)
