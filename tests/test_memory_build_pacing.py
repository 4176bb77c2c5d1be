"""A domain's in-memory index is built in a reader thread while the event loop goes
on answering from FTS5 (issue 24, many sites): the build must not stall those
searches, nor leave the garbage collector a big index to walk once it is built.

Measured on 63,678 Debian titles (one client, a search at a time while the index
builds): 138 of 1,098 searches over 10 ms, max 136 ms. A thread spinning plain
Python did the same: the loop thread gave up the GIL at every SQLite call and
waited up to `sys.getswitchinterval()` to get it back, so an FTS5 search of a
dozen statements waited a dozen times. And each full collection walked the
index's lists of titles: 9.5 ms a collection, for every thread.

Each test runs on a real SQLite file; the corpus is random words, sized so that
a build lasts long enough to search during it.
"""

import asyncio
import gc
import random
import string
import threading
import time
import weakref
from pathlib import Path

from memory_engines import build, with_engines

from core.engine import SearchQuery
from core.store import Document
from embedded.engine import Fts5Engine
from embedded.store import SqliteStore

MiB = 1024 * 1024


def random_titles(count: int, prefix: str, seed: int) -> list[Document]:
    """``count`` titles of five to nine words from a vocabulary of random words."""
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10)))
                  for _ in range(count)]
    return [Document(f"/{prefix}/{number}", " ".join(rng.choices(vocabulary, k=rng.randint(5, 9))),
                     popularity=float(rng.randrange(50)))
            for number in range(count)]


def collector_visits(root: object) -> int:
    """References a full collection follows inside ``root``'s own objects (the shared
    query caches and the classes apart): what each gen-2 collection walks."""
    seen: set[int] = set()
    todo = [value for name, value in vars(root).items() if name != "_caches"]
    visits = 0
    while todo:
        item = todo.pop()
        if id(item) in seen or isinstance(item, type) or not gc.is_tracked(item):
            continue
        seen.add(id(item))
        referents = gc.get_referents(item)
        visits += len(referents)
        todo.extend(referents)
    return visits


def test_a_built_index_gives_the_collector_little_to_walk(tmp_path: Path) -> None:
    titles = random_titles(6000, "a", seed=1)

    async def test(_store: SqliteStore, _fts5: Fts5Engine, in_memory: Fts5Engine) -> int:
        assert await build(in_memory, "site")
        index = in_memory.memory.fresh("site", in_memory.generation("site"), ("a",))
        gc.collect()  # tuples of untracked items are untracked by a collection
        return collector_visits(index)

    visits = with_engines(tmp_path / "walk.db", {"site": titles}, test)
    # Lists of its titles, texts and words made each collection walk every one of them.
    assert visits < len(titles), f"a full collection follows {visits} references in the index"


def test_an_evicted_index_is_freed_outside_the_event_loop(tmp_path: Path) -> None:
    """Freeing an index of 64k titles took 19 ms: not in the thread that answers."""
    domains = {name: random_titles(1500, name, seed) for seed, name in enumerate(("a", "b"))}
    freed_in: list[str] = []

    async def test(_store: SqliteStore, _fts5: Fts5Engine, in_memory: Fts5Engine) -> None:
        assert await build(in_memory, "a")
        first = in_memory.memory.fresh("a", in_memory.generation("a"), ("a",))
        weakref.finalize(first, lambda: freed_in.append(threading.current_thread().name))
        del first
        assert await build(in_memory, "b")  # the budget holds one: "a" goes
        assert in_memory.memory.fresh("a", in_memory.generation("a"), ("a",)) is None
        deadline = time.monotonic() + 10
        while not freed_in and time.monotonic() < deadline:  # freed in the background
            await asyncio.sleep(0.01)
        assert freed_in, "the evicted index is still held"

    one_index = 3 * MiB // 2  # each index takes about 1.1 MB
    with_engines(tmp_path / "evict.db", domains, test, budget=one_index)
    assert freed_in != [threading.main_thread().name]


def readers_cpu() -> float:
    """CPU seconds of the SQLite reader threads (`embedded.database`), where builds run."""
    return sum(time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
               for thread in threading.enumerate()
               if thread.name.startswith("sqlite-read") and thread.ident is not None)


async def searches_while_building(engine: Fts5Engine, seconds: float) -> dict[str, float]:
    """Searches one after another, from the event loop, while the domain "site" builds
    (FTS5 answers them): the CPU time the loop thread and the reader threads (the
    build) had meanwhile, and how long it lasted."""
    words = ["ab", "cd e", "fgh", "kl m", "pqr", "st", "uv wx", "yz"]
    await engine.search(SearchQuery("site", ("warm",)))  # starts the build
    assert engine.memory.building("site")
    loop_started, build_started, started = time.thread_time(), readers_cpu(), time.monotonic()
    searches = 0
    while engine.memory.building("site") and time.monotonic() < started + seconds:
        await engine.search(SearchQuery("site", tuple(words[searches % len(words)].split())))
        searches += 1
        await asyncio.sleep(0)  # as a server goes back to the loop between requests
    return {"loop": time.thread_time() - loop_started, "build": readers_cpu() - build_started,
            "seconds": time.monotonic() - started, "searches": searches}


def test_a_build_gives_way_to_searches(tmp_path: Path) -> None:
    """While the event loop searches without a break, a build in a reader thread gets
    much less of the CPU than the loop: it gives way to searches. It got more than the
    loop before, which waited for it at every SQLite call of a search (the GIL).
    CPU times, not wall times: other processes on the machine slow both threads alike."""
    titles = random_titles(30000, "s", seed=3)

    async def test(_store: SqliteStore, _fts5: Fts5Engine, in_memory: Fts5Engine
                   ) -> dict[str, float]:
        return await searches_while_building(in_memory, seconds=2)

    measured = with_engines(tmp_path / "pace.db", {"site": titles}, test, budget=256 * MiB)
    assert measured["loop"] > 0.1, f"the build ended too soon to measure: {measured}"
    share = measured["build"] / measured["loop"]
    assert share < 0.5, f"the build had {share:.0%} of the loop's CPU time: {measured}"
