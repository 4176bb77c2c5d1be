"""What `&s=3` costs a search through the service (issue 28 target: query suggestions
add <= 10% to a search's CPU), measured in `make bench`'s distinct part.

Before the service that measures the tiers starts (response cache off, so every
request is a search, whatever was asked before), the domain gets intents as visitors
would leave them: the corpus's most common title words and adjacent word pairs,
each counted once per title that has it (`popular_intents`), written with
`Store.add_intents` in this process. Deterministic, and no burst rule to wait for.

After the tiers, on that same service: every worker builds its suggestion index (a
domain's first `s=` search on a worker answers `[]` and starts the build; polled until
answers carry suggestions), one unmeasured wrk run of the distinct stream pays what
the engine learns once per word, then the distinct stream without and with `&s=3`
appended, in turn, ROUNDS times each (the machine's speed drifts within minutes).
One client then sends a sample of the stream with `&s=3` for the share of queries
that got at least one suggestion. bench/report_distinct.py prints the result.
"""

import argparse
import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from urllib.parse import quote

import httpx
from corpus import BenchDocument
from processes import HasWorkers, Wrk, WrkResult
from steps import drive, say
from workload import title_words

ASKED = 3
"""Suggestions each search asks for: `&s=3`, as the issue's target says."""
ROUNDS = 2
INTENTS = 3000
"""Intents written: more than an index keeps (core.suggestions.MAX_INTENTS, 2,000)."""
INTENT_DAYS = 5
"""Days they are spread over: the store keeps at most 1,000 rows a domain per day."""
SHARE_SAMPLE = 1000
WARM_CONSECUTIVE = 20
"""Answers in a row, each on a new connection, that must carry suggestions before the
indexes count as built: a worker without one is missed 20 times at odds of 2^-20."""
WARM_SECONDS = 120.0


@dataclass
class SuggestionsCost:
    """The distinct stream without and with `&s=3`, taken in turn on one service."""

    intents: int
    without: list[WrkResult] = field(default_factory=list)
    asking: list[WrkResult] = field(default_factory=list)
    sampled: int = 0
    suggested: int = 0
    """Of ``sampled`` queries sent once with `&s=3`, how many got a suggestion."""

    @staticmethod
    def cpu_us(runs: Sequence[WrkResult]) -> float | None:
        """Worker CPU per request over all of ``runs``: their CPU summed over their requests."""
        measured = [run for run in runs if run.cpu_us_per_request is not None]
        requests = sum(run.requests for run in measured)
        if not requests:
            return None
        return sum(run.cpu_us_per_request * run.requests for run in measured) / requests

    @property
    def ratio(self) -> float | None:
        """Worker CPU per search with `&s=3` over without."""
        without, asking = self.cpu_us(self.without), self.cpu_us(self.asking)
        return asking / without if without and asking is not None else None


# -- the intents ---------------------------------------------------------------------


def popular_intents(documents: Sequence[BenchDocument], limit: int = INTENTS) -> dict[str, int]:
    """The ``limit`` most common title words (2+ characters) and adjacent word pairs,
    each with the number of titles that have it: what visitors of a package index
    would end their searches on, most often the most common. Ties by text."""
    counts: Counter[str] = Counter()
    for document in documents:
        words = title_words(document["title"])
        found = {word for word in words if len(word) >= 2}
        found.update(f"{a} {b}" for a, b in pairwise(words) if len(a) >= 2)
        counts.update(found)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {intent: max(count, 2) for intent, count in ranked[:limit]}  # found twice at least


def add_intents(database_url: str, domain: str, intents: dict[str, int]) -> None:
    """Write ``intents`` as found searches of the last INTENT_DAYS days, in this process
    (the service stopped): each one's count on one day, none of them a miss. The store
    keeps counts of a loaded domain only."""
    asyncio.run(_add_intents(database_url, domain, intents))


