"""The pure suggestion index and rules (core/suggestions.py): prefixes at word starts,
popularity order, the owner's exclusions, and the index's size. The service's part:
tests/conformance/test_suggestions_api.py."""

import random
import string

import pytest

from core.suggestions import (
    MAX_SUGGESTIONS,
    WALK,
    SuggestionIndex,
    SuggestionRules,
)

POPULAR_FIRST = ["python", "python testing", "learn python", "pytest fixtures",
                 "testing tools", "test", "java"]


def test_a_prefix_at_any_word_start_suggests_by_popularity() -> None:
    index = SuggestionIndex(POPULAR_FIRST)
    assert index.suggest("py", 10) == ["python", "python testing", "learn python",
                                       "pytest fixtures"]
    assert index.suggest("tes", 10) == ["python testing", "testing tools", "test"]
    assert index.suggest("python te", 10) == ["python testing"]
    assert index.suggest("learn py", 10) == ["learn python"]
    # Inside a word is not a word start; two words must follow each other.
    assert index.suggest("ython", 10) == []
    assert index.suggest("python learn", 10) == []
    assert index.suggest("py", 2) == ["python", "python testing"]


def test_the_typed_query_itself_is_not_suggested_and_others_fill_its_place() -> None:
    index = SuggestionIndex(POPULAR_FIRST)
    assert index.suggest("python", 2) == ["python testing", "learn python"]
    assert index.suggest("java", 3) == []


def test_an_intent_with_the_prefix_at_two_word_starts_is_suggested_once() -> None:
    index = SuggestionIndex(["test test runner", "testing"])
    assert index.suggest("te", 5) == ["test test runner", "testing"]


def test_nothing_for_nothing() -> None:
    index = SuggestionIndex(POPULAR_FIRST)
    assert index.suggest("", 3) == [] and index.suggest("py", 0) == []
    assert SuggestionIndex([]).suggest("py", 3) == []
    assert index.suggest("java\npython", 3) == []


def test_large_ranges_answer_as_the_plain_lookup_does() -> None:
    """Short prefixes are kept ready, long ranges end by bisection: the same answers."""
    rng = random.Random(7)
    intents = list(dict.fromkeys(
        " ".join("".join(rng.choices("abcde", k=rng.randint(1, 6)))
                 for _ in range(rng.randint(1, 3))) for _ in range(3000)))
    index = SuggestionIndex(intents)
    assert len(index._ready) == 5 + 5 * 6  # a letter, then a letter or a space
    for prefix in ["a", "b", "ab", "e", "c d", "abc", "dd e", "abcde", "a b c"]:
        expected = [intent for intent in intents if intent != prefix and any(
            (" " + intent).startswith(" " + prefix, at)
            for at in range(len(intent)) if (" " + intent)[at] == " ")][:MAX_SUGGESTIONS]
        assert index.suggest(prefix, MAX_SUGGESTIONS) == expected, prefix
    assert max(len(ready) for ready in index._ready.values()) == 2 + MAX_SUGGESTIONS + 1
    assert max(high - low for low, high, *_ranks in index._ready.values()) > WALK


def test_rules_fold_their_exclusions_and_exclude_phrases_and_words() -> None:
    rules = SuggestionRules.from_settings(exclude=["Café Crème", "FREE", "free", "!!"])
    assert rules.exclude == ("cafe creme", "free")
    assert rules.excludes("cafe creme")
    assert not rules.excludes("cafe creme brulee")  # a phrase excludes itself only
    assert rules.excludes("free shipping") and rules.excludes("totally free")
    assert not rules.excludes("freedom")
    assert rules.as_settings() == {"enabled": True, "min_count": 2, "min_results": 1,
                                   "exclude": ["cafe creme", "free"]}
    assert not SuggestionRules().excludes("anything")


def test_ten_thousand_intents_take_under_a_megabyte() -> None:
    """The issue's target: at most 1 MB per 10,000 distinct intents (measured here on
    made-up intents of one to four words of 3 to 9 letters, ~20 characters each)."""
    rng = random.Random(11)
    made: dict[str, None] = {}
    while len(made) < 10_000:
        made[" ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9)))
                      for _ in range(rng.randint(1, 4)))] = None
    index = SuggestionIndex(list(made))
    assert len(index) == 10_000
    assert index.nbytes <= 1_000_000, index.nbytes


@pytest.mark.parametrize("intents", [["b", "a"], ["a b", "a", "b a"]])
def test_intents_come_back_in_the_order_given(intents: list[str]) -> None:
    assert SuggestionIndex(intents).intents() == intents
