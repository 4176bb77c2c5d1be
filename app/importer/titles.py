"""Page titles: each sitemap URL's page downloaded and its `<title>` (or `og:title`) taken.

At most `CONCURRENCY` pages at a time, robots.txt obeyed (`download.py`); a page
that fails is skipped with the reason, never the import. The markup is scanned
by hand, not with html.parser: Python 3.11's is quadratic on runs of "<!--" and
the like (64 kB took 14 s) and raises AssertionError on some markup ("<![foo[").
This scanner finds only what a title needs, in one pass: each search either
moves on past what it found or, finding nothing, ends the scan, as an unclosed
comment, tag or script ends a page.
"""

import asyncio
import html
import re
import sys
from dataclasses import dataclass

from tqdm import tqdm

from app.importer.download import CONCURRENCY, MAX_PAGE_BYTES, Downloader, Skipped
from app.importer.sources import Entry

TITLE_LENGTH = 500  # app.shared.models.DocumentIn's limit
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
    """The page's title, blanks collapsed and entities undone, at most TITLE_LENGTH
    characters; "" when it has none: `<title>A &amp; B</title>` gives "A & B"."""
    return TitleScan(markup).run()


def title_of(content: bytes, charset: str) -> str:
    return page_title(content[:MAX_PAGE_BYTES].decode(charset, "replace"))


async def read_title(downloader: Downloader, url: str) -> str:
    """The title of the page at ``url``; Skipped, saying why, when there is none to take."""
    response = await downloader.get(url, MAX_PAGE_BYTES, obey_robots=True)
    if response.status != 200:
        raise Skipped(f"HTTP {response.status}")
    if response.content_type not in ("", "text/html", "application/xhtml+xml"):
        raise Skipped(f"not a web page ({response.content_type})")
    # Off the event loop: a megabyte of markup is CPU work the other downloads need not wait on.
    title = await asyncio.to_thread(title_of, response.content, response.charset)
    if not title:
        raise Skipped("no <title> and no og:title")
    return title


async def read_titles(downloader: Downloader, todo: list[Entry],
                      progress: bool) -> list[tuple[str, str]]:
    """Each entry's title, CONCURRENCY pages at a time; (url, why) of those not read."""
    gate, skipped = asyncio.Semaphore(CONCURRENCY), []
    with tqdm(total=len(todo), unit="page", desc="reading pages", file=sys.stderr,
              disable=not progress) as bar:
        async def one(entry: Entry) -> None:
            try:
                async with gate:
                    entry.title = await read_title(downloader, entry.url)
            except Skipped as reason:
                skipped.append((entry.url, str(reason)))
            except Exception as error:  # whatever else one odd page causes: listed
                skipped.append((entry.url, f"failed: {error.__class__.__name__} {error}"))
            bar.update(1)

        await asyncio.gather(*(one(entry) for entry in todo))
    return skipped
