"""The tables both SQL stores share, and how an older database is brought up to date.

`core/sql.py:SqlStore`'s statements (`core/sql_statements.py`) run on these tables,
besides `domains` and `documents`, which each store declares with its own schema
(`embedded/store.py`, `scaled/schema.py`) in its dialect's types. The migration steps
here are the ones both stores take alike; each store numbers them in its own
`MIGRATIONS`, and `migrations` picks the ones a database needs, or refuses it.
"""

from collections.abc import Mapping

from core.store import IncompatibleStore

# The step each store's migrations take to add it to a database made before it.
ADD_KEY_LAST_USED = "ALTER TABLE keys ADD COLUMN last_used_at {timestamp};"
# Each store's migration step that gives an older database's documents their
# ranking value (the popularity, until clicks move it) and window clicks.
ADD_CLICK_COLUMNS = """
ALTER TABLE documents ADD COLUMN ranking {real} NOT NULL DEFAULT 0;
UPDATE documents SET ranking = popularity;
ALTER TABLE documents ADD COLUMN clicks {counter} NOT NULL DEFAULT 0;
"""

# The step of each store's migrations that adds only tables SCHEMA makes anyway
# (CREATE TABLE IF NOT EXISTS): the version moves so that older code refuses the file.
NEW_TABLES_ONLY = "SELECT 1;  -- the new tables are made by SCHEMA"

TOKEN_TABLES = """
-- Groups whose titles only a search with a signed token granting them finds.
CREATE TABLE IF NOT EXISTS private_groups (
    domain_id {id} NOT NULL REFERENCES domains(id),
    name TEXT NOT NULL,
    PRIMARY KEY (domain_id, name)
){without_rowid};
-- What a domain's tokens are signed with (through a derived key, core/tokens.py).
CREATE TABLE IF NOT EXISTS token_secrets (
    domain_id {id} PRIMARY KEY REFERENCES domains(id),
    secret TEXT NOT NULL,
    created_at {timestamp} NOT NULL
);
"""
"""Also the step each store's migrations take to add them (`token_tables`)."""

# One day summary of searches (core/sql_statements.py MAX_QUERIES_PER_DAY), written
# once for the queries and, by another name, for the intents, as its statements are.
QUERY_COUNTS_TABLE = """
CREATE TABLE IF NOT EXISTS query_counts (
    domain_id {id} NOT NULL REFERENCES domains(id),
    day {day} NOT NULL,
    query TEXT NOT NULL,
    searches {counter} NOT NULL,
    misses {counter} NOT NULL,
    PRIMARY KEY (domain_id, day, query)
){without_rowid};
-- Days to prune, and the least searched query of a domain's day: the one a new
-- query replaces.
CREATE INDEX IF NOT EXISTS query_counts_least ON query_counts (day, domain_id, searches);
"""

