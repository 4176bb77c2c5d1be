"""The statements `core/sql.py:SqlStore` runs, written once for SQLite and PostgreSQL.

They run unchanged on both: `?` placeholders (the PostgreSQL store numbers them,
`scaled/store.py:numbered`), `ON CONFLICT` upserts, explicit casts. The tables
they run on are in `core/sql_schema.py`; the day summaries' bounds
(`MAX_QUERIES_PER_DAY`, `MAX_CLICK_ROWS_PER_DAY`) are here, beside the statements
that keep them.
"""

DOMAIN_ID = "(SELECT id FROM domains WHERE name = ?)"
ENSURE_DOMAIN = "INSERT INTO domains (name) VALUES (?) ON CONFLICT (name) DO NOTHING"
INSERT_KEY = f"""
INSERT INTO keys (domain_id, key_hash, prefix, note, created_at)
VALUES ({DOMAIN_ID}, ?, ?, ?, ?)
"""
KEY_DOMAIN = """
SELECT k.key_hash, d.name FROM keys k JOIN domains d ON d.id = k.domain_id
WHERE k.key_hash = ? AND k.revoked_at IS NULL
"""
LIST_KEYS = """
SELECT k.id, d.name, k.prefix, k.note, k.created_at, k.revoked_at, k.last_used_at
FROM keys k JOIN domains d ON d.id = k.domain_id ORDER BY d.name, k.id
"""
# Only moves forward, so two processes recording the same minute write once.
KEY_USED = """
UPDATE keys SET last_used_at = ? WHERE key_hash = ?
AND (last_used_at IS NULL OR last_used_at < ?)
"""
REVOKE_BY_HASH = "UPDATE keys SET revoked_at = ? WHERE key_hash = ? AND revoked_at IS NULL"
REVOKE_BY_ID = "UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
# `document_page`: one `AND ...` per filter goes where {filters} is.
DOCUMENTS_AFTER = f"""
SELECT id, url, title, grp, popularity FROM documents
WHERE domain_id = {DOMAIN_ID} AND id > ?{{filters}} ORDER BY id LIMIT ?
"""
# A word of the folded title starts with the given word: the leading space makes
# "% word%" match at the start of any word, the first included.
TITLE_WORD_FILTER = " AND ' ' || search_text LIKE ? ESCAPE '!'"
URL_FILTER = " AND url = ?"
DOCUMENTS_PAGE = DOCUMENTS_AFTER.format(filters="")
ADD_FETCHES = """
INSERT INTO fetches (domain_id, year, month, count)
SELECT id, ?, ?, ? FROM domains WHERE name = ?
ON CONFLICT (domain_id, year, month) DO UPDATE SET count = fetches.count + excluded.count
"""
FETCHES = f"""
SELECT year, month, count FROM fetches WHERE domain_id = {DOMAIN_ID} ORDER BY year, month
"""
MAX_QUERIES_PER_DAY = 1000
"""Rows of query counts a domain may have per UTC day: visitors type anything, and a
flood of random searches must not grow the database. The rows are a Space-Saving
summary (Metwally, Agrawal and El Abbadi, 2005): a new query on a full day takes the
place of the least searched one, and its count starts from that one's (`add_queries`).
So the day's rows still add up to its searches, and any query with more than
1/MAX_QUERIES_PER_DAY of them is among the rows however many strangers' queries come:
junk cannot push out a query people search."""
OTHER_QUERIES = ""
"""Searches counted under no query: rows of databases that wrote them before the
summary, and clicks on a title with no room for their query (MAX_CLICK_ROWS_PER_DAY)."""
QUERY_COUNTED = f"""
UPDATE query_counts SET searches = searches + ?, misses = misses + ?
WHERE domain_id = {DOMAIN_ID} AND day = ? AND query = ?
"""
# New, while the day has room.
QUERY_INSERTED = f"""
INSERT INTO query_counts (domain_id, day, query, searches, misses)
SELECT d.id, ?, ?, ?, ? FROM domains d WHERE d.name = ?
AND NOT EXISTS (SELECT 1 FROM query_counts q WHERE q.domain_id = d.id AND q.day = ?
                AND q.query = ?)
AND (SELECT count(*) FROM query_counts q WHERE q.domain_id = d.id AND q.day = ?)
    < {MAX_QUERIES_PER_DAY}
"""
# New on a full day: it takes the least searched query's row and count (an upper bound
# of its own searches, as Space-Saving keeps them); misses are its own, a lower bound.
QUERY_REPLACING = f"""
UPDATE query_counts SET query = ?, searches = searches + ?, misses = ?
WHERE domain_id = {DOMAIN_ID} AND day = ?
AND query = CASE WHEN NOT EXISTS (SELECT 1 FROM query_counts q
                                  WHERE q.domain_id = {DOMAIN_ID} AND q.day = ? AND q.query = ?)
    -- only then looked for: most queries of a batch were counted or inserted
    THEN (SELECT q.query FROM query_counts q
          WHERE q.domain_id = {DOMAIN_ID} AND q.day = ? AND q.query <> '{OTHER_QUERIES}'
          ORDER BY q.searches LIMIT 1) END
"""
TOP_QUERIES = f"""
SELECT query, CAST(sum({{column}}) AS BIGINT) AS n FROM query_counts
WHERE domain_id = {DOMAIN_ID} AND day >= ? AND query <> '{OTHER_QUERIES}'
GROUP BY query HAVING sum({{column}}) > 0 ORDER BY n DESC, query LIMIT ?
"""
# Intents (app/http/counters.py `IntentTracker`): the same bounded summary in its own table,
# each row counting the searches a visitor's burst ended on.
INTENT_COUNTED, INTENT_INSERTED, INTENT_REPLACING, TOP_INTENTS = (
    statement.replace("query_counts", "intent_counts")
    for statement in (QUERY_COUNTED, QUERY_INSERTED, QUERY_REPLACING, TOP_QUERIES))
