"""core/search.py: which engine steps a search costs. Joined readings (3a) run beside
the exact tiers while those leave room; typos (3b) and dropping words (4) only when
nothing was found; a miss learns once which words exist, corrects only those that
match nothing, and asks once how many leading words the titles hold together.

The engine is the real embedded one over a real SQLite file; a subclass only records
the steps it is asked for (and their arguments' sizes) before answering them.
"""

import asyncio
from typing import Any

from core.engine import SearchQuery
from core.search import MAX_CORRECTED, joined_readings
from core.store import Document
from core.text import MAX_QUERY_WORDS, query_words
from embedded.database import SqliteDatabase
from embedded.engine import Fts5Engine
from embedded.store import SqliteStore


class CountingEngine(Fts5Engine):
    """Fts5Engine that records each step of the search flow it answers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.steps: list[tuple[str, int]] = []

    async def exact(self, query, size):
        self.steps.append(("exact", len(query.words)))
        return await super().exact(query, size)

    async def joined(self, query, readings, size):
        self.steps.append(("joined", len(readings)))
        return await super().joined(query, readings, size)

    async def corrections(self, query):
        self.steps.append(("corrections", len(query.words)))
        return await super().corrections(query)

    async def corrected(self, query, fixes, size):
        self.steps.append(("corrected", len(fixes)))
        return await super().corrected(query, fixes, size)

    async def present(self, query, forms):
        self.steps.append(("present", len(forms)))
        return await super().present(query, forms)

    async def leading_match(self, query, words, fixes):
        self.steps.append(("leading", len(words)))
        return await super().leading_match(query, words, fixes)


def steps_of(tmp_path, queries: list[str]) -> list[list[tuple[str, int]]]:
    async def run() -> list[list[tuple[str, int]]]:
        db = SqliteDatabase(tmp_path / "flow.db")
        store = SqliteStore(db)
        await store.migrate()
        await store.upsert("site", [
            Document("/1", "Python testing"), Document("/2", "Spiderman comics"),
            Document("/3", "Node.js streams"), Document("/4", "a b c d e f g h"),
        ])
        engine = CountingEngine(db, memory_budget_bytes=0)
        found = []
        try:
            for text in queries:
                engine.steps = []
                await engine.search(SearchQuery("site", query_words(text)))
                found.append(engine.steps)
        finally:
            await engine.close()
            await store.close()
        return found

    return asyncio.run(run())


def test_a_one_word_search_the_exact_tiers_answer_takes_one_step(tmp_path):
    for steps in steps_of(tmp_path, ["pyth", "nodejs", "spider"]):
        assert [name for name, _words in steps] == ["exact"]


def test_words_found_together_also_ask_for_their_joined_readings(tmp_path):
    # "Python testing" alone: the page has room, which "pythonte" might fill.
    (steps,) = steps_of(tmp_path, ["python te"])
    assert steps == [("exact", 2), ("joined", 1)]


def test_the_fallback_tiers_run_in_order_only_while_nothing_is_found(tmp_path):
    joined, typo, dropped, apart, mistyped, nothing = steps_of(
        tmp_path, ["spider man", "pyhton", "python zzzz", "python spider", "python spidre",
                   "qqqq zzzz"])
    assert joined == [("exact", 2), ("joined", 1)]
    assert typo == [("exact", 1), ("corrections", 1), ("corrected", 1)]
    # Tier 4: one question for the words and their joined pair; only the word that
    # matches nothing is corrected; "python" alone is left, and answered.
    assert dropped == [("exact", 2), ("joined", 1), ("present", 3), ("corrections", 1),
                       ("exact", 1)]
    # Both words match alone, no title has both: one question for how many leading
    # words go together, then the first alone. No typo work: every word matched.
    assert apart == [("exact", 2), ("joined", 1), ("present", 3), ("leading", 2),
                     ("exact", 1)]
    assert mistyped == [("exact", 2), ("joined", 1), ("present", 3), ("corrections", 1),
                        ("corrected", 1), ("leading", 2), ("exact", 1)]
    assert nothing == [("exact", 2), ("joined", 1), ("present", 3), ("corrections", 2)]


def test_a_word_the_survey_found_in_no_title_is_not_searched_as_typed(tmp_path):
    # "pyhton" and "spider" corrected find no title together; the first word leads,
    # and the survey learned that "pyhton" as typed matches nothing: straight to its
    # corrections, without the exact step that would find nothing.
    (steps,) = steps_of(tmp_path, ["pyhton spider"])
    assert steps == [("exact", 2), ("joined", 1), ("present", 3), ("corrections", 1),
                     ("corrected", 1), ("leading", 2), ("corrected", 1)]


def test_the_fallback_work_is_bounded_by_the_words_searched(tmp_path):
    many = " ".join(f"zz{letter}" for letter in "abcdefghijklmnop")
    (steps,) = steps_of(tmp_path, [many])
    assert ("joined", MAX_QUERY_WORDS - 1) in steps
    assert ("present", 2 * MAX_QUERY_WORDS - 1) in steps
    assert ("corrections", MAX_CORRECTED) in steps
    assert len(steps) == 4
    assert len(joined_readings(tuple("abcdefgh"))) == 7
