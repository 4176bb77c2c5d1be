"""A SQLite file made by an earlier schema version is brought up to date, not refused."""

import asyncio
import sqlite3
from pathlib import Path

from core.engine import SearchQuery
from core.store import Document
from embedded.database import SqliteDatabase
from embedded.engine import Fts5Engine
from embedded.store import SCHEMA, SCHEMA_VERSION, SqliteStore, rank_key

# Version 1 kept the FTS5 index in step with triggers, one row at a time.
VERSION_1_TRIGGERS = """
CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts(rowid, search_text) VALUES (new.rank_key, new.search_text);
END;
CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, search_text)
        VALUES ('delete', old.rank_key, old.search_text);
END;
CREATE TRIGGER documents_fts_update AFTER UPDATE ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, search_text)
        VALUES ('delete', old.rank_key, old.search_text);
    INSERT INTO documents_fts(rowid, search_text) VALUES (new.rank_key, new.search_text);
END;
PRAGMA user_version = 1;
"""


def version_1_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA + VERSION_1_TRIGGERS)
    conn.execute("ALTER TABLE keys DROP COLUMN last_used_at")  # added by version 3
    conn.execute("DROP TABLE private_groups")  # added by version 4, with token_secrets
    conn.execute("DROP TABLE token_secrets")
    conn.executescript("""
        DROP INDEX documents_clicked; DROP TABLE click_counts; DROP TABLE clicks_seen;
        ALTER TABLE documents DROP COLUMN ranking; ALTER TABLE documents DROP COLUMN clicks;
    """)  # added by version 5
    conn.execute("DROP TABLE domain_rules")  # added by version 7
    conn.execute("INSERT INTO domains (name) VALUES ('old.example')")
    conn.execute(
        "INSERT INTO documents (domain_id, url, title, search_text, rank_key, popularity)"
        " VALUES (1, '/old', 'Old title', 'old title', ?, 3)", (rank_key(1, 3, 0),))
    conn.commit()
    conn.close()


def test_a_version_1_file_is_migrated_and_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    version_1_file(path)

    async def run() -> tuple[list[str], list[str], list[str], list]:
        db = SqliteDatabase(path)
        store, engine = SqliteStore(db), Fts5Engine(db)
        try:
            await store.migrate()
            copied = await store._fetch("SELECT popularity, ranking, clicks FROM documents")
            found = await engine.search(SearchQuery("old.example", ("old",)))
            await store.upsert("old.example", [Document("/old", "Renamed title"),
                                               Document("/new", "New title")])
            await store.delete("old.example", "/new")
            after = await engine.search(SearchQuery("old.example", ("title",)))
            gone = await engine.search(SearchQuery("old.example", ("old",)))
            await store.set_private_groups("old.example", ["staff"])
            assert (await store.access("old.example"))[0] == {"staff"}
            assert await store.token_secret("old.example") is not None
            await store.set_domain_rules("old.example", "synonyms", "{}")
            assert await store.domain_rules("old.example", "synonyms") == "{}"
            return ([hit.url for hit in found.hits], [hit.title for hit in after.hits],
                    [hit.url for hit in gone.hits], [tuple(row) for row in copied])
        finally:
            await store.close()

    found, after, gone, copied = asyncio.run(run())
    # Version 5: the engine orders by the ranking value, the popularity until clicked.
    assert copied == [(3.0, 3.0, 0)]
    assert found == ["/old"]
    assert after == ["Renamed title"]
    assert gone == []  # the old index entry went with the rename
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall() == []
    # Version 8: the domain's words, made from the index, then kept by the writes.
    assert conn.execute("SELECT word, titles FROM domain_words ORDER BY word").fetchall() == [
        ("renamed", 1), ("title", 1)]
    conn.execute("INSERT INTO documents_fts(documents_fts) VALUES ('integrity-check')")
    assert conn.execute("SELECT count(*) FROM documents WHERE ranking <> popularity"
                        " OR clicks <> 0").fetchone() == (0,)
    conn.close()


def test_titles_stored_before_joined_words_gain_them_on_migration(tmp_path: Path) -> None:
    """Version 5 indexed "Node.js" as "node js" only: `nodejs` found nothing."""
    path = tmp_path / "v5.db"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA + "PRAGMA user_version = 5;")
    conn.execute("INSERT INTO domains (name) VALUES ('old.example')")
    key = rank_key(1, 0, 0)
    conn.execute("INSERT INTO documents (domain_id, url, title, search_text, rank_key)"
                 " VALUES (1, '/node', 'Node.js streams', 'node js streams', ?)", (key,))
    conn.execute("INSERT INTO documents_fts (rowid, search_text) VALUES (?, 'node js streams')",
                 (key,))
    conn.commit()
    conn.close()

    async def run() -> tuple[list[str], list[str]]:
        db = SqliteDatabase(path)
        store, engine = SqliteStore(db), Fts5Engine(db, memory_budget_bytes=0)
        try:
            await store.migrate()
            joined = await engine.search(SearchQuery("old.example", ("nodejs",)))
            split = await engine.search(SearchQuery("old.example", ("node", "js")))
            return [hit.url for hit in joined.hits], [hit.url for hit in split.hits]
        finally:
            await store.close()

    assert asyncio.run(run()) == (["/node"], ["/node"])
