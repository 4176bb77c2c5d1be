"""Prometheus metrics that the code updates as it works.

`autocompeter serve` runs several worker processes, so it points
PROMETHEUS_MULTIPROC_DIR at a fresh directory before they start (see
`app.cli.serve`): prometheus-client then keeps each process's values in a file
there, and `/metrics` (app/http/ops.py) adds them up. The variable must be set before
this module is first imported, because prometheus-client picks its storage when
a metric is created.

Values read at scrape time (documents, outbox) are not here: ops.py asks the
store for them when /metrics is fetched, so they never go stale in a file.

Per-request values go through `TALLY`, which counts in the worker's memory and
adds its totals to the files every STATS_FLUSH_SECONDS (and before a scrape):
a write to the files costs several microseconds, and a cached search only a
few dozen in all.
"""

from bisect import bisect_left
from collections import Counter as Tallies

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
CLICKS_DROPPED = Counter(
    "autocompeter_clicks_dropped",
    "Clicks not counted because too many bytes of clicks were waiting for the next flush",
)


class Tally:
    """Counter increments and histogram observations waiting to be written."""

    def __init__(self) -> None:
        self._counts: Tallies[tuple[Counter, tuple[str, ...]]] = Tallies()
        # (histogram, labels) -> [count per bucket (the last is +Inf)..., sum]
        self._observed: dict[tuple[Histogram, tuple[str, ...]], list[float]] = {}

    def request(self, endpoint: str, method: str, status: str, seconds: float | None) -> None:
        """An answered request: REQUESTS counted, its time (if known) in REQUEST_SECONDS.
        One call for both, as every request makes it."""
        self._counts[(REQUESTS, (endpoint, method, status))] += 1
        if seconds is not None:
            self.observe(REQUEST_SECONDS, seconds, endpoint, status)

    def inc(self, counter: Counter, *labels: str) -> None:
        self._counts[(counter, labels)] += 1

    def observe(self, histogram: Histogram, seconds: float, *labels: str) -> None:
        key = (histogram, labels)
        observed = self._observed.get(key)
        if observed is None:
            observed = self._observed[key] = [0.0] * (len(LATENCY_BUCKETS) + 2)
        observed[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        observed[-1] += seconds

    def flush(self) -> None:
        counts, self._counts = self._counts, Tallies()
        for (counter, labels), n in counts.items():
            (counter.labels(*labels) if labels else counter).inc(n)
        observed, self._observed = self._observed, {}
        for (histogram, labels), values in observed.items():
            child = histogram.labels(*labels) if labels else histogram
            # prometheus-client has no call to observe many values at once; its
            # children keep a sum and one count per bucket, which is all we add to.
            child._sum.inc(values[-1])
            for bucket, n in zip(child._buckets, values[:-1], strict=True):
                if n:
                    bucket.inc(n)


TALLY = Tally()
