"""What a click flood costs the embedded setup: one client, 10,000 clicks with distinct
queries and URLs, the rate limit off (issue 15, item 2).

    .venv/bin/python bench/click_flood.py [--clicks 10000] [--workers 1]

Starts `autocompeter serve` on a fresh SQLite file with STATS_FLUSH_SECONDS and
CLICK_RANKING_SECONDS at their defaults, loads as many titles as clicks (so every
click names a real title), and prints the worker's RSS and the database's size on
disk (file + WAL) before the flood, right after it, and once every waiting click
was written and the ranking refreshed; with how many clicks were counted and how
many the worker's byte budget dropped.
"""

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from live import new_site, start_server, stop_server


def disk_bytes(db: Path) -> tuple[int, int]:
    """The database file's size and its write-ahead log's."""
    wal = Path(f"{db}-wal")
    return db.stat().st_size, wal.stat().st_size if wal.exists() else 0


def descendants(pid: int) -> list[int]:
    found = []
    for child in map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split()):
        found += [child, *descendants(child)]
    return found


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def checkpoint(db: Path) -> None:
    """Copy the WAL into the file and empty it (SQLite does it by itself every 1000
    pages), so that the file's size is what the data takes."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def worker_rss(server_pid: int) -> int:
    """The largest RSS among the serve process's descendants: the worker's."""
    return max(rss(pid) for pid in descendants(server_pid))


def counted(db: Path) -> tuple[int, int, int]:
    with sqlite3.connect(db) as conn:
        clicks, rows = conn.execute("SELECT total(clicks), count(*) FROM click_counts"
                                    ).fetchone()
        (moved,) = conn.execute("SELECT count(*) FROM documents WHERE clicks > 0").fetchone()
    return int(clicks), rows, moved


def dropped(base_url: str) -> float:
    for line in httpx.get(f"{base_url}/metrics").text.splitlines():
        if line.startswith("autocompeter_clicks_dropped_total"):
            return float(line.split()[-1])
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), workers=args.workers, STATS_FLUSH_SECONDS="5",
                              CLICK_RANKING_SECONDS="60", ACCESS_LOG="false")
        try:
            with httpx.Client(base_url=server.base_url, timeout=30) as http:
                site = new_site(server, http)
                for start in range(0, args.clicks, 5000):
                    site.bulk([{"url": f"/t{i}", "title": f"Flood title {i}"}
                               for i in range(start, min(start + 5000, args.clicks))])
                http.get("/v1", params={"d": site.domain, "q": "flood"})
                checkpoint(server.db_path)
                figures = {"before": (worker_rss(server.process.pid), disk_bytes(server.db_path))}
                started = time.monotonic()
                for i in range(args.clicks):
                    response = http.post("/v1/click", json={
                        "d": site.domain, "q": f"flood query {i}", "url": f"/t{i}"})
                    assert response.status_code == 204, response.text
                seconds = time.monotonic() - started
                figures["after the flood"] = (worker_rss(server.process.pid),
                                              disk_bytes(server.db_path))
                # The next flush (5 s) writes what waits; the next refresh (60 s) ranks it.
                # Every click written or dropped, and every clicked title (each click is
                # on a title of its own) given its ranking value.
                deadline = time.monotonic() + 150
                while time.monotonic() < deadline:
                    time.sleep(1)
                    total = counted(server.db_path)
                    written = total[0] + dropped(server.base_url) == args.clicks
                    if written and total[2] == total[0]:
                        break
                figures["written and ranked"] = (worker_rss(server.process.pid),
                                                 disk_bytes(server.db_path))
                checkpoint(server.db_path)
                figures["after a checkpoint"] = (worker_rss(server.process.pid),
                                                 disk_bytes(server.db_path))
                report = {
                    "workload": f"one client, {args.clicks} clicks with distinct queries and "
                                f"URLs, sequential over one connection, SEARCH_RATE_LIMIT=off, "
                                f"{args.workers} worker(s), {args.clicks} titles",
                    "seconds": round(seconds, 1),
                    "clicks counted": total[0], "click_counts rows": total[1],
                    "titles moved": total[2], "dropped (byte budget)": dropped(server.base_url),
                    **{f"{when}: worker RSS MB, database MB, WAL MB": (
                        round(rss / 2**20, 1), round(disk[0] / 2**20, 2),
                        round(disk[1] / 2**20, 2))
                       for when, (rss, disk) in figures.items()},
                }
                print(json.dumps(report, indent=2))
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
