"""The scaled-out engine ranks like the embedded one, on real data: the demo
corpus (the standard library's names, with real popularity), typo tier included."""

import asyncio
import random
import struct
import time
import uuid

import httpx
import pytest
from live import LiveServer, ScaledServer, new_site

from app.pages.demo import documents
from core.engine import SearchQuery
from core.text import words
from scaled.cluster import open_cluster
from scaled.mapping import index_body, new_index_name, source
from scaled_setup.support import require_services

pytestmark = pytest.mark.scaled


def queries(titles: list[str], count: int, seed: int = 7) -> list[str]:
    """Prefixes people type: 1-4 letters of a title's first word, or of its first two."""
    rng = random.Random(seed)
    result: set[str] = set()
    while len(result) < count:
        title_words = words(rng.choice(titles))
        if not title_words:
            continue
        first = title_words[0][: rng.randint(1, 4)]
        if len(title_words) > 1 and rng.random() < 0.5:
            result.add(f"{title_words[0]} {title_words[1][: rng.randint(1, 3)]}")
        else:
            result.add(first)
    return sorted(result)


def mistyped(titles: list[str], count: int, seed: int = 11) -> list[str]:
    """Words of the titles with one typo (swap, missing, extra or wrong letter, never
    the first), sometimes cut short as if still being typed, sometimes after a
    right word: queries that need the typo tier."""
    rng = random.Random(seed)
    result: set[str] = set()
    while len(result) < count:
        title_words = [w for w in words(rng.choice(titles)) if len(w) >= 4 and w.isalpha()]
        if not title_words:
            continue
        word = rng.choice(title_words)
        if len(word) > 6 and rng.random() < 0.3:
            word = word[: rng.randint(5, len(word) - 1)]
        i = rng.randint(1, len(word) - 1)
        edit = rng.choice(["swap", "delete", "insert", "replace"])
        if edit == "swap" and i < len(word) - 1:
            word = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        elif edit == "delete":
            word = word[:i] + word[i + 1:]
        elif edit == "insert":
            word = word[:i] + rng.choice("aeiounrst") + word[i:]
        else:
            word = word[:i] + rng.choice("aeiounrst") + word[i + 1:]
        others = [w for w in words(rng.choice(titles)) if w != word]
        if others and rng.random() < 0.25:
            word = f"{others[0][: rng.randint(1, 4)]} {word}"
        result.add(word)
    return sorted(result)


def joined_and_dead_ends(titles: list[str], count: int, seed: int = 13) -> list[str]:
    """Queries for tiers 3a and 4 (core/search.py): two words of a title written as
    one ("ospath") or a joined word split in two ("spider man"), and a title's word
    beside one that matches nothing."""
    rng = random.Random(seed)
    result: set[str] = set()
    while len(result) < count:
        title_words = words(rng.choice(titles))
        if len(title_words) < 2:
            continue
        at = rng.randrange(len(title_words) - 1)
        kind = rng.randrange(3)
        if kind == 0:
            result.add("".join(title_words[at:at + 2])[: rng.randint(3, 12)])
        elif kind == 1 and len(title_words[at]) > 2:
            cut = rng.randrange(1, len(title_words[at]))
            result.add(f"{title_words[at][:cut]} {title_words[at][cut:]}")
        else:
            result.add(f"{title_words[at]} qxz{rng.randrange(99)}")
    return sorted(result)


def tie_groups(urls: list[str], popularity: dict[str, float]) -> list[set[str]]:
    """The results as runs of equal popularity, the last (cut off by n) left out."""
    groups: list[set[str]] = []
    last: float | None = None
    for url in urls:
        if popularity[url] != last:
            groups.append(set())
            last = popularity[url]
        groups[-1].add(url)
    return groups[:-1]


