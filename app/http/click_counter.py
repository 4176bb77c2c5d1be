"""The click counter: clicks on results, kept in memory and written to the store in
batches, as the searches are (search_counter.py), and the click ranking kept up to date
(README "Click feedback").
"""

import asyncio
import hashlib
import logging
import math
import sys
import time
from datetime import UTC, date, datetime

from app.http.metrics import CLICKS_DROPPED
from app.shared.analytics import window_start
from core.store import Click, Store

log = logging.getLogger("autocompeter")

MAX_PENDING_CLICK_BYTES = 1024 * 1024
CLICK_ENTRY_BYTES = 400
"""What a waiting click costs besides its text: the Click object, its fingerprint and
date, the dict entry (measured with tracemalloc, rounded up)."""


class ClickCounter:
    """Clicks on results, kept in memory and written to the store in batches, as the
    search counters are, and the click ranking kept up to date.

    Bounded in bytes: past ``max_pending_bytes`` of waiting clicks, further ones
    are dropped (and counted in a metric) until the next flush. A click is
    identified by a fingerprint of the client's address, domain, URL and UTC day:
    one address adds at most one click to a title a day, whatever query it names
    (one that changes ``q`` with every click once moved any title), in this worker
    (here) and across workers (the store's clicks_seen table)."""

    def __init__(self, store: Store, flush_seconds: float, refresh_seconds: float,
                 max_pending_bytes: int = MAX_PENDING_CLICK_BYTES) -> None:
        self.store = store
        self.flush_seconds = flush_seconds
        self.refresh_seconds = refresh_seconds
        # A click waits up to a flush interval before another worker's copy of it
        # meets its fingerprint: keep fingerprints that long past their day.
        self._fingerprint_minutes = 1 + math.ceil(flush_seconds / 60)
        self.max_pending_bytes = max_pending_bytes
        self._pending: dict[str, Click] = {}
        self.pending_bytes = 0
        self.dropped = 0
        self._written_since_refresh = False
        self._refreshed_on: date | None = None
        self._refreshed_at = 0.0
        self._pruned_on: date | None = None

    def record(self, client: str, domain: str, query: str, url: str) -> None:
        """A click on ``url``, a result of ``query`` (folded words), by ``client``."""
        now = time.time()
        day = datetime.fromtimestamp(now, UTC).date()
        fingerprint = hashlib.blake2b(
            "\0".join((day.isoformat(), client, domain, url)).encode("utf-8", "replace"),
            digest_size=16).hexdigest()
        if fingerprint in self._pending:
            return
        size = CLICK_ENTRY_BYTES + sys.getsizeof(query) + sys.getsizeof(url)
        if self.pending_bytes + size > self.max_pending_bytes:
            self.dropped += 1
            CLICKS_DROPPED.inc()
            return
        self._pending[fingerprint] = Click(fingerprint, int(now // 60), domain, day, url, query)
        self.pending_bytes += size

    async def flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, {}
            pending_bytes, self.pending_bytes = self.pending_bytes, 0
            try:
                await self.store.add_clicks(list(pending.values()))
            except Exception:
                # Kept for the next flush; clicks that came meanwhile stay too.
                self._pending = {**pending, **self._pending}
                self.pending_bytes += pending_bytes
                raise
            self._written_since_refresh = True
            await self.store.prune_clicks(self._prune_before(), self._fingerprints_from())

    def _fingerprints_from(self) -> int:
        """The first minute whose fingerprints are kept: today's, and yesterday's last
        ones while another worker may still be writing yesterday's clicks."""
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return int(today.timestamp() // 60) - self._fingerprint_minutes

    def _prune_before(self) -> date:
        """The first day kept: click counts of days past the window go, once a day."""
        today = datetime.now(UTC).date()
        if self._pruned_on == today:
            return date.min
        self._pruned_on = today
        return window_start()

    async def refresh(self) -> None:
        """Move the titles whose clicks in the window changed: after this worker wrote
        clicks, and on a new day (clicks leave the window); every clicked title
        after start-up (the click settings may be new)."""
        today = datetime.now(UTC).date()
        if not (self._written_since_refresh or self._refreshed_on != today):
            return
        self._written_since_refresh = False
        try:
            await self.store.refresh_click_ranking(window_start(),
                                                   everything=self._refreshed_on is None)
        except Exception:
            self._written_since_refresh = True
            raise
        self._refreshed_on = today

    async def run(self) -> None:
        """Write the clicks every ``flush_seconds`` and refresh the ranking every
        ``refresh_seconds``, until cancelled."""
        while True:
            await asyncio.sleep(self.flush_seconds)
            try:
                await self.flush()
                if time.monotonic() - self._refreshed_at >= self.refresh_seconds:
                    self._refreshed_at = time.monotonic()
                    await self.refresh()
            except Exception:
                log.warning("could not write clicks; will retry", exc_info=True)
