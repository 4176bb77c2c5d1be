"""The intent rule (app/http/intents.py): how parts of bursts, from any workers, join into
intents, and the bound on the bursts a worker follows. Pure functions on made-up
times: the live tests (tests/conformance/test_intents.py) cannot wait out pauses
to the millisecond."""

from datetime import UTC, datetime

from app.http.intents import INTENT_PAUSE_SECONDS, IntentTracker, intents_of
from core.store import IntentPart

PAUSE = int(INTENT_PAUSE_SECONDS * 1000)
NOON = int(datetime(2026, 12, 7, 12, tzinfo=UTC).timestamp() * 1000)
DAY = datetime(2026, 12, 7, tzinfo=UTC).date()


def part(first_at: int, last_at: int, first: str, last: str, visitor: str = "v",
         found: bool = True) -> IntentPart:
    return IntentPart(visitor, NOON + first_at, NOON + last_at, "a.example", first, last,
                      found)


def test_a_burst_split_over_two_workers_counts_once_as_its_last_query() -> None:
    # Worker one took "p", "pyt", "python te"; worker two "py", "pyth", "python testing".
    one = part(0, 1_000, "p", "python te")
    two = part(300, 1_300, "py", "python testing")
    assert intents_of([one, two]) == {("a.example", DAY, "python testing"): (1, 0)}
    assert intents_of([two, one]) == intents_of([one, two])


def test_a_pause_or_another_first_letter_starts_another_intent() -> None:
    parts = [part(0, 500, "c", "cafe"),
             part(500 + PAUSE, 600 + PAUSE, "ca", "cake", found=False),  # after a pause
             part(700 + PAUSE, 900 + PAUSE, "t", "tea"),  # another first letter
             part(0, 800, "ca", "cafe", visitor="w")]  # another visitor
    assert intents_of(parts) == {("a.example", DAY, "cafe"): (2, 0),
                                 ("a.example", DAY, "cake"): (1, 1),
                                 ("a.example", DAY, "tea"): (1, 0)}


def test_deleting_back_and_typing_on_is_the_same_intent() -> None:
    parts = [part(0, 400, "p", "pyhton"), part(600, 900, "pyh", "python")]
    assert intents_of(parts) == {("a.example", DAY, "python"): (1, 0)}


def test_a_worker_follows_at_most_its_bound_of_bursts() -> None:
    tracker = IntentTracker(max_bursts=3)
    for n in range(5):
        assert tracker.record((f"visitor {n}", "ua", "a.example"), "q", True)
    assert len(tracker._bursts) == 3  # the quietest ended early, still to be written
    written = tracker.take_changed()
    assert len({part.visitor for part in written}) == 5  # each with its visitor's hash
    # Parts that could not be written wait, up to twice the bound, then searches drop.
    for n in range(6):
        tracker.record((f"other {n}", "ua", "a.example"), "q", True)
    assert not tracker.record(("one too many", "ua", "a.example"), "q", True)
