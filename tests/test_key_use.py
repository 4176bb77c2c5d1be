"""`keys list` shows when a key was last used, without a database write per request."""

import itertools
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest
from answering_workers import until_each_worker_answered
from live import ROOT, Site

from core.sql import KEY_USE_RESOLUTION

LONG_AGO = "2000-01-01T00:00:00+00:00"


def last_used(db_path, key: str) -> str | None:
    conn = sqlite3.connect(db_path)
    try:
        (value,) = conn.execute("SELECT last_used_at FROM keys WHERE prefix = ?",
                                (key[:8],)).fetchone()
        return value
    finally:
        conn.close()


def add_until_each_worker_answered(site: Site, path: str) -> None:
    """Writes with the key, each on a new connection, until both workers took one."""
    numbers = itertools.count()
    answers = until_each_worker_answered(lambda: httpx.post(
        f"{site.server.base_url}/v1", headers=site.auth,
        json={"url": f"{path}{next(numbers)}", "title": "Used key"}, timeout=10))
    assert {answer.status_code for answer in answers} == {201}


def test_a_request_with_the_key_sets_last_used_at_most_once_a_minute(server, site):
    assert last_used(server.db_path, site.key) is None
    # Each worker keeps when it last wrote the key's use: both must have seen it.
    started = time.monotonic()
    add_until_each_worker_answered(site, "/used")
    first = last_used(server.db_path, site.key)
    assert first is not None and first != LONG_AGO
    listed = subprocess.run(
        [sys.executable, "-m", "app.cli", "keys", "list"], cwd=ROOT, capture_output=True,
        text=True, timeout=60, env={"DATABASE_URL": f"sqlite:///{server.db_path}",
                                    "PATH": "/usr/bin:/bin"})
    row = next(line for line in listed.stdout.splitlines() if site.key[:8] in line)
    assert first[:16].replace("T", " ") in row  # "2026-11-28 11:40", the minute of use
    # Within the minute, further requests write nothing: a value set behind the
    # server's back stays as it is.
    conn = sqlite3.connect(server.db_path)
    conn.execute("UPDATE keys SET last_used_at = ? WHERE prefix = ?", (LONG_AGO, site.key[:8]))
    conn.commit()
    conn.close()
    add_until_each_worker_answered(site, "/again")
    if time.monotonic() - started >= KEY_USE_RESOLUTION.total_seconds():
        pytest.skip("the machine took over a minute: the workers may write again")
    assert last_used(server.db_path, site.key) == LONG_AGO
