"""What one benchmark run measured: the data bench/run.py fills and bench/report.py prints."""

import argparse
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from latency import LatencySummary
from processes import Memory, WrkResult
from suggestions_run import SuggestionsCost
from tiers import StreamTiers


@dataclass(frozen=True)
class Scenario:
    name: str
    q: str
    groups: str = ""

    @property
    def slug(self) -> str:
        return "-".join(self.name.split())

    def query(self, domain: str) -> str:
        params = {"d": domain, "q": self.q}
        if self.groups:
            params["g"] = self.groups
        return "/v1?" + urlencode(params)


SCENARIOS = [
    Scenario("one letter", "p"),
    Scenario("two letters", "py"),
    Scenario("three letters", "pyt"),
    Scenario("full word", "python"),
    Scenario("two words", "python mod"),
    Scenario("typo", "pyhton"),
    Scenario("miss", "zzqx"),
    Scenario("group", "python", "docs"),
]


def domain_name(index: int) -> str:
    return f"bench{index}.example"


@dataclass
class LoadStep:
    domains: int
    titles_total: int
    loaded: int
    seconds: float
    """From the first bulk request until the last one was acknowledged."""
    searchable_seconds: float
    """From the first bulk request until the last title was found by a search."""
    rejected: int

    @property
    def rate(self) -> float:
        return self.loaded / self.seconds


@dataclass
class Results:
    setup: str
    args: argparse.Namespace
    command: str
    started: datetime
    loads: list[LoadStep] = field(default_factory=list)
    memory: list[tuple[str, list[Memory]]] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)
    body_bytes: dict[str, int] = field(default_factory=dict)
    cold: dict[tuple[str, int], WrkResult] = field(default_factory=dict)
    warm: dict[tuple[str, int], WrkResult] = field(default_factory=dict)
    nginx: dict[tuple[str, int], WrkResult] = field(default_factory=dict)
    scale: dict[int, dict[str, WrkResult]] = field(default_factory=dict)
    engine_ms: dict[int, dict[str, tuple[float, float]]] = field(default_factory=dict)
    engine_direct: dict[tuple[str, int], WrkResult] = field(default_factory=dict)
    """Scaled setup: the service's engine requests for a scenario sent straight to the
    engine, one after another (bench/scaled_engine.py:drive_engine_directly)."""
    engine_requests: dict[str, int] = field(default_factory=dict)
    """Scenario slug: how many engine requests the service sends for it."""
    bare_proxy: dict[tuple[str, int], WrkResult] = field(default_factory=dict)
    """Scaled setup: bench/bare_proxy.py passing the same engine requests on, the floor
    of one hop through Sanic."""
    miss_requests: list[str] = field(default_factory=list)
    """Scaled setup: bench/engine_requests.py's table, engine requests per search by tier
    on the never-seen streams (issue 24: at most 2 per miss)."""
    db_bytes: dict[int, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    finished: datetime | None = None


# The systems and workloads of the distinct-query comparison (bench/distinct.py).
OURS, GO, BARE_SANIC = "ours", "go", "bare Sanic"
MIXED, ONE_WORD, CACHED = "distinct", "distinct, one word", "lib (repeated)"
CROSS_TITLE = "cross-title"
"""The second never-seen stream (bench/cross_title.py): words of different titles, typos."""


@dataclass
class DistinctResults:
    """Our service, the original Go + Redis service and a bare Sanic app on one query stream."""

    args: argparse.Namespace
    started: datetime
    queries: int = 0
    one_word_queries: int = 0
    cross_queries: dict[str, int] = field(default_factory=dict)
    """The cross-title stream: kind of query (bench/cross_title.py) -> how many."""
    loads: dict[str, float] = field(default_factory=dict)
    """Seconds to load the corpus through each service's bulk endpoint."""
    latency: dict[str, dict[str, LatencySummary]] = field(default_factory=dict)
    """Single client: system -> kind of answer (bench/latency.py) -> summary."""
    runs: dict[tuple[str, str], WrkResult] = field(default_factory=dict)
    """(system, workload) -> the wrk run."""
    lib_hits: dict[str, int] = field(default_factory=dict)
    cached_rounds: dict[str, list[float]] = field(default_factory=dict)
    """System -> req/s of each `lib` run, ours and the bare app's taken in turn."""
    tiers: dict[str, StreamTiers] = field(default_factory=dict)
    """Stream (MIXED, CROSS_TITLE) -> its queries by tier, and a query's CPU in each."""
    cross_latency: dict[str, dict[str, LatencySummary]] = field(default_factory=dict)
    """Single client on the cross-title stream: system -> our tier of the query -> summary."""
    suggestions: SuggestionsCost | None = None
    """Our distinct stream without and with `&s=3` (bench/suggestions_run.py)."""
    memory: list[tuple[str, list[Memory]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    finished: datetime | None = None