# The intents that found titles (searches less misses) at least ``min_count`` times, most
# first: what query suggestions are made of (app/http/suggestions.py).
FOUND_INTENTS = f"""
SELECT query, CAST(sum(searches - misses) AS BIGINT) AS n FROM intent_counts
WHERE domain_id = {DOMAIN_ID} AND day >= ? AND query <> '{OTHER_QUERIES}'
GROUP BY query HAVING sum(searches - misses) >= ? ORDER BY n DESC, query LIMIT ?
"""
# A worker's part of a burst, written at each of its flushes while the burst goes on.
INTENT_PART_SAVED = """
INSERT INTO intent_parts (visitor, worker, first_at, last_at, domain, first_query, query,
                          found)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (visitor, worker, first_at) DO UPDATE SET last_at = excluded.last_at,
    query = excluded.query, found = excluded.found
"""
# Every part of the visitors none of whose parts can grow any more, taken once: no
# worker takes a part another took.
INTENT_PARTS_TAKEN = """
DELETE FROM intent_parts WHERE visitor IN (
    SELECT visitor FROM intent_parts GROUP BY visitor HAVING max(last_at) < ?)
RETURNING visitor, first_at, last_at, domain, first_query, query, found
"""
PRIVATE_GROUPS_CLEAR = f"DELETE FROM private_groups WHERE domain_id = {DOMAIN_ID}"
PRIVATE_GROUP_ADD = f"INSERT INTO private_groups (domain_id, name) VALUES ({DOMAIN_ID}, ?)"
# A domain's private groups and its token secret in one round trip: what a search
# that asks for groups needs (app/http/access.py), read once per generation and worker.
ACCESS = f"""
SELECT 'group', name FROM private_groups WHERE domain_id = {DOMAIN_ID}
UNION ALL SELECT 'secret', secret FROM token_secrets WHERE domain_id = {DOMAIN_ID}
"""
TOKEN_SECRET = f"SELECT secret FROM token_secrets WHERE domain_id = {DOMAIN_ID}"
DOMAIN_RULES = f"SELECT rules FROM domain_rules WHERE domain_id = {DOMAIN_ID} AND name = ?"
SET_DOMAIN_RULES = """
INSERT INTO domain_rules (domain_id, name, rules) SELECT id, ?, ? FROM domains WHERE name = ?
ON CONFLICT (domain_id, name) DO UPDATE SET rules = excluded.rules
"""
# Made on first use; two processes making it at once keep the first one's.
ADD_TOKEN_SECRET = """
INSERT INTO token_secrets (domain_id, secret, created_at)
SELECT id, ?, ? FROM domains WHERE name = ? ON CONFLICT (domain_id) {action}
"""
DAILY_SEARCHES = f"""
SELECT day, CAST(sum(searches) AS BIGINT) FROM query_counts
WHERE domain_id = {DOMAIN_ID} AND day >= ? GROUP BY day ORDER BY day
"""
MAX_CLICK_ROWS_PER_DAY = 1000
"""Rows of click counts by (title, query) a domain may have per UTC day, like
MAX_QUERIES_PER_DAY. Past it, a click on a title under a new query takes the row of
the day's least clicked (title, query), whose clicks stay with their title under
OTHER_QUERIES: a day holds at most this many rows plus one per clicked title, each
title keeps all its clicks, and a query's clicks stay shown once they outnumber
those of the least clicked pair, however many strangers' pairs come."""
MARK_CLICK_SEEN = """
INSERT INTO clicks_seen (fingerprint, minute, owner) VALUES (?, ?, ?)
ON CONFLICT (fingerprint) DO NOTHING
"""
# Each of the statements below counts the click only if its fingerprint is this
# batch's own (not seen before) and its URL is one of the domain's titles; they run
# one after the other for a click, and at most one of them counts it.
CLICK_IS_NEW = f"""
EXISTS (SELECT 1 FROM clicks_seen s WHERE s.fingerprint = ? AND s.owner = ?)
AND EXISTS (SELECT 1 FROM documents d WHERE d.domain_id = {DOMAIN_ID} AND d.url = ?)
"""
CLICK_ROW_ABSENT = f"""
NOT EXISTS (SELECT 1 FROM click_counts c WHERE c.domain_id = {DOMAIN_ID} AND c.url = ?
            AND c.query = ? AND c.day = ?)
"""
CLICK_COUNTED = f"""
UPDATE click_counts SET clicks = clicks + 1
WHERE domain_id = {DOMAIN_ID} AND url = ? AND query = ? AND day = ? AND {CLICK_IS_NEW}
"""
CLICK_INSERTED = f"""
INSERT INTO click_counts (domain_id, url, query, day, clicks)
SELECT id, ?, ?, ?, 1 FROM domains WHERE name = ? AND {CLICK_IS_NEW} AND {CLICK_ROW_ABSENT}
AND (SELECT count(*) FROM click_counts c WHERE c.domain_id = {DOMAIN_ID} AND c.day = ?
     AND c.query <> '{OTHER_QUERIES}') < {MAX_CLICK_ROWS_PER_DAY}
"""
LEAST_CLICKED = f"""
(SELECT c.url, c.query FROM click_counts c
 WHERE c.domain_id = {DOMAIN_ID} AND c.day = ? AND c.query <> '{OTHER_QUERIES}'
 ORDER BY c.clicks, c.url, c.query LIMIT 1)
"""
# A full day: the least clicked pair's clicks go to its title under no query ...
CLICK_FOLDED = f"""
INSERT INTO click_counts (domain_id, url, query, day, clicks)
SELECT domain_id, url, '{OTHER_QUERIES}', day, clicks FROM click_counts
WHERE domain_id = {DOMAIN_ID} AND day = ? AND (url, query) = {LEAST_CLICKED}
AND {CLICK_IS_NEW} AND {CLICK_ROW_ABSENT}
ON CONFLICT (domain_id, url, query, day) DO UPDATE
SET clicks = click_counts.clicks + excluded.clicks
"""
# ... and its row becomes the new pair's.
CLICK_REPLACING = f"""
UPDATE click_counts SET url = ?, query = ?, clicks = 1
WHERE domain_id = {DOMAIN_ID} AND day = ? AND (url, query) = {LEAST_CLICKED}
AND {CLICK_IS_NEW} AND {CLICK_ROW_ABSENT}
"""
# Titles whose clicks in the window (from the day given on) differ from what their
# ranking was last computed from, and titles whose clicks all left the window; the
# partial index documents_clicked finds the latter without reading every title.
CHANGED_CLICKS = """
SELECT d.id, d.domain_id, d.url, d.popularity, d.ranking, d.clicks,
       CAST(w.n AS BIGINT){columns}
FROM (SELECT domain_id, url, sum(clicks) AS n FROM click_counts WHERE day >= ?
      GROUP BY domain_id, url) w
JOIN documents d ON d.domain_id = w.domain_id AND d.url = w.url
WHERE d.clicks <> w.n OR ?
UNION ALL
SELECT d.id, d.domain_id, d.url, d.popularity, d.ranking, d.clicks, 0{columns}
FROM documents d
WHERE d.clicks > 0 AND NOT EXISTS (SELECT 1 FROM click_counts c WHERE c.domain_id = d.domain_id
                                   AND c.url = d.url AND c.day >= ?)
"""
TOP_CLICKS = f"""
SELECT c.url, d.title, CAST(sum(c.clicks) AS BIGINT) AS n FROM click_counts c
JOIN documents d ON d.domain_id = c.domain_id AND d.url = c.url
WHERE c.domain_id = {DOMAIN_ID} AND c.day >= ?
GROUP BY c.url, d.title ORDER BY n DESC, c.url LIMIT ?
"""
QUERY_CLICKS = f"""
SELECT query, CAST(sum(clicks) AS BIGINT) FROM click_counts
WHERE domain_id = {DOMAIN_ID} AND day >= ? AND query IN ({{marks}}) GROUP BY query
"""


def like_prefix_of_word(word: str) -> str:
    """A LIKE pattern (escape character ``!``) for a word starting with ``word``."""
    escaped = word.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"% {escaped}%"
