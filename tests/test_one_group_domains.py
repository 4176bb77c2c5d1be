"""A domain whose titles are all in one group, searched without it (or with it), on
both embedded paths: every step of the search flow answers, none fails.

Such a domain has no per-title group numbers in memory (one group is all of them),
and a search that reaches typo correction or tier 4 without that group used to
fail there: a 500 that told a stranger whether a private title held a word near
the one searched.
"""

import pytest
from memory_engines import build, with_engines

from core.engine import SearchQuery
from core.store import Document
from core.text import query_words

TITLES = ["Merge request guide", "Staff rota for December", "Django deployment notes"]
# Typos of the titles' words, a miss beside a word, and words of two titles together.
QUERIES = ["mergre", "djngo", "rota zzzz", "merge djan", "staf rotaa", "guide"]


def domain_of(group: str) -> list[Document]:
    return [Document(f"/{number}", title, group) for number, title in enumerate(TITLES)]


@pytest.mark.parametrize("group", ["staff", "en"])
@pytest.mark.parametrize("path", ["fts5", "memory"])
def test_a_domain_in_one_group_answers_every_query_with_and_without_it(tmp_path, group, path):
    async def test(_store, fts5_only, in_memory):
        engine = fts5_only
        if path == "memory":
            assert await build(in_memory, "intranet.example")
            engine = in_memory
        answers = {}
        for text in QUERIES:
            for groups in ((), (group,)):
                query = SearchQuery("intranet.example", query_words(text), 10, groups)
                answers[text, groups] = await engine.search(query)
        return answers

    answers = with_engines(tmp_path / "one-group.db", {"intranet.example": domain_of(group)},
                           test)
    for (text, groups), result in answers.items():
        if not groups:  # the only group not searched: nothing, and no word of it
            assert result.hits == [], text
            assert set(result.terms) <= set(query_words(text)), (text, result.terms)
    assert [hit.url for hit in answers["mergre", (group,)].hits] == ["/0"]
    assert [hit.url for hit in answers["djngo", (group,)].hits] == ["/2"]
