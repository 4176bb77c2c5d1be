"""The engine alone: `SearchEngine.search` called in the bench's process, no HTTP.

Where the time of a search goes: compared with the service's p50 at one connection, what is
left is HTTP, Sanic and the response. Run after a phase, with its server stopped.
"""

import asyncio
import statistics
import time

from results import SCENARIOS, Results


def engine_timings(
    results: Results, domains: int, env: dict[str, str], domain: str, rounds: int
) -> None:
    """Median and p99 ms of the engine's own search, in this process, per scenario."""
    try:
        results.engine_ms[domains] = asyncio.run(measure_engine(env, domain, rounds))
    except Exception as error:  # the engine's API may be changing; the rest still counts
        results.notes.append(f"engine timings at {domains} domain(s) failed: {error!r}")


async def measure_engine(
    env: dict[str, str], domain: str, rounds: int
) -> dict[str, tuple[float, float]]:
    from app.shared.backends import open_backends
    from app.shared.settings import load_settings
    from core.engine import SearchQuery
    from core.text import words

    settings = load_settings(database_url=env["DATABASE_URL"], search_url=env.get("SEARCH_URL"))
    backends = open_backends(settings)
    timings: dict[str, tuple[float, float]] = {}
    try:
        await backends.store.migrate()  # as serve does; a no-op on an up-to-date database
        for scenario in SCENARIOS:
            groups = tuple(g for g in scenario.groups.split(",") if g)
            query = SearchQuery(domain, tuple(words(scenario.q)), 10, groups)
            samples = []
            for _ in range(rounds):
                started = time.perf_counter()
                await backends.engine.search(query)
                samples.append((time.perf_counter() - started) * 1000)
            samples = sorted(samples[3:])
            timings[scenario.slug] = (
                statistics.median(samples),
                samples[int(len(samples) * 0.99)],
            )
    finally:
        await backends.close()
    return timings
