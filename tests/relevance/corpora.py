"""The corpora the relevance cases run on, as the documents a site would bulk-load.

Each corpus has short names for its URLs so that cases stay readable: a blog
post is its slug, a film its Wikipedia article name, a demo title its
`module.name` fragment, a mini title its path.

- ``blog``: ~1,000 real post titles of peterbe.com (data/blogposts.json),
  loaded as published: without popularity, so only the tiers and the
  tie-breaks decide.
- ``blog-recent``: the same titles with popularity = recency (the file lists
  the newest post first), as a blog that ranks by date would load them.
- ``movies``: real film titles (data/movies-2014.json). The file lists some
  films several times (it was compiled from several lists); each URL is loaded
  once, with popularity = how many times the file lists it, so the best-known
  films of 2014 (Birdman, Boyhood, The Grand Budapest Hotel, ...) rank first.
- ``demo``: the demo corpus, `app.pages.demo.documents()`: Python standard library
  titles with real popularity (how often the standard library uses a name).
- ``mini``: a hand-written intranet-style corpus (data/mini.json) for what the
  real corpora lack: Ø/Æ/Ł/ß accents, curly apostrophes, popularity ties, groups.
"""

import json
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

DATA = Path(__file__).resolve().parent / "data"
BLOG_PREFIX = "http://www.peterbe.com/plog/"
MOVIES_PREFIX = "http://en.wikipedia.org/wiki/"

Document = dict[str, Any]


def _items(name: str) -> list[Document]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))["items"]


def blog() -> list[Document]:
    return [{"url": item["url"], "title": item["title"]} for item in _items("blogposts.json")]


def blog_recent() -> list[Document]:
    items = blog()
    return [{**item, "popularity": len(items) - index} for index, item in enumerate(items)]


def movies() -> list[Document]:
    items = _items("movies-2014.json")
    listed = Counter(item["url"] for item in items)
    documents: dict[str, Document] = {}
    for item in items:
        documents.setdefault(item["url"], {"url": item["url"], "title": item["title"],
                                           "popularity": listed[item["url"]]})
    return list(documents.values())


def demo() -> list[Document]:
    from app.pages.demo import documents

    return [{"url": doc.url, "title": doc.title, "group": doc.group,
             "popularity": doc.popularity} for doc in documents()]


def mini() -> list[Document]:
    return _items("mini.json")


def _strip(prefix: str) -> Callable[[str], str]:
    return lambda url: unquote(url.removeprefix(prefix))


def _fragment(url: str) -> str:
    return url.rpartition("#")[2].removeprefix("module-")


@dataclass(frozen=True)
class Corpus:
    name: str
    load: Callable[[], list[Document]]
    short: Callable[[str], str]  # a result URL -> the name cases use for it
    synonyms: dict[str, Any] | None = None
    """The owner's synonyms (`PUT /v1/synonyms`) as a site with these titles would set them."""

    def documents(self) -> list[Document]:
        return _documents(self.name)


CORPORA: dict[str, Corpus] = {
    corpus.name: corpus
    for corpus in [
        Corpus("blog", blog, _strip(BLOG_PREFIX),
               {"synonyms": [["js", "javascript"]], "one_way": {"pg": ["postgresql"]}}),
        Corpus("blog-recent", blog_recent, _strip(BLOG_PREFIX)),
        Corpus("movies", movies, _strip(MOVIES_PREFIX), {"one_way": {"hp": ["potter"]}}),
        Corpus("demo", demo, _fragment),
        Corpus("mini", mini, str),
    ]
}


@cache
def _documents(name: str) -> list[Document]:
    return CORPORA[name].load()


def titles_by_short_name(name: str) -> dict[str, str]:
    """Short name -> title, to check that every case names titles that exist."""
    corpus = CORPORA[name]
    return {corpus.short(doc["url"]): doc["title"] for doc in corpus.documents()}


@cache
def _vocabulary(name: str) -> list[str]:
    from core.text import words

    return sorted({word for doc in CORPORA[name].documents() for word in words(doc["title"])})


def has_word_starting_with(name: str, beginning: str) -> bool:
    """Whether some title of the corpus has a word starting with ``beginning``."""
    vocabulary = _vocabulary(name)
    index = bisect_left(vocabulary, beginning)
    return index < len(vocabulary) and vocabulary[index].startswith(beginning)
