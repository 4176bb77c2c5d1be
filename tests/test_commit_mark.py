"""The embedded engine trusts what it read of the database until `commit_mark` moves.

Every worker's cached answers and generations rest on it, so it must move on a
commit made anywhere (another process included) and may stand still otherwise.
"""

import sqlite3
import subprocess
import sys

from embedded.database import SqliteDatabase


def commit_in_another_process(path) -> None:
    script = ("import sqlite3, sys\n"
              "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
              "conn.execute('INSERT INTO notes VALUES (1)')\n")
    subprocess.run([sys.executable, "-c", script, str(path)], check=True)


def test_the_mark_moves_when_another_process_commits(tmp_path):
    db = SqliteDatabase(tmp_path / "site.db")
    db.read_inline(lambda conn: conn.execute("CREATE TABLE notes (n)"))
    for _ in range(3):  # a checkpoint in between must not hide a commit
        before = db.commit_mark()
        commit_in_another_process(db.path)
        assert db.commit_mark() != before
        db.read_inline(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
    db.close()


def test_the_mark_stands_still_while_nothing_is_committed(tmp_path):
    db = SqliteDatabase(tmp_path / "site.db")
    db.read_inline(lambda conn: conn.execute("CREATE TABLE notes (n)"))
    mark = db.commit_mark()
    assert mark is not None  # else every search would look at the database
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("SELECT * FROM notes").fetchall()
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO notes VALUES (2)")
    other.execute("ROLLBACK")
    assert db.commit_mark() == mark
    other.close()
    db.close()


def test_a_database_reached_through_a_symbolic_link_is_watched_where_sqlite_keeps_it(tmp_path):
    real = tmp_path / "data" / "site.db"
    real.parent.mkdir()
    link = tmp_path / "site.db"
    link.symlink_to(real)
    (tmp_path / "site.db-shm").write_bytes(bytes(32768))  # a leftover SQLite does not use
    db = SqliteDatabase(link)
    db.read_inline(lambda conn: conn.execute("CREATE TABLE notes (n)"))
    before = db.commit_mark()
    commit_in_another_process(real)
    assert db.commit_mark() != before
    db.close()
