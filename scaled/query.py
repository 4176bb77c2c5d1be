"""The search requests, the same JSON for ES and OpenSearch.

Plain dictionaries, written as `elasticsearch.dsl` writes them (`Q(...).to_dict()`), so the
engine receives the same bytes: building a tier's search through the DSL (an object per
clause, `to_dict()` walking them back) took about a fifth of the service's CPU for a hit
(issue 26 item 6).

The tiers and when each runs are `core.search`'s; here each tier is one
search in filter context (no scoring), sorted exactly as the index is sorted
(`scaled.mapping.INDEX_SORT`: popularity, then the shorter title, then the
document written first). With `track_total_hits` off, the engine can then stop
collecting a segment once it has enough hits, instead of sorting every title
that starts with "p".

- tier 1, the words as an in-order phrase of prefixes (`match_phrase`);
- tier 2, all the words as prefixes in any order, not tier 1's titles; for a
  one-word query there is no tier 2. Tiers 1 and 2 go in one `_msearch`.
- tier 3a, joined words (`joined_body`): one of the query's readings with two
  neighbouring words written as one, every word as a prefix;
- tier 3b, typo corrections (`typo_body`): every word or one of its
  corrections (`scaled.vocabulary`) as a prefix, not tier 2's titles;
- tier 4 asks which words match anything (`present_lines`, one `_msearch`
  whose searches each stop at their first hit).

Within a tier, `ranked` puts the hits in `core.ranking.order_key` order, which
can reorder equally popular titles; so the run of equally popular titles at the
cut-off must be complete. A tier asks for one title more than it needs: when
that one is less popular than the last needed, the run is complete; when not
(`cut_in_a_tie`), the tier is asked again with TIE_MARGIN more titles
(`widened`), as the embedded engine's MAX_TIE_ROWS. Asking for 60 titles where
11 will do cost the engine twice the time on a one-letter query and the service
five times the JSON.
"""

from typing import Any

import orjson

from core.engine import SearchQuery
from core.ranking import closeness_columns
from core.text import JOINED_MARK
from scaled.mapping import INDEX_SORT, MAX_GRAM
from scaled.vocabulary import searched_documents

SOURCE_FIELDS = ["url", "title", "search_text"]
TIE_MARGIN = 50
# Only what `ranked` reads (and an `_msearch` part's error and status): less JSON
# for the engine to write and for us to parse. The status keeps a part without
# hits in its place: filtered down to nothing, it would leave the list, and the
# parts after it would answer for the wrong tier.
FILTER_PATH = ",".join(["hits.hits._source", "hits.hits.sort", "responses.error",
                        "responses.status", "responses.hits.hits._source",
                        "responses.hits.hits.sort"])


# What `exists_lines` searches answer: whether they found a title.
EXISTS_FILTER_PATH = "responses.hits.total.value,responses.error"


def query_text(words: tuple[str, ...]) -> str:
    # The index holds prefixes of at most MAX_GRAM characters; a longer query
    # word would otherwise match nothing, where the embedded engine matches it.
    return " ".join(word[:MAX_GRAM] for word in words)


Clause = dict[str, Any]
"""One query clause, as the engine's JSON has it."""


def all_prefixes(words: tuple[str, ...]) -> Clause:
    """Every word as a prefix, in any order (tier 2's match)."""
    return {"match": {"search_text": {"query": query_text(words), "operator": "and"}}}


def phrase(words: tuple[str, ...]) -> Clause:
    """The words as an in-order phrase of prefixes (tier 1's match)."""
    return {"match_phrase": {"search_text": {"query": query_text(words)}}}


def any_of(clauses: list[Clause]) -> Clause:
    """A title that matches at least one of ``clauses``."""
    return {"bool": {"minimum_should_match": 1, "should": clauses}}


# What every tier's search holds besides its query and size (shared, never changed).
_TIER_PARTS = {
    "sort": [{field: order} for field, order in INDEX_SORT],
    "track_total_hits": False,
    "_source": SOURCE_FIELDS,
}


def _tier_search(query: SearchQuery, matching: Clause, size: int) -> dict[str, Any]:
    return {"query": {"bool": {"filter": [*searched_documents(query.domain, query.groups),
                                           matching]}}, **_TIER_PARTS,
            "size": size + 1}


def cut_in_a_tie(hits: list[dict[str, Any]], needed: int) -> bool:
    """Whether ``hits`` (a tier's, in the engine's order) may end inside the run of
    equally popular titles that the ``needed``-th title belongs to."""
    return len(hits) > needed and hits[needed - 1]["sort"][0] == hits[needed]["sort"][0]


Closeness = tuple[int, bool]
"""`core.ranking.closeness`: how closely a title matches the query's words."""


def closest_possible(words: tuple[str, ...], corrected: bool = False) -> Closeness:
    """The closest any title of a tier can be (`core.ranking.closeness`): every word
    whole, the first word first; in the corrected tier, where a title lacks one of
    the words as typed (`typo_body`), one word fewer, and for a one-word query the
    word neither whole nor first."""
    if corrected:
        return -(len(words) - 1), len(words) == 1
    return -len(words), False


def tie_settled(hits: list[dict[str, Any]], best: list[dict[str, Any]],
                words: tuple[str, ...], closest: Closeness) -> bool:
    """Whether no title after the cut of ``hits`` (a tier's, in the engine's order) can
    come before one of ``best`` (`ranked`'s): so when each of those as popular as the
    first title left out is already as close as ``closest``. A title after the cut that
    is as popular and as close comes later in the engine's order (its shorter and
    earlier titles first), as it does in `ranked`'s."""
    popularity = hits[len(best)]["sort"][0]
    tied = [f" {search_text_of(hit['_source'])} " for hit in best
            if hit["sort"][0] == popularity]
    wholes, not_starting = closeness_columns(tied, words)
    return all((whole, late) <= closest
               for whole, late in zip(wholes, not_starting, strict=True))