SHARED_TABLES = """
CREATE TABLE IF NOT EXISTS keys (
    id {serial} PRIMARY KEY,
    domain_id {id} NOT NULL REFERENCES domains(id),
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at {timestamp} NOT NULL,
    revoked_at {timestamp},
    last_used_at {timestamp}
);
CREATE TABLE IF NOT EXISTS fetches (
    domain_id {id} NOT NULL REFERENCES domains(id),
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    count {counter} NOT NULL,
    PRIMARY KEY (domain_id, year, month)
);
-- Searches per domain, UTC day and folded query text, for the top queries and
-- misses in /v1/stats; app/http/counters.py deletes days past the retention.
-- Its index on the day alone gave way to query_counts_least: SQLite preferred it
-- for the least searched query too, sorting the day's rows each time (1.5 ms a query).
DROP INDEX IF EXISTS query_counts_by_day;
""" + QUERY_COUNTS_TABLE + """
-- The same for intents: the query a visitor's burst of searches ended on
-- (app/http/counters.py IntentTracker).
""" + QUERY_COUNTS_TABLE.replace("query_counts", "intent_counts") + """
-- Bursts of searches still going on or just ended, each worker's part of one a row
-- (times in epoch milliseconds): kept seconds, until every worker wrote its part.
-- The visitor is a hash of the day, address, user agent and domain.
CREATE TABLE IF NOT EXISTS intent_parts (
    visitor TEXT NOT NULL,
    worker TEXT NOT NULL,
    first_at {counter} NOT NULL,
    last_at {counter} NOT NULL,
    domain TEXT NOT NULL,
    first_query TEXT NOT NULL,
    query TEXT NOT NULL,
    found {counter} NOT NULL,
    PRIMARY KEY (visitor, worker, first_at)
){without_rowid};
-- Clicks per domain, title URL, folded query and UTC day: the click ranking's
-- window and the top clicks in /v1/stats; app/http/counters.py deletes days past it.
CREATE TABLE IF NOT EXISTS click_counts (
    domain_id {id} NOT NULL REFERENCES domains(id),
    url TEXT NOT NULL,
    query TEXT NOT NULL,
    day {day} NOT NULL,
    clicks {counter} NOT NULL,
    PRIMARY KEY (domain_id, url, query, day)
){without_rowid};
CREATE INDEX IF NOT EXISTS click_counts_by_day ON click_counts (day, domain_id);
CREATE INDEX IF NOT EXISTS click_counts_least ON click_counts (day, domain_id, clicks);
-- Today's counted clicks by fingerprint (who clicked which title, which day), so
-- one address adds one click to a title a day, whichever worker took it.
CREATE TABLE IF NOT EXISTS clicks_seen (
    fingerprint TEXT PRIMARY KEY,
    minute {counter} NOT NULL,
    owner TEXT NOT NULL
){without_rowid};
CREATE INDEX IF NOT EXISTS clicks_seen_by_minute ON clicks_seen (minute);
CREATE INDEX IF NOT EXISTS documents_clicked ON documents (domain_id) WHERE clicks > 0;
-- An owner's settings of one kind for a domain, as JSON text: its synonyms
-- (app/http/synonyms.py), its query suggestions' controls.
CREATE TABLE IF NOT EXISTS domain_rules (
    domain_id {id} NOT NULL REFERENCES domains(id),
    name TEXT NOT NULL,
    rules TEXT NOT NULL,
    PRIMARY KEY (domain_id, name)
){without_rowid};
""" + TOKEN_TABLES
"""The tables that `SqlStore`'s statements use besides `domains` and `documents`,
in each dialect's types (`shared_tables`)."""


def shared_tables(*, serial: str, id: str, timestamp: str, counter: str, day: str,
                  without_rowid: str = "") -> str:
    return SHARED_TABLES.format(serial=serial, id=id, timestamp=timestamp, counter=counter,
                                day=day, without_rowid=without_rowid)


def token_tables(*, id: str, timestamp: str, without_rowid: str = "") -> str:
    return TOKEN_TABLES.format(id=id, timestamp=timestamp, without_rowid=without_rowid)


def migrations(found: int | None, expected: int, steps: Mapping[int, str], where: str
               ) -> list[str]:
    """The scripts that bring a database of version ``found`` to ``expected``:
    ``steps[n]`` takes version n to n + 1. None (no tables yet) needs none.
    A version with no way forward (or a newer one) is refused, not half-understood.
    """
    if found is None or found == expected:
        return []
    if found < expected and all(n in steps for n in range(found, expected)):
        return [steps[n] for n in range(found, expected)]
    check_schema_version(found, expected, where)
    return []


def check_schema_version(found: int | None, expected: int, where: str) -> None:
    """Refuse a database made by another version, rather than half-understand it.

    ``found`` is None for a database without our tables (a new one).
    """
    if found is not None and found != expected:
        raise IncompatibleStore(
            f"{where} has schema version {found}, this version uses {expected}: export its "
            "domains with the version that made it (autocompeter export), then load them "
            "into a new database"
        )