def test_scaled_ranking_equals_embedded_on_the_demo_corpus(
    server: LiveServer, scaled_server: ScaledServer, client: httpx.Client
) -> None:
    """Same titles, same tiers, same order, same corrected words in `terms`, for
    prefixes people type and for mistyped words (the typo tier). Ties at the
    cut-off (n) may be filled differently, so the last run of equally popular
    titles is compared by popularity only."""
    corpus = [{"url": d.url, "title": d.title, "group": d.group, "popularity": d.popularity}
              for d in documents()]
    popularity = {d["url"]: float(numpy_free_float32(d["popularity"])) for d in corpus}
    titles = [d["title"] for d in corpus]
    with httpx.Client(base_url=scaled_server.base_url, timeout=60) as scaled_client:
        embedded = new_site(server, client)
        scaled = new_site(scaled_server, scaled_client)
        for site in (embedded, scaled):
            assert site.bulk(corpus).status_code == 201
        scaled_server.settle()
        checked = queries(titles, 300) + mistyped(titles, 200) + joined_and_dead_ends(titles, 150)
        exact, corrected, different = 0, 0, []
        for q in checked:
            params = {"q": q, "n": 10}
            answer = client.get("/v1", params={"d": embedded.domain, **params}).json()
            response = scaled_client.get("/v1", params={"d": scaled.domain, **params})
            assert response.status_code == 200, (q, response.text)
            mine = [u for u, _t in answer["results"]]
            theirs = [u for u, _t in response.json()["results"]]
            corrected += answer["terms"] != words(q)
            exact += mine == theirs
            if (answer["terms"] != response.json()["terms"]
                    or [popularity[u] for u in mine] != [popularity[u] for u in theirs]
                    or tie_groups(mine, popularity) != tie_groups(theirs, popularity)):
                different.append((q, answer["terms"], response.json()["terms"], mine, theirs))
    print(f"identical order for {exact} of {len(checked)} queries; "
          f"{corrected} with typo corrections")
    assert corrected >= 150, "the typo tier was hardly exercised"
    assert not different, f"{len(different)} of {len(checked)} queries differ: {different[:3]}"


def numpy_free_float32(value: float) -> float:
    """Both engines keep popularity as a 32-bit float; compare it that way."""
    return struct.unpack("f", struct.pack("f", value))[0]


def test_migrate_adds_the_vocabulary_field_to_an_index_made_before_it() -> None:
    """`ensure_index` (run by `autocompeter migrate`, `serve` and `indexer`) puts
    `words` into an older index's strict mapping, so new documents are accepted;
    old documents lack words until `autocompeter reindex`, which only means
    fewer corrections, never an error."""
    _database, search_url = require_services()
    engine = open_cluster(search_url, alias=f"test-{uuid.uuid4().hex[:10]}")

    def doc(n: int, title: str, with_words: bool) -> list[dict]:
        body = source(n, "old.example", f"/{n}", title, "", 1.0)
        if not with_words:
            del body["words"]
        return [{"index": {"_index": engine.alias, "_id": str(n)}}, body]

    async def run() -> None:
        old_body = index_body()
        del old_body["mappings"]["properties"]["words"]
        name = new_index_name(engine.alias)
        try:
            await engine.admin.call("indices.create", index=name, body=old_body)
            await engine.swap_alias(name, [])
            assert await engine.bulk(doc(1, "Python before", with_words=False)) == []
            refused = await engine.bulk(doc(2, "Python refused", with_words=True))
            assert refused, "a strict mapping without `words` should refuse it"
            query = SearchQuery("old.example", ("pyhton",))
            await engine.refresh()
            assert (await engine.search(query)).hits == []  # no vocabulary yet

            assert await engine.ensure_index() == name
            assert await engine.ensure_index() == name  # again: nothing changes
            assert await engine.bulk(doc(3, "Python after", with_words=True)) == []
            await engine.refresh()
            # The empty word list answers until a fetch in a later second brings the new
            # words (scaled.vocabulary): wait for that, not for a fixed time.
            deadline = time.monotonic() + 30
            while not (result := await engine.search(query)).hits:
                assert time.monotonic() < deadline, "the new words never reached the typo tier"
                await asyncio.sleep(0.1)
            assert sorted(hit.url for hit in result.hits) == ["/1", "/3"]
            assert result.terms == ["pyhton", "python"]
        finally:
            await engine.delete_index(name)
            await engine.close()

    asyncio.run(run())
