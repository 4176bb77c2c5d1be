"""Search counters, kept in memory and written to the store in batches.

A search must not cost a database write, so each worker counts in memory and
flushes every `STATS_FLUSH_SECONDS` and when it stops. `GET /v1/stats` is
therefore exact for the worker that answers it and at most one flush interval
behind for the others.
"""

import asyncio
import logging
from collections import Counter
from datetime import UTC, datetime

from store.base import Store

log = logging.getLogger("autocompeter")


class FetchCounter:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._pending: Counter[tuple[str, int, int]] = Counter()

    def record(self, domain: str) -> None:
        now = datetime.now(UTC)
        self._pending[(domain, now.year, now.month)] += 1

    async def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, Counter()
        try:
            await self.store.add_fetches(pending)
        except Exception:
            self._pending.update(pending)  # keep them for the next flush
            raise

    async def flush_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.flush()
            except Exception:
                log.warning("could not write search counters; will retry", exc_info=True)
