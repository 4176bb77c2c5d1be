"""A miss costs the scaled engine two requests, as a hit one (issue 24: engine requests per
miss <= 2): the exact step, then one survey that also learns which corrections the titles
hold and carries the step the flow likely takes next (`core.search.Guess`).

On the real OpenSearch node, an index of the test's own. Counted once the typo tier's word
lists are cached, as a worker holds them (fetched again in the background, not per search):
each query is searched once before it is counted, with the engine's generation held still.
The answers are compared with those of the same engine with its guesses turned off (a
subclass: the flow then asks each step in turn, as before), so only the cost changes.
"""

import asyncio
import uuid
from typing import Any

import pytest

import scaled.cluster
from core.engine import SearchQuery, SearchResult
from core.search import Guess, Survey
from scaled.cluster import SearchCluster, open_cluster
from scaled.mapping import document_id, source
from scaled_setup.support import require_services

pytestmark = pytest.mark.scaled

DOMAIN = "misses.example"
TIED = 15
"""Titles of equal popularity per word: more than a page, so each page is cut in a tie."""
TITLES = [
    *(f"GNOME applet {number}" for number in range(TIED)),
    *(f"Python module {number}" for number in range(TIED)),
    *(f"Tools for python {number}" for number in range(TIED)),
    "sxhkd simple X hotkey daemon",
    "LibreOffice Calc spreadsheet",
    "LibreOffice Writer",
]
QUERIES = {  # query -> (the tier that answers it, engine requests)
    "python": ("exact", 1),
    "gnome sx": ("fewer words", 2),  # both words match alone, no title has both
    "applet sx": ("fewer words", 2),  # the same, "applet" in the middle of its titles
    "python zzzz": ("fewer words", 2),
    "zzzz python": ("fewer words", 2),
    "pyhton": ("corrected", 2),
    "libreoffice cxlc": ("corrected", 2),
    "cxlc libreoffice": ("corrected", 2),
    # A mistyped word whose correction no title has with the other word: the corrected
    # step of both finds nothing, and the first word alone answers (issue 24: the
    # cross-title stream's one search of three requests, `opentk gr` on the Debian titles).
    "cxlc gnome": ("fewer words", 2),
    "gnome cxlc": ("fewer words", 2),
}


Answer = tuple[list[str], list[str], str]
"""The URLs found, `terms` and the tier."""


class NoGuesses(SearchCluster):
    """The same engine without guesses: each step of a miss asked in turn."""

    async def likely_present(self, query: SearchQuery, forms: list[str]) -> set[str] | None:
        return None

    async def survey(self, query: SearchQuery, forms: list[str], guess: Guess | None = None
                     ) -> Survey:
        return await super().survey(query, forms, None)


def answer(result: SearchResult) -> Answer:
    return [hit.url for hit in result.hits], result.terms, result.tier


def query_of(text: str) -> SearchQuery:
    return SearchQuery(DOMAIN, tuple(text.split()))


async def load(cluster: SearchCluster) -> str:
    index = await cluster.ensure_index()
    operations: list[dict[str, Any]] = []
    for sequence, title in enumerate(TITLES):
        url = f"https://{DOMAIN}/{sequence}"
        operations += [{"index": {"_index": index, "_id": document_id(DOMAIN, url)}},
                       source(sequence, DOMAIN, url, title, "", 1.0)]
    assert not await cluster.bulk(operations, refresh=True)
    return index


async def requests_and_answers(cluster: SearchCluster) -> dict[str, tuple[str, int, Answer]]:
    """Each query's tier, engine requests and answer, searched once before it is counted."""
    cluster.generation = lambda _domain: 1  # type: ignore[method-assign]
    search_alias = cluster._search_alias
    sent = 0

    async def counted(body: Any, multi: bool = False, filter_path: str | None = None
                      ) -> dict[str, Any]:
        nonlocal sent
        sent += 1
        return await search_alias(body, multi, filter_path)

    found = {}
    for text in QUERIES:
        await cluster.search(query_of(text))  # caches the word lists it needs
        cluster._search_alias = counted  # type: ignore[method-assign]
        sent = 0
        result = await cluster.search(query_of(text))
        cluster._search_alias = search_alias  # type: ignore[method-assign]
        found[text] = (result.tier, sent, answer(result))
    return found


def test_a_miss_costs_two_engine_requests_and_answers_as_without_shortcuts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    search_url = require_services()[1]
    alias = f"test-{uuid.uuid4().hex[:10]}"

    async def searched(cluster: SearchCluster) -> dict[str, tuple[str, int, Answer]]:
        try:
            return await requests_and_answers(cluster)
        finally:
            await cluster.close()

    async def run() -> tuple[dict[str, tuple[str, int, Answer]], ...]:
        cluster = open_cluster(search_url, alias=alias)
        index = await load(cluster)
        try:
            # Every tie at a cut-off asked again, as before tie_settled.
            monkeypatch.setattr(scaled.cluster, "tie_settled", lambda *_args: False)
            plain = await searched(NoGuesses(cluster.config))
            monkeypatch.undo()
            return plain, await searched(open_cluster(search_url, alias=alias))
        finally:
            await cluster.delete_index(index)
            await cluster.close()

    plain, found = asyncio.run(run())
    assert {text: (tier, sent) for text, (tier, sent, _answer) in found.items()} == QUERIES
    for text, (_tier, _sent, answered) in found.items():
        assert answered[0], text
        assert answered == plain[text][2], text
