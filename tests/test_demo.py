"""The demo corpus is real: read from the standard library's sources, linked to its docs."""

import re

import pytest

from app.pages.demo import DOCS, documented_pages, documents


@pytest.fixture(scope="module")
def corpus():
    return documents()


def by_anchor(corpus) -> dict:
    return {d.url.rpartition("#")[2]: d for d in corpus}


def test_demo_corpus_has_the_standard_library(corpus):
    by_url = {d.url: d for d in corpus}
    assert len(corpus) > 1000
    dumps = by_url["https://docs.python.org/3/library/json.html#json.dumps"]
    assert dumps.title == "json.dumps — Serialize obj to a JSON formatted str."
    compile_ = by_url["https://docs.python.org/3/library/re.html#re.compile"]
    assert compile_.popularity > 10  # used all over the standard library
    assert all(0 < len(d.title) <= 500 for d in corpus)
    assert len(by_url) == len(corpus)


@pytest.mark.parametrize("anchor, url", [
    ("module-json", "json.html#module-json"),
    ("os.path.join", "os.path.html#os.path.join"),  # posixpath on this machine
    ("os.path.exists", "os.path.html#os.path.exists"),  # from genericpath
    ("module-os.path", "os.path.html#module-os.path"),
    ("asyncio.gather", "asyncio-task.html#asyncio.gather"),  # asyncio.tasks.gather
    ("asyncio.Queue", "asyncio-queue.html#asyncio.Queue"),  # asyncio.queues.Queue
    ("urllib.parse.urlparse", "urllib.parse.html#urllib.parse.urlparse"),
])
def test_links_are_the_pages_and_anchors_of_the_docs(corpus, anchor, url):
    assert by_anchor(corpus)[anchor].url == DOCS + url


def test_every_link_is_a_documented_anchor_under_its_documented_name(corpus):
    pages = documented_pages()
    for document in corpus:
        page, _, anchor = document.url.removeprefix(DOCS).partition("#")
        assert page == f"{pages[anchor]}.html", document.url
        assert document.title.split(" — ")[0] == anchor.removeprefix("module-")
    names = " ".join(d.url for d in corpus)
    assert "posixpath" not in names and "asyncio.tasks" not in names
    assert "distutils" not in names  # removed from Python 3.12: no page on docs.python.org/3


def test_titles_are_whole_first_sentences_without_markup(corpus):
    titles = by_anchor(corpus)
    # Each of these first sentences spans two lines of its docstring.
    assert titles["abc.ABC"].title.endswith("create an ABC using inheritance.")
    assert titles["ast.literal_eval"].title.endswith("containing only a Python expression.")
    assert titles["ast.dump"].title == "ast.dump — Return a formatted dump of the tree in node."
    assert titles["module-ast"].title.startswith("ast — The ast module helps")
    markup = re.compile(r"``|:[a-z]+:`|`\w")
    assert [d.title for d in corpus if markup.search(d.title)] == []
    cut = [d.title for d in corpus if re.search(r"\b(the|a|an|of|to|and|or|in)$", d.title)]
    assert cut == []


def test_os_path_join_is_found_as_os_path_join(site, corpus):
    entries = [{"url": d.url, "title": d.title, "popularity": d.popularity} for d in corpus]
    assert site.bulk(entries).json()["count"] == len(corpus)
    assert site.urls("os path join")[0] == DOCS + "os.path.html#os.path.join"
    assert site.urls("asyncio gath")[0] == DOCS + "asyncio-task.html#asyncio.gather"