async def _add_intents(database_url: str, domain: str, intents: dict[str, int]) -> None:
    from app.shared.backends import open_backends
    from app.shared.settings import load_settings

    today = datetime.now(UTC).date()
    backends = open_backends(load_settings(database_url=database_url))
    try:
        await backends.store.migrate()
        await backends.store.add_intents({
            (domain, today - timedelta(days=at % INTENT_DAYS), intent): (count, 0)
            for at, (intent, count) in enumerate(intents.items())})
    finally:
        await backends.close()


# -- the requests --------------------------------------------------------------------


def asking_suggestions(path: str, count: int = ASKED) -> str:
    """A request path of the stream that also asks for ``count`` suggestions."""
    return f"{path}&s={count}"


def write_asking_paths(paths: Path, out: Path, count: int = ASKED) -> Path:
    """bench/distinct.lua's paths file, each line asking for ``count`` suggestions."""
    out.write_text("".join(asking_suggestions(line, count) + "\n"
                           for line in paths.read_text().splitlines()))
    return out


def wait_for_suggestions(base_url: str, domain: str, prefix: str) -> None:
    """Ask for ``prefix`` with `&s=3` on new connections until WARM_CONSECUTIVE answers
    in a row carry suggestions: every worker has built its index."""
    deadline = time.monotonic() + WARM_SECONDS
    in_a_row = 0
    while in_a_row < WARM_CONSECUTIVE:
        if time.monotonic() > deadline:
            raise RuntimeError(f"answers to {prefix!r} with s={ASKED} carried no suggestions "
                               f"within {WARM_SECONDS:g} s")
        response = httpx.get(f"{base_url}/v1", params={"d": domain, "q": prefix, "s": ASKED},
                             timeout=30)
        response.raise_for_status()
        in_a_row = in_a_row + 1 if response.json().get("suggestions") else 0
        if not in_a_row:
            time.sleep(0.1)  # a build is under way


def count_suggested(base_url: str, domain: str, queries: Sequence[str]) -> int:
    """How many of ``queries``, sent once each with `&s=3`, got at least one suggestion."""
    suggested = 0
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for query in queries:
            response = http.get(f"/v1?d={quote(domain, safe='')}&q={quote(query, safe='')}"
                                f"&s={ASKED}")
            response.raise_for_status()
            suggested += bool(response.json()["suggestions"])
    return suggested


# -- the measurement -----------------------------------------------------------------


def measure_suggestions(
    args: argparse.Namespace,
    wrk_for: Callable[[Path], Wrk],
    service: HasWorkers,
    base_url: str,
    domain: str,
    paths: Path,
    queries: Sequence[str],
    intents: dict[str, int],
) -> SuggestionsCost:
    """The distinct stream (``paths``, its ``queries``) without and with `&s=3`, in turn,
    on a service (response cache off) whose store holds ``intents``; ``wrk_for`` makes
    the wrk run of a paths file (bench/distinct.py's)."""
    asking = write_asking_paths(paths, paths.with_name(paths.stem + "-s3.paths"))
    top = next(iter(intents))
    wait_for_suggestions(base_url, domain, top[:2])

    def run(stream: Path, label: str) -> WrkResult:
        return drive(wrk_for(stream), base_url + "/", args.distinct_connections, label, service)

    run(paths, "ours: distinct, cache off (warm-up)")
    cost = SuggestionsCost(intents=len(intents))
    for _round in range(ROUNDS):
        cost.without.append(run(paths, "ours: distinct, cache off"))
        cost.asking.append(run(asking, f"ours: distinct, cache off, s={ASKED}"))
    sample = list(queries[:SHARE_SAMPLE])
    cost.sampled, cost.suggested = len(sample), count_suggested(base_url, domain, sample)
    ratio = cost.ratio
    say(f"s={ASKED}: {'-' if ratio is None else f'{ratio:.3f}x'} the worker CPU per search; "
        f"{cost.suggested:,} of {cost.sampled:,} queries got suggestions")
    return cost
