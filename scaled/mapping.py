"""The search index's definition and its documents, shared by ES and OpenSearch.

Built with `elasticsearch.dsl` and sent as plain JSON (`.to_dict()`), so the
same bodies go through either client.

The analysed field holds `core.text.search_text(title)`, the folded words
the embedded engine indexes too, so "orsted" finds "Ørsted" on both; the raw
title is kept only for display. Words a title joins with punctuation
("Node.js") are further values, joined ("nodejs"): a phrase never runs from
the title's last word into them. Documents indexed before get them from
`autocompeter reindex`.

`words` holds the title's distinct folded words (joined ones too), whole: the typo tier's
vocabulary (a terms aggregation per domain, see `scaled.vocabulary`),
as the FTS5 vocabulary is the embedded engine's. Indexes made before the field
existed get it from `autocompeter migrate` (`words_mapping`, a put-mapping:
adding a field is allowed); their old documents get values from
`autocompeter reindex`, and until then simply offer no corrections.
"""

import hashlib
from datetime import UTC, datetime
from typing import Any

from elasticsearch.dsl import (
    Float,
    Index,
    Integer,
    Keyword,
    Long,
    Mapping,
    Text,
    analyzer,
    token_filter,
)

from core.text import joined_words, words

MAX_GRAM = 20
# The order the index keeps its documents in, and every search's sort: the
# engine can stop reading a segment once it has enough hits (early termination).
# Indexes made before it existed keep working, only slower: `autocompeter
# reindex` makes a sorted one.
INDEX_SORT = (("popularity", "desc"), ("title_length", "asc"), ("sequence", "asc"))

edge_ngram = token_filter("autocomplete_edge_ngram", "edge_ngram", min_gram=1, max_gram=MAX_GRAM)
index_analyzer = analyzer(
    "autocomplete", tokenizer="standard", filter=["lowercase", "asciifolding", edge_ngram]
)
search_analyzer = analyzer(
    "autocomplete_search", tokenizer="standard", filter=["lowercase", "asciifolding"]
)


def mapping() -> Mapping:
    m = Mapping()
    m.field("search_text", Text(analyzer=index_analyzer, search_analyzer=search_analyzer))
    m.field("title", Keyword(index=False, doc_values=False))
    m.field("domain", Keyword())
    m.field("group", Keyword())
    m.field("popularity", Float())
    m.field("url", Keyword())
    # Tie-breakers, the same as the embedded engine's: shorter title, then the
    # document written first (`sequence` is the store's version of the write).
    m.field("title_length", Integer())
    m.field("sequence", Long())
    m.field("words", words_field())
    m.meta("dynamic", "strict")
    return m


def words_field() -> Keyword:
    # Only aggregated, never searched: doc values without an inverted index.
    return Keyword(index=False)


def words_mapping() -> dict[str, Any]:
    """A put-mapping body that adds `words` to an index made before it existed."""
    return {"properties": {"words": words_field().to_dict()}}


def index_body(shards: int = 1, replicas: int = 0) -> dict[str, Any]:
    index = Index("unused")  # the name travels in the URL, not in the body
    # refresh_interval is explicit so a search-idle shard still refreshes every
    # second: a write is searchable within about a second, as promised.
    index.settings(number_of_shards=shards, number_of_replicas=replicas, refresh_interval="1s",
                   **{"sort.field": [field for field, _order in INDEX_SORT],
                      "sort.order": [order for _field, order in INDEX_SORT]})
    index.mapping(mapping())
    return index.to_dict()


def new_index_name(alias: str) -> str:
    return f"{alias}-{datetime.now(UTC):%Y%m%d%H%M%S%f}"


def document_id(domain: str, url: str) -> str:
    """Stable across reindexes and processes; the length prefix keeps
    ("a", "bc") and ("ab", "c") apart."""
    key = f"{len(domain)}:{domain}{url}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(key, digest_size=16).hexdigest()


def source(sequence: int, domain: str, url: str, title: str, group: str,
           popularity: float) -> dict[str, Any]:
    title_words = words(title)
    joined = joined_words(title, set(title_words))
    text = " ".join(title_words)
    return {
        # core.text.search_text(title), each joined word a value of its own
        # (see scaled.query.search_text_of)
        "search_text": [text, *joined] if joined else text,
        "title": title,
        "domain": domain,
        "group": group,
        "popularity": popularity,
        "url": url,
        "title_length": len(title),
        "sequence": sequence,
        # The index's words, joined ones too, as FTS5's vocabulary holds them.
        "words": list(dict.fromkeys([*title_words, *joined])),
    }
