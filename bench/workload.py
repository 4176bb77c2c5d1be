"""The distinct-query workload: what visitors type, never the same query twice.

Generated from the bench corpus with a fixed seed, so every run, and every
service in a run, gets the very same stream; RULES says how (BENCHMARKS.md
prints them).

    .venv/bin/python bench/workload.py            # prints a sample and the counts
"""

import random
import re
import string
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import BenchDocument

SEED = 11
COUNT = 60_000
ONE_WORD_SHARE = 0.6
_WORD = re.compile(r"[a-z0-9]+")
RULES = [
    "a title's words are the runs of ASCII letters and digits of its lower-cased text "
    "(`[a-z0-9]+`), so our service and the Go original split them alike",
    f"{ONE_WORD_SHARE:.0%} of the queries are one word: a uniformly drawn title, a uniformly "
    "drawn word of 2+ characters in it, and a prefix of that word whose length is drawn "
    "uniformly from 2 to the word's length (`pyt`, `libaqb`, `python`)",
    f"the other {1 - ONE_WORD_SHARE:.0%} are two words, as typed on the way to the second: "
    "a uniformly drawn title, a uniformly drawn pair of adjacent words in it whose first has "
    "2+ characters, that first word whole, a space, and a prefix of the second of 1 to all "
    "of its characters (`python mo`, `debconf to`)",
    "a query already in the stream is thrown away and another drawn, so every query is "
    f"distinct; the stream is shuffled with the same seed ({SEED}) so both kinds mix",
]


def title_words(title: str) -> list[str]:
    return _WORD.findall(title.lower())


def one_word_query(words: Sequence[str], rng: random.Random) -> str | None:
    candidates = [word for word in words if len(word) >= 2]
    if not candidates:
        return None
    word = rng.choice(candidates)
    return word[: rng.randint(2, len(word))]


def two_word_query(words: Sequence[str], rng: random.Random) -> str | None:
    starts = [i for i in range(len(words) - 1) if len(words[i]) >= 2]
    if not starts:
        return None
    i = rng.choice(starts)
    following = words[i + 1]
    return f"{words[i]} {following[: rng.randint(1, len(following))]}"


def generate(
    documents: Sequence[BenchDocument],
    count: int = COUNT,
    one_word_share: float = ONE_WORD_SHARE,
    seed: int = SEED,
) -> list[str]:
    """``count`` distinct queries, ``one_word_share`` of them one word, in a seeded order."""
    rng = random.Random(seed)
    titles = [title_words(document["title"]) for document in documents]
    wanted = {1: round(count * one_word_share)}
    wanted[2] = count - wanted[1]
    drawn: dict[int, set[str]] = {1: set(), 2: set()}
    queries: list[str] = []
    for kind, make in ((1, one_word_query), (2, two_word_query)):
        attempts = 0
        while len(drawn[kind]) < wanted[kind]:
            attempts += 1
            if attempts > 50 * wanted[kind]:
                raise RuntimeError(f"the corpus has too few distinct {kind}-word queries")
            query = make(rng.choice(titles), rng)
            if query is not None and query not in drawn[kind]:
                drawn[kind].add(query)
                queries.append(query)
    rng.shuffle(queries)
    return queries


def one_word_only(queries: Sequence[str]) -> list[str]:
    return [query for query in queries if " " not in query]


def write_paths(queries: Sequence[str], domain: str, path: Path) -> Path:
    """One request path a line (`/v1?d=...&q=...`), for bench/distinct.lua."""
    path.parent.mkdir(parents=True, exist_ok=True)
    d = quote(domain, safe="")
    path.write_text("".join(f"/v1?d={d}&q={quote(query, safe='')}\n" for query in queries))
    return path


FLOOD_SIZE = 100


def write_flood_paths(queries: Sequence[str], domain: str, path: Path, seed: int = SEED) -> Path:
    """Each query with a group of its own (80 random letters) and n=100, twice in a row
    (the response cache keeps an answer the second time it is asked for): every
    answer is a new, large entry for the cache, as a stranger could send them."""
    rng = random.Random(seed)
    d = quote(domain, safe="")
    lines = []
    for query in queries:
        group = "".join(rng.choices(string.ascii_lowercase, k=80))
        lines += [f"/v1?d={d}&q={quote(query, safe='')}&n={FLOOD_SIZE}&g={group}\n"] * 2
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines))
    return path


if __name__ == "__main__":
    from corpus import load_corpus
    from processes import ROOT

    stream = generate(load_corpus(ROOT / ".work" / "bench" / "debian-packages.json"))
    print(f"{len(stream)} queries, {len(one_word_only(stream))} of one word; the first 20:")
    print("\n".join(stream[:20]))
