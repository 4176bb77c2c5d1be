"""core/typo_index.py: the typo candidates found from the letters the forms hold are
exactly those a scan of every candidate form finds, a typo is compared with a few
forms rather than all of its letter's, and nothing is built while a visitor waits.

Issue 24: a corrected search cost 3x an exact one, the scan of ~8,000 forms of a
first letter (and building them, 8-20 ms for the first typo of a letter and length).
"""

import random
import string
import sys

import pytest
from memory_engines import build, documents_of, with_engines
from rapidfuzz import process
from rapidfuzz.distance import OSA
from relevance.corpora import CORPORA

import core.typo_index
from core.engine import SearchQuery
from core.text import words as words_of
from core.typo_index import SMALL_GROUP, TypoIndex
from core.typos import WordList, allowed_edits, candidate_forms, chosen, corrections
from embedded.engine import Fts5Engine
from embedded.store import SqliteStore


def scanned(word: str, vocabulary: list[str]) -> list[tuple[str, int]]:
    """What `core.typos.corrections` compares: every candidate form of the letter."""
    starting = [term for term in vocabulary if term[:1] == word[:1]]
    found = process.extract(word, candidate_forms(word, starting, allowed_edits(word)),
                            scorer=OSA.distance, score_cutoff=allowed_edits(word), limit=None)
    return sorted((form, int(distance)) for form, distance, _key in found)


def mistyped(word: str, rng: random.Random) -> str:
    """One or two edits anywhere after the first letter, of every kind, letters the
    vocabulary has or not (digits, accents), repeats of a letter too."""
    for _ in range(rng.choice([1, 1, 2])):
        if len(word) < 2:
            break
        at = rng.randrange(1, len(word))
        letter = rng.choice(string.ascii_lowercase + "0é" + word)
        edit = rng.randrange(5)
        if edit == 0:
            word = word[:at] + word[at + 1:]
        elif edit == 1:
            word = word[:at] + letter + word[at + 1:]
        elif edit == 2 and at + 1 < len(word):
            word = word[:at] + word[at + 1] + word[at] + word[at + 2:]
        elif edit == 3:
            word = word[:at] + letter * 2 + word[at:]
        else:
            word = word[:at] + letter + word[at:]
    return word


def lib_words(count: int, seed: int) -> list[str]:
    """Words as a package index has them: thousands that begin alike ("lib…")."""
    rng = random.Random(seed)
    stems = ["lib", "libre", "libx", "lin", "lua", "l"]
    return [rng.choice(stems) + "".join(rng.choice("aeioulnrstxyz0123") for _ in
                                        range(rng.randint(1, 12))) for _ in range(count)]


def vocabularies() -> dict[str, list[str]]:
    found = {name: sorted({word for document in corpus.documents()
                           for word in words_of(document["title"])})
             for name, corpus in CORPORA.items()}
    found["lib"] = sorted(set(lib_words(4000, seed=3)))
    return found


@pytest.mark.parametrize("name", sorted(vocabularies()))
def test_the_candidates_within_the_edits_are_exactly_those_a_scan_finds(name):
    vocabulary = vocabularies()[name]
    index = TypoIndex(vocabulary)
    rng = random.Random(name)
    typed = [mistyped(rng.choice(vocabulary), rng) for _ in range(600)]
    typed += ["".join(rng.choice("abelnrs") for _ in range(rng.randint(4, 14)))
              for _ in range(100)]  # strangers to the vocabulary
    compared = 0
    for word in typed:
        if not allowed_edits(word):
            continue
        assert sorted(index.matches(word)) == scanned(word, vocabulary), word
        site = WordList(vocabulary)
        starting = [term for term in vocabulary if term[0] == word[0]]
        assert chosen(word, index.matches(word), site) == corrections(word, starting, site)
        compared += 1
    assert compared > 400


def test_groups_at_the_small_size_and_past_it_find_the_same():
    # Below SMALL_GROUP forms a length's forms are all compared; from it on, bitsets.
    for count in (SMALL_GROUP - 1, SMALL_GROUP, SMALL_GROUP + 1, 3 * SMALL_GROUP):
        vocabulary = sorted({f"ka{number:04d}x" for number in range(count)}
                            | {"kaxyz", "kbarrel", "kaaaa", "kaaab"})
        index = TypoIndex(vocabulary)
        for word in ("ka0012y", "ka001x", "ka00x12", "kaaa", "kaaaab", "kbarel", "kxyz0"):
            assert sorted(index.matches(word)) == scanned(word, vocabulary), (count, word)


def test_a_typo_is_compared_with_a_few_forms_not_every_form_of_its_letter(monkeypatch):
    vocabulary = sorted(set(lib_words(6000, seed=5)))
    index = TypoIndex(vocabulary)
    compared: list[int] = []
    extract = process.extract

    def counted(query, choices, **kwargs):  # a spy: counts, then compares as always
        compared.append(len(choices))
        return extract(query, choices, **kwargs)

    monkeypatch.setattr(core.typo_index.process, "extract", counted)
    rng = random.Random(8)
    typed = [mistyped(rng.choice(vocabulary), rng) for _ in range(300)]
    typed = [word for word in typed if allowed_edits(word) and word[0] == "l"]
    for word in typed:
        index.matches(word)
    letter = [term for term in vocabulary if term[0] == "l"]
    scanned_forms = [len(candidate_forms(word, letter, allowed_edits(word))) for word in typed]
    # The scan compared each with hundreds to thousands of forms.
    assert sum(scanned_forms) / len(typed) > 1000
    assert sum(compared) / len(typed) < sum(scanned_forms) / len(typed) / 20


def test_the_typo_forms_are_counted_in_the_index_bytes():
    vocabulary = sorted(set(lib_words(3000, seed=9)))
    index = TypoIndex(vocabulary)
    held = sys.getsizeof(index.groups)
    for group in index.groups.values():
        held += sys.getsizeof(group.words) + sys.getsizeof(group.whole)
        held += sum(map(sys.getsizeof, (group.bags or {}).values()))
    assert held <= index.nbytes < 3 * held


def test_a_first_typo_of_a_letter_builds_nothing_while_the_visitor_waits(tmp_path):
    """The forms of a letter and length were built at its first typo and kept in the
    query caches, which evicted them under a stream of typos: now the index holds its
    typo forms from its build on, and a search only keeps the corrections it found."""
    documents = documents_of(CORPORA["movies"].documents())

    async def test(_store: SqliteStore, fts5_only: Fts5Engine, in_memory: Fts5Engine) -> None:
        assert await build(in_memory, "movies")
        caches = in_memory.memory.cache
        for typed in ("birdmna", "boyhod", "grnad budapest", "interstelar", "whiplsh"):
            query = SearchQuery("movies", tuple(typed.split()))
            assert await in_memory.search(query) == await fts5_only.search(query)
        built = [key for key in caches.forms._entries if key[1] != "fixes"]
        assert built == []
        fixes = [value for value, _size in caches.forms._entries.values()]
        assert ["birdman"] in fixes and ["whiplash"] in fixes
        index = in_memory.memory._indexes["movies"]
        assert index.nbytes > index.typos.nbytes > 0

    with_engines(tmp_path / "typos.db", {"movies": documents}, test)
