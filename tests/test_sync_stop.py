"""Stopping the sync worker ends its loop even when the loop swallowed a cancellation.

On Python 3.11, `asyncio.wait_for` returns its result instead of raising when the
task is cancelled just as its wait ends (CPython issue 86296); asyncpg waits that
way too. A loop that goes on after one cancellation kept `autocompeter indexer`
running after Ctrl-C in one CI run.
"""

import asyncio

from indexer.sync import SyncWorker
from scaled.cluster import open_cluster
from scaled.store import PostgresStore


def test_stop_cancels_again_a_loop_that_swallowed_the_first_cancellation() -> None:
    cancellations = 0

    async def swallows_the_first_cancellation() -> None:
        # A fake loop, to simulate the race: the real one needs it to land on a
        # precise moment. Nothing here connects: store and cluster are never used.
        nonlocal cancellations
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancellations += 1
                if cancellations > 1:
                    raise

    async def scenario() -> None:
        worker = SyncWorker(PostgresStore("postgresql://nobody@127.0.0.1:9/none"),
                            open_cluster("opensearch+http://127.0.0.1:9"))
        worker.run = swallows_the_first_cancellation  # type: ignore[method-assign]
        task = worker.start()
        await asyncio.sleep(0)
        stopping = asyncio.ensure_future(worker.stop())
        # A guard against hanging, not a speed limit: the stop takes milliseconds.
        await asyncio.wait([stopping], timeout=30)
        assert stopping.done(), "stop() still waits for a loop that swallowed its cancel"
        assert task.cancelled()

    asyncio.run(scenario())
    assert cancellations == 2
