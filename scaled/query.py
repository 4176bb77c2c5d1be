"""The search request, built once with `elasticsearch.dsl` for ES and OpenSearch.

Ranking follows the embedded engine's tiers (see `embedded.engine`):
tier 1, the words as an in-order phrase of prefixes, scores 3 (2 + 1);
tier 2, all the words as prefixes in any order, scores 1. The scores are
constant, so sorting by `_score` sorts by tier; within a tier the order is the
embedded engine's, `core.ranking.order_key` (see `ranked`).

Tier 3, typo corrections, is a second request (`typo_body`), sent only when
the first two tiers leave room, as in the embedded engine: every word or one
of its corrections (`scaled.vocabulary`) as prefixes, excluding what
tier 2 matched, ranked the same way.
"""

from typing import Any

from elasticsearch.dsl import Q, Search

from core.engine import SearchQuery
from core.ranking import order_key
from scaled.mapping import MAX_GRAM

TIER_1_BOOST = 2.0
TIER_2_BOOST = 1.0
SOURCE_FIELDS = ["url", "title", "search_text"]
TIE_MARGIN = 50


def query_text(words: tuple[str, ...]) -> str:
    # The index holds prefixes of at most MAX_GRAM characters; a longer query
    # word would otherwise match nothing, where the embedded engine matches it.
    return " ".join(word[:MAX_GRAM] for word in words)


def all_prefixes(words: tuple[str, ...]) -> Q:
    """Every word as a prefix, in any order (tier 2's match)."""
    return Q("match", search_text={"query": query_text(words), "operator": "and"})


def _ranked_search(query: SearchQuery, matching: Q, size: int) -> dict[str, Any]:
    search = (
        Search()
        .filter("term", domain=query.domain)
        .filter("terms", group=["", *query.groups])
        .query(matching)
        .sort({"_score": "desc"}, {"popularity": "desc"}, {"title_length": "asc"},
              {"sequence": "asc"})
        .source(SOURCE_FIELDS)
        .extra(size=size + TIE_MARGIN, track_total_hits=False)
    )
    return search.to_dict()


def search_body(query: SearchQuery, size: int | None = None) -> dict[str, Any]:
    """Tiers 1 and 2 in one request, for ``size`` titles (default: the query's size)."""
    tier_2 = Q("constant_score", boost=TIER_2_BOOST, filter=all_prefixes(query.words))
    tier_1 = Q("constant_score", boost=TIER_1_BOOST,
               filter=Q("match_phrase", search_text={"query": query_text(query.words)}))
    return _ranked_search(query, Q("bool", must=[tier_2], should=[tier_1]), size or query.size)


def typo_body(query: SearchQuery, fixes: dict[str, list[str]], size: int) -> dict[str, Any]:
    """Tier 3: each word or one of its corrections as a prefix, not tier 2's titles.

    As `embedded.engine.typo_expression`; every hit scores the same (a
    constant score), so the order is popularity, then as `ranked`.
    """
    alternatives = [
        Q("bool", minimum_should_match=1,
          should=[all_prefixes((form,)) for form in dict.fromkeys((word, *fixes.get(word, [])))])
        for word in query.words
    ]
    matching = Q("constant_score", boost=TIER_2_BOOST,
                 filter=Q("bool", filter=alternatives, must_not=[all_prefixes(query.words)]))
    return _ranked_search(query, matching, size)


def ranked(hits: list[dict[str, Any]], words: tuple[str, ...], size: int
           ) -> list[dict[str, Any]]:
    """Order each (tier, popularity) run by `core.ranking.order_key`.

    Done here rather than in a sort script so it needs no scripting module on
    the cluster; the engine returns TIE_MARGIN extra hits so the run at the
    cut-off is (nearly always) complete, as the embedded engine's MAX_TIE_ROWS.
    """
    def key(hit: dict[str, Any]) -> tuple[Any, ...]:
        score, popularity, length, sequence = hit["sort"]
        text = hit["_source"].get("search_text", "")
        return (-score, *order_key(words, popularity, text, length, sequence))

    return sorted(hits, key=key)[:size]


def domain_filter(domain: str) -> dict[str, Any]:
    """A count/delete-by-query body for every document of ``domain``."""
    return {"query": Q("term", domain=domain).to_dict()}
