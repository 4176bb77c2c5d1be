"""The search request, built once with `elasticsearch.dsl` for ES and OpenSearch.

Ranking follows the embedded engine's tiers (see `indexer.sqlite_fts`):
tier 1, the words as an in-order phrase of prefixes, scores 3 (2 + 1);
tier 2, all the words as prefixes in any order, scores 1. The scores are
constant, so sorting by `_score` sorts by tier; within a tier the order is the
embedded engine's: popularity, then `indexer.ranking.closeness` (see
`ranked`), then the shorter title, then the document written first.

Not here yet: the embedded engine's third tier (typo corrections).
"""

from typing import Any

from elasticsearch.dsl import Q, Search

from indexer.base import SearchQuery
from indexer.mapping import MAX_GRAM
from indexer.ranking import closeness

TIER_1_BOOST = 2.0
TIER_2_BOOST = 1.0
SOURCE_FIELDS = ["url", "title", "search_text"]
TIE_MARGIN = 50


def query_text(query: SearchQuery) -> str:
    # The index holds prefixes of at most MAX_GRAM characters; a longer query
    # word would otherwise match nothing, where the embedded engine matches it.
    return " ".join(word[:MAX_GRAM] for word in query.words)


def search_body(query: SearchQuery) -> dict[str, Any]:
    text = query_text(query)
    tier_2 = Q("constant_score", boost=TIER_2_BOOST,
               filter=Q("match", search_text={"query": text, "operator": "and"}))
    tier_1 = Q("constant_score", boost=TIER_1_BOOST,
               filter=Q("match_phrase", search_text={"query": text}))
    search = (
        Search()
        .filter("term", domain=query.domain)
        .filter("terms", group=["", *query.groups])
        .query(Q("bool", must=[tier_2], should=[tier_1]))
        .sort({"_score": "desc"}, {"popularity": "desc"}, {"title_length": "asc"},
              {"sequence": "asc"})
        .source(SOURCE_FIELDS)
        .extra(size=query.size + TIE_MARGIN, track_total_hits=False)
    )
    return search.to_dict()


def ranked(hits: list[dict[str, Any]], words: tuple[str, ...], size: int
           ) -> list[dict[str, Any]]:
    """Order each (tier, popularity) run by `indexer.ranking.closeness`.

    Done here rather than in a sort script so it needs no scripting module on
    the cluster; the engine returns TIE_MARGIN extra hits so the run at the
    cut-off is (nearly always) complete, as the embedded engine's MAX_TIE_ROWS.
    """
    def key(hit: dict[str, Any]) -> tuple[Any, ...]:
        score, popularity, length, sequence = hit["sort"]
        near = closeness(hit["_source"].get("search_text", ""), words)
        return (-score, -popularity, *near, length, sequence)

    return sorted(hits, key=key)[:size]


def domain_filter(domain: str) -> dict[str, Any]:
    """A count/delete-by-query body for every document of ``domain``."""
    return {"query": Q("term", domain=domain).to_dict()}
