"""Times the demo corpus load and single searches on the embedded setup.

Run: .venv/bin/python bench/demo_timings.py   (prints a small markdown table)
"""

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from live import start_server, stop_server  # noqa: E402

from app.pages.demo import documents  # noqa: E402
from embedded.database import SqliteDatabase  # noqa: E402
from embedded.store import SqliteStore  # noqa: E402

QUERIES = ["j", "js", "json", "json du", "du json", "os pa", "thread", "asyncio gath", "zzzz"]
ROUNDS = 300


async def load(db_path: Path) -> tuple[int, float, float]:
    started = time.perf_counter()
    corpus = documents()
    parsed = time.perf_counter() - started
    store = SqliteStore(SqliteDatabase(db_path))
    await store.migrate()
    started = time.perf_counter()
    await store.upsert("demo", corpus)
    stored = time.perf_counter() - started
    await store.close()
    return len(corpus), parsed, stored


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    count, parsed, stored = asyncio.run(load(tmp / "autocompeter.db"))
    print(f"demo corpus: {count} titles; read from the stdlib in {parsed:.2f} s, "
          f"stored and indexed in {stored * 1000:.0f} ms")
    server = start_server(tmp, workers=1)
    try:
        with httpx.Client(base_url=server.base_url) as http:
            print("| query | median ms | p95 ms |\n|---|---|---|")
            for q in QUERIES:
                timings = []
                for _ in range(ROUNDS):
                    started = time.perf_counter()
                    http.get("/v1", params={"d": "demo", "q": q}).raise_for_status()
                    timings.append((time.perf_counter() - started) * 1000)
                timings.sort()
                print(f"| {q} | {statistics.median(timings):.2f} | "
                      f"{timings[int(len(timings) * 0.95)]:.2f} |")
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
