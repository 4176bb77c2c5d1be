"""The source of an import: a sitemap (a `urlset`, or a `sitemapindex` of them, either
maybe gzipped) or a feed (RSS 2.0 or Atom), read into the URLs it lists.

A feed already carries each entry's title, link and date; a sitemap carries only
URLs and dates, whose pages `titles.py` reads. The source itself must be read
(else `ImportFailed`); a sitemap of an index that cannot be is listed as skipped,
which makes the source incomplete: `--prune` then removes nothing.
"""

import asyncio
import zlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from app.importer.download import Downloader, Skipped, absolute
from app.shared.errors import Refused

MAX_XML_BYTES = 50 * 1024 * 1024
"""A sitemap may hold 50,000 URLs in 50 MB (sitemaps.org); more, gzipped or not, is refused."""
MAX_URLS_PER_SITEMAP = 50_000
"""The most a sitemap may list (sitemaps.org); the URLs after them are not read."""
MAX_SITEMAPS_PER_INDEX = 1000
"""Of an index, the sitemaps after the first 1,000 are not read."""
MAX_SITEMAPS = 1000
"""Nor more than 1,000 sitemaps in all, were indexes to list indexes."""


class ImportFailed(Refused):
    """The source itself cannot be read: nothing to import. The command prints why
    in one line and exits 2."""


@dataclass
class Entry:
    """One URL found in the source; ``title`` is None until its page is read, and
    stays None when reading it failed."""

    url: str
    changed: str = ""
    title: str | None = None


@dataclass
class Source:
    """What the source lists: its entries, and the sitemaps of it not read."""

    entries: list[Entry] = field(default_factory=list)
    is_feed: bool = False
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(sitemap URL, why it, or part of it, was not read); the source is complete
    when there are none: only then are the URLs it lacks known to have left it"""


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
    """``count`` and ``noun``, made plural unless one: "1 title", "3 titles"."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


async def read_xml(downloader: Downloader, url: str) -> Element:
    response = await downloader.get(url, MAX_XML_BYTES)
    if response.status != 200:
        raise Skipped(f"HTTP {response.status}")
    if len(response.content) > MAX_XML_BYTES:
        raise Skipped(f"larger than {MAX_XML_BYTES} bytes")
    return await asyncio.to_thread(parse_xml, response.content)


async def read_source(downloader: Downloader, url: str) -> Source:
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
            root = await read_xml(downloader, sitemap_url)
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