def widened(body: dict[str, Any]) -> dict[str, Any]:
    """A tier's search asking for TIE_MARGIN more titles, to complete a tie at its cut-off."""
    return {**body, "size": body["size"] + TIE_MARGIN}


def tier_bodies(query: SearchQuery, size: int | None = None) -> list[dict[str, Any]]:
    """A search body per exact tier, best tier first, for ``size`` titles each
    (default: the query's size)."""
    size = size or query.size
    tiers = [_tier_search(query, phrase(query.words), size)]
    if len(query.words) > 1:
        tier_2 = {"bool": {"filter": [all_prefixes(query.words)],
                           "must_not": [phrase(query.words)]}}
        tiers.append(_tier_search(query, tier_2, size))
    return tiers


def msearch_lines(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An `_msearch` body: an empty header (the index is in the URL) before each search."""
    return [line for body in bodies for line in ({}, body)]


def exact_request(query: SearchQuery) -> tuple[str, bytes]:
    """Tiers 1 and 2 as the service sends them, for sending straight to the engine
    (benchmarks, measurements): the path after the alias, and the body."""
    bodies = tier_bodies(query)
    if len(bodies) == 1:
        return f"_search?filter_path={FILTER_PATH}", orjson.dumps(bodies[0])
    lines = b"".join(orjson.dumps(line) + b"\n" for line in msearch_lines(bodies))
    return f"_msearch?filter_path={FILTER_PATH}", lines


def typo_body(query: SearchQuery, fixes: dict[str, list[str]], size: int) -> dict[str, Any]:
    """Tier 3: each word or one of its corrections as a prefix, not tier 2's titles.

    As `embedded.fts5_expressions.typo_expression`.
    """
    matching = {"bool": {"filter": either_prefixes(query.words, fixes),
                         "must_not": [all_prefixes(query.words)]}}
    return _tier_search(query, matching, size)


def either_prefixes(words: tuple[str, ...], fixes: dict[str, list[str]]) -> list[Clause]:
    """For each word, a match of it or one of its corrections as a prefix."""
    return [any_of([all_prefixes((form,)) for form in dict.fromkeys((word, *fixes.get(word, [])))])
            for word in words]


def joined_body(query: SearchQuery, readings: list[tuple[str, ...]], size: int
                ) -> dict[str, Any]:
    """Tier 3a: every word of one of the readings as a prefix, in any order.

    As `embedded.fts5_expressions.joined_expression`.
    """
    return _tier_search(query, any_of([all_prefixes(reading) for reading in readings]), size)


def exists_lines(query: SearchQuery, matchings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An `_msearch` body that tells, matching by matching, whether a searched title
    matches it: each search stops at its first hit and returns no source."""
    titles = searched_documents(query.domain, query.groups)
    return msearch_lines([
        {"query": {"bool": {"filter": [*titles, matching]}},
         "size": 0, "track_total_hits": 1, "terminate_after": 1}
        for matching in matchings
    ])


def present_lines(query: SearchQuery, forms: list[str]) -> list[dict[str, Any]]:
    """Whether a searched title has a word starting with each of ``forms``."""
    return exists_lines(query, [all_prefixes((form,)) for form in forms])


def leading_lines(query: SearchQuery, words: tuple[str, ...], fixes: dict[str, list[str]]
                  ) -> list[dict[str, Any]]:
    """Whether a searched title has each of ``words[:k]`` (or a correction) as a
    prefix, for k from 1 to all of them: `core.search.TieredEngine.leading_match`."""
    alternatives = either_prefixes(words, fixes)
    return exists_lines(query, [{"bool": {"filter": alternatives[:k]}}
                                for k in range(1, len(words) + 1)])


def search_text_of(source: dict[str, Any]) -> str:
    """A hit's `core.text.search_text`: `scaled.mapping.source` keeps the title's
    words and each of its joined words as values of their own, so that no phrase
    runs from one into the next (the engine puts a gap between the values of a field)."""
    text = source.get("search_text", "")
    if not isinstance(text, str):
        # Joined once, in place: `ranked`, `tie_settled` and the hit itself read it.
        text = source["search_text"] = f" {JOINED_MARK} ".join(text)
    return text


def ranked(hits: list[dict[str, Any]], words: tuple[str, ...], size: int
           ) -> list[dict[str, Any]]:
    """A tier's hits in `core.ranking.order_key` order, the best ``size``.

    Done here rather than in a sort script so it needs no scripting module on
    the cluster.
    """
    if not hits:
        return []
    # `order_key`, a column at a time, over the few hits the engine returned.
    spaced = [f" {search_text_of(hit['_source'])} " for hit in hits]
    wholes, not_starting = closeness_columns(spaced, words)
    keys = [(-hit["sort"][0], whole, later, hit["sort"][1], hit["sort"][2], number)
            for number, (hit, whole, later) in enumerate(zip(hits, wholes, not_starting,
                                                              strict=True))]
    return [hits[key[-1]] for key in sorted(keys)[:size]]


def domain_filter(domain: str) -> dict[str, Any]:
    """A count/delete-by-query body for every document of ``domain``."""
    return {"query": {"term": {"domain": domain}}}
