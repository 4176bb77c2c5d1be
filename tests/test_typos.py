"""Typo tolerance: the rules, and the embedded engine's third tier through the API."""

import pytest

from core.typos import allowed_edits, corrections

VOCABULARY = ["python", "pythia", "pyramid", "pytest", "javascript", "java", "firefox",
              "firebird", "fire"]


@pytest.mark.parametrize(
    "word, expected",
    [
        ("pythn", ["python"]),            # a whole word before 'pythi', a mere beginning
        ("pyhton", ["python"]),           # a swap of neighbours
        ("javasript", ["javascript"]),    # 8+ letters allow two edits
        ("firefix", ["firefox"]),         # a replacement
        ("fire", []),                     # beginnings of its own word are not corrections
        ("pxthxn", []),                   # two edits in six letters is too many
        ("xython", []),                   # the first letter is trusted
        ("pyt", []),                      # under four letters: as typed
    ],
)
def test_corrections(word, expected):
    starting = [term for term in VOCABULARY if term[0] == word[0]]
    assert corrections(word, starting) == expected


def test_allowed_edits_grow_with_the_word():
    assert [allowed_edits("x" * n) for n in (3, 4, 7, 8, 12)] == [0, 1, 1, 2, 2]


def test_typo_tier_answers_when_exact_tiers_find_nothing_and_returns_corrected_terms(site):
    site.bulk([
        {"url": "/py", "title": "Python for beginners", "popularity": 100},
        {"url": "/js", "title": "JavaScript patterns"},
        {"url": "/ff", "title": "Firefox add-ons"},
    ])
    body = site.search("pythn").json()
    assert [url for url, _ in body["results"]] == ["/py"]
    assert body["terms"] == ["pythn", "python"]
    assert site.urls("javasript") == ["/js"]
    assert site.urls("firefix add") == ["/ff"]


def test_a_word_found_as_typed_is_not_corrected(site):
    # Typos are only worked on when the exact tiers find nothing: a query that
    # finds titles as typed is answered from them, even with room on the page.
    site.bulk([
        {"url": "/py", "title": "Python for beginners", "popularity": 100},
        {"url": "/typo", "title": "Pythn notes", "popularity": 1},
    ])
    body = site.search("pythn").json()
    assert [url for url, _ in body["results"]] == ["/typo"]
    assert body["terms"] == ["pythn"]


def test_no_typo_work_when_exact_tiers_fill_the_page(site):
    site.bulk([{"url": f"/{i}", "title": f"Pythn {i}"} for i in range(3)]
              + [{"url": "/python", "title": "Python"}])
    body = site.search("pythn", n=3).json()
    assert body["terms"] == ["pythn"]
    assert "/python" not in [url for url, _ in body["results"]]
