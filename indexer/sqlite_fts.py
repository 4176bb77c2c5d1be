"""The embedded engine: SQLite FTS5 over the store's own file.

The index is maintained by the store's triggers (see `store.sqlite`); this
module only asks it questions. Ranking follows DESIGN.md's tiers: titles with
the query words as an in-order phrase of prefixes first, then titles with all
the words as prefixes in any order; popularity decides within a tier.
"""

import sqlite3

from indexer.base import Hit, SearchQuery, SearchResult
from store.sqlite_db import SqliteDatabase

TIER_SQL = """
SELECT d.url, d.title
FROM documents_fts f JOIN documents d ON d.id = f.rowid
WHERE documents_fts MATCH ?
  AND d.domain_id = (SELECT id FROM domains WHERE name = ?)
  AND d.grp IN ({groups})
ORDER BY d.popularity DESC, f.rank, length(d.title), d.id
LIMIT ?
"""


def prefix_terms(words: tuple[str, ...]) -> list[str]:
    # Words come from indexer.text.words (letters and digits only); quoting
    # them anyway keeps FTS5 operators such as AND or NEAR literal.
    return [f'"{word}"*' for word in words]


def tier_expressions(words: tuple[str, ...]) -> list[str]:
    """FTS5 expressions, best tier first, each excluding the tiers before it."""
    terms = prefix_terms(words)
    phrase = " + ".join(terms)
    if len(terms) == 1:
        return [phrase]
    return [phrase, f"({' AND '.join(terms)}) NOT ({phrase})"]


class Fts5Engine:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def search(self, query: SearchQuery) -> SearchResult:
        groups = ("", *query.groups)
        sql = TIER_SQL.format(groups=", ".join("?" * len(groups)))

        def run(conn: sqlite3.Connection) -> list[Hit]:
            hits: list[Hit] = []
            for expression in tier_expressions(query.words):
                wanted = query.size - len(hits)
                if wanted <= 0:
                    break
                rows = conn.execute(sql, (expression, query.domain, *groups, wanted))
                hits.extend(Hit(url, title) for url, title in rows)
            return hits

        return SearchResult(hits=await self.db.read(run), terms=list(query.words))

    async def ping(self) -> bool:
        return await self.db.read(lambda conn: conn.execute("SELECT 1").fetchone() == (1,))

    async def close(self) -> None:
        """The store owns the shared database and closes it."""
