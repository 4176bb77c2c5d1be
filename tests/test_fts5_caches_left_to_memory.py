"""What the FTS5 path keeps of a domain (its words' titles and terms, its typo words) is
dropped once the domain's in-memory index answers for it: a worker that served a domain
by FTS5 while its index built held both (many sites: RSS 169 MB against issue 24's 150)."""

from memory_engines import build, widgets, with_engines

from core.engine import SearchQuery

DOMAIN = "widgets.example"
# A typo (the FTS5 path's typo words) and two words (their terms and titles).
SEARCHES = [("widgte",), ("widget", "sprock")]


def test_the_fts5_caches_of_a_domain_go_once_its_index_answers(tmp_path):
    async def test(_store, _fts5_only, engine):
        for words in SEARCHES:  # no index yet: FTS5 answers, and starts the build
            await engine.search(SearchQuery(DOMAIN, words))
        holding = [cache for cache in engine.fts5_caches if cache.size]
        assert holding, "the FTS5 path kept nothing: the test searched no FTS5 step"

        assert await build(engine, DOMAIN)
        answers = [await engine.search(SearchQuery(DOMAIN, words)) for words in SEARCHES]

        assert [cache.size for cache in engine.fts5_caches] == [0, 0, 0]
        assert all(answer.hits for answer in answers)

    with_engines(tmp_path / "t.sqlite3", {DOMAIN: widgets(300)}, test)
