"""The PostgreSQL database's tables, and how an older one is brought up to date.

`scaled/store.py:PostgresStore.migrate` runs `migrate_schema` as each worker starts.
The tables both SQL stores share come from `core/sql_schema.py` in PostgreSQL's
types; `domains`, `documents` and the outbox's tables are this database's own
(`scaled/outbox.py` says what the outbox holds).
"""

import asyncpg

from core.sql_schema import (
    ADD_CLICK_COLUMNS,
    ADD_KEY_LAST_USED,
    NEW_TABLES_ONLY,
    migrations,
    shared_tables,
    token_tables,
)

# Any constant works: it only has to be the same in every process that migrates.
MIGRATION_LOCK = 0x6175746F  # "auto"
# Bumped with every change to the tables below; older databases are brought up
# to date by MIGRATIONS, others refused rather than half-understood (as SQLite files are).
SCHEMA_VERSION = 5
MIGRATIONS = {
    # 1 -> 2: when each key was last used, for `autocompeter keys list`.
    1: ADD_KEY_LAST_USED.format(timestamp="TIMESTAMPTZ"),
    # 2 -> 3: private groups and the token secret (README "Private groups").
    2: token_tables(id="BIGINT", timestamp="TIMESTAMPTZ"),
    # 3 -> 4: the ranking value the engine orders by (popularity plus a click
    # bonus) and the window's clicks it was computed from.
    3: ADD_CLICK_COLUMNS.format(real="DOUBLE PRECISION", counter="BIGINT"),
    # 4 -> 5: domain_rules, the owner's synonyms and suggestion controls.
    4: NEW_TABLES_ONLY,
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS domains (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE SEQUENCE IF NOT EXISTS change_seq;
CREATE TABLE IF NOT EXISTS documents (
    id BIGSERIAL PRIMARY KEY,
    domain_id BIGINT NOT NULL REFERENCES domains(id),
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    grp TEXT NOT NULL DEFAULT '',
    popularity DOUBLE PRECISION NOT NULL DEFAULT 0,
    search_text TEXT NOT NULL,
    version BIGINT NOT NULL,
    -- What the engine orders by, sent as its `popularity`: popularity plus the
    -- bonus of `clicks`, the title's clicks in the window (core.ranking.ranking_value).
    ranking DOUBLE PRECISION NOT NULL DEFAULT 0,
    clicks BIGINT NOT NULL DEFAULT 0,
    UNIQUE (domain_id, url)
);
CREATE INDEX IF NOT EXISTS documents_by_popularity
    ON documents (domain_id, popularity DESC);
-- One row per document change still to be sent to the search engine.
CREATE TABLE IF NOT EXISTS outbox (
    id BIGSERIAL PRIMARY KEY,
    domain TEXT NOT NULL,
    url TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Indexes that `autocompeter reindex` is building: sync workers write to them
-- as well as to the alias, so no change made during a reindex is missed.
CREATE TABLE IF NOT EXISTS search_indexes_building (
    name TEXT PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL
);
""" + shared_tables(
    serial="BIGSERIAL", id="BIGINT", timestamp="TIMESTAMPTZ", counter="BIGINT", day="DATE",
)
HAS_TABLES = "SELECT to_regclass('documents') IS NOT NULL"


async def found_version(conn: asyncpg.Connection) -> int | None:
    """The schema version of the database's tables: None where there are none (a new
    database), 1 for a database made before the version table."""
    if not await conn.fetchval(HAS_TABLES):
        return None
    versioned = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    found = versioned and await conn.fetchval("SELECT max(version) FROM schema_version")
    return found or 1


async def migrate_schema(conn: asyncpg.Connection) -> None:
    """Make the tables, or bring an older database's up to date, in one transaction;
    a version with no way forward is refused (`core.store.IncompatibleStore`)."""
    async with conn.transaction():
        # Several workers start at once; DDL of the same table must not race.
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        found = await found_version(conn)
        for step in migrations(found, SCHEMA_VERSION, MIGRATIONS, "the PostgreSQL database"):
            await conn.execute(step)
        await conn.execute(SCHEMA)
        await conn.execute("DELETE FROM schema_version")
        await conn.execute("INSERT INTO schema_version VALUES ($1)", SCHEMA_VERSION)
