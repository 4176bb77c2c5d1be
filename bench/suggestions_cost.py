"""What query suggestions cost (issue 28 target: `&s=3` adds <= 10% to a search's CPU,
<= 1 MB per 10,000 distinct intents), measured in this process on the embedded setup.

    .venv/bin/python bench/suggestions_cost.py [--queries 20000]

The corpus (Debian package titles, bench/corpus.py's cache) goes into a temporary
SQLite database; the distinct stream (bench/workload.py, never-seen queries) is
searched through the engine, as a worker does for an answer it has not cached (search
and JSON body), for the CPU per search. The intents of the window are made of other
queries of the corpus, counted as visitors' (`Store.add_intents`); the worker's
suggestion book builds its index from them through the real code (store, engine checks:
app/http/suggestions.py), and then each query of the stream looks up 3 suggestions and
splices them into its body, as `GET /v1?...&s=3` does after the response cache: the
added CPU per search. The HTTP layer's own cost (Sanic, parsing, headers) is not in the
search's CPU here, so the share printed is larger than a request's. The same through
the service, HTTP included: `make bench`'s distinct part (bench/suggestions_run.py).
"""

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus import load_corpus
from steps import CORPUS_CACHE
from workload import generate

from app.http.suggestions import SuggestionBook, built_index, with_suggestions
from app.http.synonym_book import SynonymBook
from app.shared.backends import Backends, open_backends
from app.shared.rules import SUGGESTIONS
from app.shared.settings import load_settings
from core.engine import SearchQuery
from core.store import Document
from core.suggestions import MAX_INTENTS, SuggestionIndex
from core.text import query_words

DOMAIN = "suggestions.example"
INTENT_DAYS = 10
"""Days the made-up intents are spread over: a day keeps at most 1,000 rows."""
CHUNK = 10_000


async def load(backends: Backends, documents: list[dict]) -> None:
    await backends.store.migrate()
    for start in range(0, len(documents), CHUNK):
        await backends.store.upsert(DOMAIN, [
            Document(d["url"], d["title"], popularity=d.get("popularity", 0.0))
            for d in documents[start:start + CHUNK]])
    await backends.engine.warm()


async def add_intents(backends: Backends, intents: list[str]) -> None:
    """Each intent found titles 2 to 60 times, on one of the last INTENT_DAYS days."""
    rng = random.Random(5)
    today = datetime.now(UTC).date()
    await backends.store.add_intents({
        (DOMAIN, today - timedelta(days=at % INTENT_DAYS), intent): (rng.randint(2, 60), 0)
        for at, intent in enumerate(intents)})


async def search_cpu(backends: Backends, stream: list[tuple[str, ...]]) -> list[bytes]:
    """Each query's answer body, as a worker makes it for an uncached search."""
    bodies = []
    for words in stream:
        result = await backends.engine.search(SearchQuery(DOMAIN, words, 10, ()))
        bodies.append(orjson.dumps({"terms": result.terms,
                                    "results": [[h.url, h.title] for h in result.hits]}))
    return bodies


async def run(queries: int) -> None:
    documents = load_corpus(CORPUS_CACHE)
    # Queries of the stream, and others of the same corpus for the intents.
    stream = [query_words(q) for q in generate(documents, count=queries)]
    others = generate(documents, count=queries + 3 * MAX_INTENTS, seed=23)
    seen = {" ".join(words) for words in stream}
    intents = list(dict.fromkeys(" ".join(query_words(q)) for q in others))
    intents = [intent for intent in intents if intent not in seen][:3 * MAX_INTENTS]
    with tempfile.TemporaryDirectory() as tmp:
        backends = open_backends(load_settings(
            database_url=f"sqlite:///{Path(tmp) / 'bench.db'}"))
        try:
            await load(backends, documents)
            await add_intents(backends, intents)
            await measure(backends, stream, intents)
        finally:
            await backends.close()


async def measure(backends: Backends, stream: list[tuple[str, ...]],
                  intents: list[str]) -> None:
    engine = backends.engine
    await search_cpu(backends, stream[:500])  # warm
    started = time.process_time()
    bodies = await search_cpu(backends, stream)
    per_search = (time.process_time() - started) / len(stream)
    print(f"{len(stream):,} distinct queries, {per_search * 1e6:.0f} µs CPU per search")

    wall, cpu = time.perf_counter(), time.process_time()
    index = await built_index(backends, SynonymBook(), DOMAIN, engine.generation(DOMAIN),
                              await backends.store.domain_rules(DOMAIN, SUGGESTIONS.name))
    print(f"a build: {len(intents):,} intents in the window, {len(index):,} kept "
          f"(the {MAX_INTENTS:,} most popular, checked): "
          f"{time.perf_counter() - wall:.2f} s, {time.process_time() - cpu:.2f} s CPU; "
          f"{index.nbytes:,} bytes")

    book = SuggestionBook()
    synonyms = SynonymBook()
    book.suggest(backends, synonyms, DOMAIN, engine.generation(DOMAIN), "x", 3)
    while book._building:  # the first ask builds in the background
        await asyncio.sleep(0.05)
    suggested = 0
    started = time.process_time()
    for words, body in zip(stream, bodies, strict=True):
        found = book.suggest(backends, synonyms, DOMAIN, engine.generation(DOMAIN),
                             " ".join(words), 3)
        with_suggestions(body, found)
        suggested += bool(found)
    added = (time.process_time() - started) / len(stream)
    print(f"s=3: {added * 1e6:.1f} µs CPU added per search "
          f"({added / per_search:.1%} of a search's CPU); "
          f"{suggested / len(stream):.0%} of the queries got suggestions")

    ten_thousand = SuggestionIndex(intents[:10_000] if len(intents) >= 10_000 else
                                   list(dict.fromkeys(intents + [" ".join(w) for w in stream]))
                                   [:10_000])
    print(f"an index of {len(ten_thousand):,} intents: {ten_thousand.nbytes:,} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=20_000,
                        help="queries of the distinct stream (default 20,000)")
    asyncio.run(run(parser.parse_args().queries))


if __name__ == "__main__":
    main()
