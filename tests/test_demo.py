"""The demo corpus is real: read from the standard library's sources."""

from app.demo import documents


def test_demo_corpus_has_the_standard_library():
    corpus = documents()
    by_url = {d.url: d for d in corpus}
    assert len(corpus) > 1000
    dumps = by_url["https://docs.python.org/3/library/json.html#json.dumps"]
    assert dumps.title.startswith("json.dumps — Serialize")
    compile_ = by_url["https://docs.python.org/3/library/re.html#re.compile"]
    assert compile_.popularity > 10  # used all over the standard library
    assert all(0 < len(d.title) <= 500 for d in corpus)
    assert len(by_url) == len(corpus)
