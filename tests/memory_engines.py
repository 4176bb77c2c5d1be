"""Two embedded engines over one real SQLite file, and searches as visitors type
them: what the tests of the in-memory indexes share (tests/test_memory_index.py,
test_domain_index.py, test_indexed_titles.py, test_one_group_domains.py).

An engine whose budget is 0 answers from FTS5 only; one with a budget answers
from memory once its domains are built (`build` says whether it did), and
`compare` reports every search on which the two differ.
"""

import asyncio
import random
import string
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from core.engine import SearchQuery, SearchResult
from core.search import joined_forms, joined_readings
from core.store import Document
from core.text import query_words, words
from embedded.database import SqliteDatabase
from embedded.engine import Fts5Engine
from embedded.store import SqliteStore

T = TypeVar("T")
MiB = 1024 * 1024
# New Tai Lue vowel signs: letters to Python, separators to FTS5's tokenizer.
CHANGED_BY_FTS5 = "\u19b0"


def documents_of(items: Iterable[dict[str, Any]]) -> list[Document]:
    return [Document(item["url"], item["title"], item.get("group", ""),
                     float(item.get("popularity", 0))) for item in items]


def widgets(count: int, prefix: str = "/") -> list[Document]:
    return [Document(f"{prefix}{number}", f"Widget {number} for sprockets",
                     popularity=float(number % 7)) for number in range(count)]


def write_domains(path: Path, domains: dict[str, list[Document]]) -> Path:
    """A SQLite file at ``path`` holding ``domains``, as the store writes them."""

    async def write() -> None:
        store = SqliteStore(SqliteDatabase(path))
        await store.migrate()
        for domain, documents in domains.items():
            await store.upsert(domain, documents)
        await store.close()

    asyncio.run(write())
    return path


def with_engines(path: Path, domains: dict[str, list[Document]],
                 test: Callable[[SqliteStore, Fts5Engine, Fts5Engine], Awaitable[T]],
                 budget: int = 64 * MiB) -> T:
    """Run ``test(store, fts5_only, in_memory)`` over one SQLite file holding ``domains``."""

    async def run() -> T:
        db = SqliteDatabase(path)
        store = SqliteStore(db)
        await store.migrate()
        for domain, documents in domains.items():
            await store.upsert(domain, documents)
        fts5_only, in_memory = Fts5Engine(db, memory_budget_bytes=0), Fts5Engine(db, budget)
        try:
            return await test(store, fts5_only, in_memory)
        finally:
            await in_memory.close()
            await store.close()

    return asyncio.run(run())


async def build(engine: Fts5Engine, domain: str) -> bool:
    """Have the engine build the domain's index; whether it now answers from memory."""
    await engine.search(SearchQuery(domain, ("warm",)))
    await engine.memory.built(domain)
    return engine.memory.fresh(domain, engine.generation(domain), ("warm",)) is not None


def typo(word: str, rng: random.Random) -> str:
    """One edit after the first letter (which the typo rules trust)."""
    at = rng.randrange(1, len(word))
    letter = rng.choice(string.ascii_lowercase)
    edit = rng.randrange(4)
    if edit == 0:
        return word[:at] + word[at + 1:]
    if edit == 1:
        return word[:at] + letter + word[at + 1:]
    if edit == 2 and at + 1 < len(word):
        return word[:at] + word[at + 1] + word[at] + word[at + 2:]
    return word[:at] + letter + word[at:]


def queries(titles: list[str], count: int, seed: int) -> list[str]:
    """Queries as visitors type them: prefixes of 1..8 letters, two or three words in
    order or not, typos, misses, raw title text (case, accents, punctuation), two
    words written as one or a word split in two (`core.search` tier 3a), and a real
    word beside one that matches nothing (tier 4)."""
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        raw = rng.choice(titles)
        title = words(raw)
        if not title:
            continue
        kind = rng.randrange(11)
        start = rng.randrange(len(title))
        span = title[start:start + 2 + (kind == 2)]
        if kind == 0 or len(span) < 2:
            found.append(title[start][:rng.randint(1, 8)])
        elif kind in (1, 2):
            found.append(" ".join([*span[:-1], span[-1][:rng.randint(1, 8)]]))
        elif kind == 3:
            found.append(f"{span[1]} {span[0][:rng.randint(1, 6)]}")
        elif kind in (4, 5):
            typed = [typo(word, rng) if len(word) >= 4 else word for word in span]
            found.append(" ".join(typed[: 1 + (kind == 5)]))
        elif kind == 6:
            found.append("".join(rng.choice("qxzjkvw") for _ in range(rng.randint(2, 7))))
        elif kind == 7:
            found.append(raw[:rng.randint(1, 24)])
        elif kind == 8:
            found.append("".join(span)[:rng.randint(2, 12)])
        elif kind == 9 and len(title[start]) > 2:
            at = rng.randrange(1, len(title[start]))
            found.append(f"{title[start][:at]} {title[start][at:]}")
        else:
            found.append(f"{' '.join(span[:rng.randint(1, 2)])} qxz{rng.randrange(99)}")
    return found


async def compare(fts5_only: Fts5Engine, in_memory: Fts5Engine, domain: str,
                  typed: list[str], groups: list[tuple[str, ...]], seed: int) -> int:
    """Search each query on both paths; every difference is reported at once."""
    rng = random.Random(seed)
    differences = []
    compared = 0
    for text in typed:
        searched = query_words(text)
        if not searched:
            continue
        query = SearchQuery(domain, searched, rng.choice([1, 3, 10, 25, 100]),
                            rng.choice(groups))
        expected: SearchResult = await fts5_only.search(query)
        answered: SearchResult = await in_memory.search(query)
        if answered != expected:
            differences.append((query, expected, answered))
        # The typo tier on its own too: the search flow runs it only when the
        # exact tiers find nothing, which leaves its exclusion of their titles idle.
        fixes = await fts5_only.corrections(query)
        if fixes != await in_memory.corrections(query):
            differences.append((query, fixes, await in_memory.corrections(query)))
        elif fixes:
            expected_hits = await fts5_only.corrected(query, fixes, query.size)
            hits = await in_memory.corrected(query, fixes, query.size)
            if hits != expected_hits:
                differences.append((query, fixes, expected_hits, hits))
        # Tier 3a and tier 4's question on their own too, for the same reason.
        readings = joined_readings(query.words)
        if readings and (await fts5_only.joined(query, readings, query.size)
                         != await in_memory.joined(query, readings, query.size)):
            differences.append((query, "joined"))
        forms = [*query.words, *joined_forms(readings)]
        if await fts5_only.present(query, forms) != await in_memory.present(query, forms):
            differences.append((query, "present", forms))
        compared += 1
    assert not differences, f"{len(differences)} of {compared} differ; first: {differences[0]}"
    return compared
