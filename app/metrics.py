"""Prometheus metrics that the code updates as it works.

`autocompeter serve` runs several worker processes, so it points
PROMETHEUS_MULTIPROC_DIR at a fresh directory before they start (see
`app.cli.serve`): prometheus-client then keeps each process's values in a file
there, and `/metrics` (app/ops.py) adds them up. The variable must be set before
this module is first imported, because prometheus-client picks its storage when
a metric is created.

Values read at scrape time (documents, outbox) are not here: ops.py asks the
store for them when /metrics is fetched, so they never go stale in a file.
"""

from prometheus_client import Counter, Histogram

# Searches take well under a millisecond on the embedded engine and up to the
# search timeout (1 s by default) on a cluster; the buckets cover both.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                   2.5, 5.0, 10.0)

REQUESTS = Counter(
    "autocompeter_http_requests", "HTTP requests answered, by route name and status",
    ["endpoint", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "autocompeter_http_request_duration_seconds",
    "Time from request to response, by route name and status",
    ["endpoint", "status"], buckets=LATENCY_BUCKETS,
)
ENGINE_SEARCH_SECONDS = Histogram(
    "autocompeter_engine_search_duration_seconds",
    "Time the search engine took to answer a search (cache misses only)",
    buckets=LATENCY_BUCKETS,
)
CACHE_HITS = Counter("autocompeter_response_cache_hits",
                     "Searches answered from a worker's response cache")
CACHE_MISSES = Counter("autocompeter_response_cache_misses",
                       "Searches the response cache could not answer")
QUERIES_DROPPED = Counter(
    "autocompeter_query_stats_dropped",
    "Searches left out of the top-queries analytics because too many distinct "
    "queries were waiting for the next flush",
)
