"""core/synonyms.py: an owner's rules checked and folded; and the search flow
(core/search.py) answering with them on the embedded engine, from FTS5 and from the
in-memory index. The HTTP API and the scaled engine: tests/conformance/test_synonyms_api.py.
"""

import asyncio

import pytest

from core.engine import SearchQuery, SearchResult
from core.store import Document
from core.synonyms import MAX_GROUPS, MAX_WORDS_PER_RULE, SynonymError, Synonyms
from core.text import query_words
from embedded.database import SqliteDatabase
from embedded.engine import Fts5Engine
from embedded.store import SqliteStore

TITLES = [
    Document("/js", "JavaScript tips", popularity=1),
    Document("/json", "JSON schemas", popularity=5),
    Document("/k8s", "Kubernetes in production"),
    Document("/cheat", "K8s cheat sheet"),
    Document("/py", "Python tips"),
]
RULES = Synonyms.from_rules([["JS", "javascript"]], {"k8s": ["Kubernetes"],
                                                     "ecmascript": ["javascript"]})


def test_a_group_makes_each_word_stand_for_the_others_and_a_one_way_rule_one_way():
    rules = Synonyms.from_rules([["js", "javascript", "ecmascript"]], {"k8s": ["kubernetes"]})
    assert rules.alternatives(("js", "tips")) == {"js": ["javascript", "ecmascript"]}
    assert rules.alternatives(("ecmascript",)) == {"ecmascript": ["js", "javascript"]}
    assert rules.alternatives(("k8s",)) == {"k8s": ["kubernetes"]}
    assert rules.alternatives(("kubernetes",)) == {}


def test_rules_are_folded_as_titles_are_and_answer_in_the_shape_they_came():
    rules = Synonyms.from_rules([["Café", "COFFEE"]], {"Œuvre": ["work"]})
    assert rules.as_rules() == {"synonyms": [["cafe", "coffee"]], "one_way": {"oeuvre": ["work"]}}
    assert Synonyms.from_rules(**rules.as_rules()) == rules
    assert not Synonyms() and rules


def test_a_query_word_is_compared_whole_never_as_a_prefix():
    assert RULES.alternatives(("j", "jav", "k8")) == {}


@pytest.mark.parametrize(("groups", "one_way", "named"), [
    ([["new york", "nyc"]], {}, "'new york' is not one word"),
    ([["js"]], {}, "synonyms[0]"),
    ([["js", "JS"]], {}, "two different words"),
    ([["js", "..."]], {}, "'...' is not one word"),
    ([["js", 3]], {}, "3 is not one word"),
    (["js"], {}, "synonyms[0]: give 2"),
    ([["w"] * (MAX_WORDS_PER_RULE + 1)], {}, f"give 2 to {MAX_WORDS_PER_RULE}"),
    ([["a", "b"]] * (MAX_GROUPS + 1), {}, f"at most {MAX_GROUPS} groups"),
    ([], {"k8s": []}, "one_way['k8s']"),
    ([], {"k 8s": ["kubernetes"]}, "one_way key 'k 8s'"),
    ([], {"k8s": "kubernetes"}, "give 1"),
])
def test_a_rule_the_service_cannot_keep_is_refused_by_name(groups, one_way, named):
    with pytest.raises(SynonymError, match=named.replace("[", r"\[").replace("]", r"\]")):
        Synonyms.from_rules(groups, one_way)


def search(tmp_path, texts: list[str], rules: Synonyms, in_memory: bool) -> list[SearchResult]:
    async def run() -> list[SearchResult]:
        db = SqliteDatabase(tmp_path / "synonyms.db")
        store = SqliteStore(db)
        await store.migrate()
        await store.upsert("site", TITLES)
        engine = Fts5Engine(db, **({} if in_memory else {"memory_budget_bytes": 0}))
        try:
            if in_memory:
                await engine.warm()
            found = []
            for text in texts:
                words = query_words(text)
                found.append(await engine.search(
                    SearchQuery("site", words, 10, (), rules.for_query(words))))
            return found
        finally:
            await engine.close()
            await store.close()

    return asyncio.run(run())


def urls(result: SearchResult) -> list[str]:
    return [hit.url for hit in result.hits]


@pytest.fixture(params=[False, True], ids=["fts5", "in memory"])
def in_memory(request) -> bool:
    return request.param


def test_a_synonym_finds_its_titles_after_those_of_the_word_as_typed(tmp_path, in_memory):
    js, = search(tmp_path, ["js"], RULES, in_memory)
    assert urls(js) == ["/json", "/js"]
    assert js.terms == ["js", "javascript"]
    assert js.tier == "exact"


def test_a_one_way_rule_finds_in_one_direction_only(tmp_path, in_memory):
    k8s, kubernetes = search(tmp_path, ["k8s", "kubernetes"], RULES, in_memory)
    assert urls(k8s) == ["/cheat", "/k8s"] and "kubernetes" in k8s.terms
    assert urls(kubernetes) == ["/k8s"]


def test_a_synonym_answers_alone_and_in_a_query_of_several_words(tmp_path, in_memory):
    javascript_tips, tips_js, zzz_js = search(
        tmp_path, ["javascript tip", "tips js", "zzzz js"], RULES, in_memory)
    assert urls(javascript_tips) == ["/js"]
    assert urls(tips_js) == ["/js"] and tips_js.tier == "synonym"
    assert tips_js.terms == ["tips", "js", "javascript"]
    # "zzzz" matches nothing and is dropped; "js" answers with its synonym too.
    assert urls(zzz_js) == ["/json", "/js"] and zzz_js.tier == "fewer words"


def test_a_word_found_only_by_its_synonym_counts_as_matched_when_words_are_dropped(
        tmp_path, in_memory):
    # Both words match alone, no title has both: words go from the right, and
    # "ecmascript" (in no title as typed) is kept for its synonym, not dropped.
    (apart,) = search(tmp_path, ["ecmascript python"], RULES, in_memory)
    assert urls(apart) == ["/js"] and apart.tier == "fewer words"
    assert apart.terms == ["ecmascript", "javascript"]


def test_a_synonym_stands_beside_a_typo_correction(tmp_path, in_memory):
    (mistyped,) = search(tmp_path, ["js tipz"], RULES, in_memory)
    assert urls(mistyped) == ["/js"]
    assert {"javascript", "tips"} <= set(mistyped.terms)


def test_without_rules_a_search_answers_as_before(tmp_path, in_memory):
    (js,) = search(tmp_path, ["js"], Synonyms(), in_memory)
    assert urls(js) == ["/json"] and js.terms == ["js"]
