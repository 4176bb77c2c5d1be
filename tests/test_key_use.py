"""`keys list` shows when a key was last used, without a database write per request."""

import sqlite3
import subprocess
import sys

from live import ROOT

LONG_AGO = "2000-01-01T00:00:00+00:00"


def last_used(db_path, key: str) -> str | None:
    conn = sqlite3.connect(db_path)
    try:
        (value,) = conn.execute("SELECT last_used_at FROM keys WHERE prefix = ?",
                                (key[:8],)).fetchone()
        return value
    finally:
        conn.close()


def test_a_request_with_the_key_sets_last_used_at_most_once_a_minute(server, site):
    assert last_used(server.db_path, site.key) is None
    # One worker of two answers each request: send enough that both see the key.
    for n in range(6):
        assert site.add(f"/used{n}", "Used key").status_code == 201
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
    for n in range(6):
        assert site.add(f"/again{n}", "Used again").status_code == 201
    assert last_used(server.db_path, site.key) == LONG_AGO
