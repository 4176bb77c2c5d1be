"""Intents: the searches one visitor types in a burst count once, as the query the burst
ended on (README "Analytics"). The site owner's top queries and misses count these.

Each worker follows its part of each visitor's burst (`IntentTracker`) and writes it
with the search counter's flush (search_counter.py); `intents_of` joins the parts of
all workers once the bursts have ended.
"""

import hashlib
import time
import uuid
from datetime import UTC, date, datetime

from core.store import IntentPart

INTENT_PAUSE_SECONDS = 3.0
"""A visitor's searches with pauses shorter than this, each going on from the last
(`continues`), are one intent: the widget searches at most every 150 ms while
someone types, and a reader of the results who types again within 3 s is still
refining the same search."""
MAX_PENDING_BURSTS = 10_000
"""Visitors whose burst one worker follows at once (about 430 bytes each, measured
with tracemalloc: 4.3 MB in all); past it, the longest quiet one ends early (and may
count as two intents)."""
SETTLE_MARGIN_SECONDS = 2.0
"""How long past a pause and a flush interval a burst waits before it counts: time for
every worker's part to be written, with clocks of different hosts a little apart."""


def continues(last: str, query: str) -> bool:
    """Whether ``query`` goes on with the search ``last``: typed on, deleted back or
    changed further on. Starting with another letter starts another search."""
    return last[:1] == query[:1]


Who = tuple[str, str, str]
"""Who searches: the client's address, user agent and the domain searched."""


def visitor_of(day: date, address: str, user_agent: str, domain: str) -> str:
    """Who searches, told apart without cookies or stored addresses: a hash of the day,
    the address and the user agent, the same in every worker and process, kept only
    while the visitor's burst goes on (and as long as the click fingerprints)."""
    text = "\0".join((day.isoformat(), address, user_agent, domain))
    return hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=16).hexdigest()


class IntentTracker:
    """One worker's part of visitors' bursts of searches (README "Analytics").

    Each flush writes the parts that changed to the store (`Store.save_intent_parts`),
    ended or not, and forgets the ended ones. Once all parts of a visitor are older
    than a pause and a flush interval, one worker takes them (`take_intent_parts`)
    and joins each burst's parts, however the burst's requests were spread over the
    workers (`intents_of`)."""

    def __init__(self, max_bursts: int = MAX_PENDING_BURSTS) -> None:
        self.worker = uuid.uuid4().hex
        self.max_bursts = max_bursts
        self._bursts: dict[Who, IntentPart] = {}
        """Who searches -> their current part here, the longest quiet first."""
        self._changed: dict[tuple[Who | str, int], IntentPart] = {}
        """Parts changed since they were last written, ended ones too."""

    def record(self, who: Who, query: str, found: bool) -> bool:
        """Count a search in its visitor's burst; False if there was no room for it.
        The visitor's hash is made only when a part is written: every search asks."""
        now = int(time.time() * 1000)
        part = self._bursts.pop(who, None)
        if part is not None and now - part.last_at < INTENT_PAUSE_SECONDS * 1000 \
                and continues(part.query, query):
            part.last_at, part.query, part.found = now, query, found
        else:
            if len(self._changed) >= 2 * self.max_bursts:
                return False  # parts that could not be written fill the room
            if len(self._bursts) >= self.max_bursts:
                del self._bursts[next(iter(self._bursts))]  # still written if changed
            part = IntentPart("", now, now, who[2], query, query, found)
        self._bursts[who] = part
        self._changed[(who, part.first_at)] = part
        return True

    def take_changed(self) -> list[IntentPart]:
        """The parts to write, each with its visitor's hash; the bursts that ended are
        forgotten here."""
        ended_before = int((time.time() - INTENT_PAUSE_SECONDS) * 1000)
        while self._bursts:
            who, oldest = next(iter(self._bursts.items()))
            if oldest.last_at >= ended_before:
                break
            del self._bursts[who]
        for (who, first_at), part in self._changed.items():
            if not part.visitor and isinstance(who, tuple):
                day = datetime.fromtimestamp(first_at / 1000, UTC).date()
                part.visitor = visitor_of(day, *who)
        changed, self._changed = list(self._changed.values()), {}
        return changed

    def keep(self, parts: list[IntentPart]) -> None:
        """Parts whose write failed: written with the next flush."""
        for part in parts:
            self._changed.setdefault((part.visitor, part.first_at), part)


def intents_of(parts: list[IntentPart]) -> dict[tuple[str, date, str], tuple[int, int]]:
    """Intents (searches and misses per domain, UTC day and query) of the ended bursts
    whose parts, from any workers, are ``parts``: parts of a visitor one after the
    other (or side by side) with pauses shorter than INTENT_PAUSE_SECONDS, each going
    on from the last, are one burst, which counts as the query that came last."""
    pause = INTENT_PAUSE_SECONDS * 1000
    counts: dict[tuple[str, date, str], tuple[int, int]] = {}

    def count(burst: IntentPart) -> None:
        day = datetime.fromtimestamp(burst.last_at / 1000, UTC).date()
        searches, misses = counts.get((burst.domain, day, burst.query), (0, 0))
        counts[(burst.domain, day, burst.query)] = (searches + 1,
                                                    misses + (not burst.found))

    burst: IntentPart | None = None
    for part in sorted(parts, key=lambda p: (p.visitor, p.first_at)):
        if burst is not None and part.visitor == burst.visitor \
                and part.domain == burst.domain and part.first_at - burst.last_at < pause \
                and continues(burst.query, part.first_query):
            if part.last_at > burst.last_at:
                burst.last_at, burst.query, burst.found = part.last_at, part.query, part.found
            continue
        if burst is not None:
            count(burst)
        burst = IntentPart(part.visitor, part.first_at, part.last_at, part.domain,
                           part.first_query, part.query, part.found)
    if burst is not None:
        count(burst)
    return counts
