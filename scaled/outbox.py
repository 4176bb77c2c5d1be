"""What the outbox holds, as the sync workers read it (`indexer/sync.py`).

Every write of `scaled/store.py:PostgresStore` adds an outbox row per touched
document in the same transaction as the document rows; a sync worker claims rows
(`PostgresStore.claim_changes`, with `CLAIM`), sends each `Change` to the search
engine and deletes the rows once the engine took them. The table is in
`scaled/schema.py`.
"""

from dataclasses import dataclass, field

import asyncpg

NOTIFY_CHANNEL = "autocompeter_outbox"
"""Where a committed write announces new outbox rows (`pg_notify`), waking the sync
workers that listen on it."""

# The outbox rows (locked, skipping rows another worker holds), each with the
# current state of its document; no document means it was deleted.
CLAIM = """
SELECT o.id, o.domain, o.url, o.version AS change_version,
       d.id AS doc_id, d.title, d.grp, d.ranking, d.version AS doc_version
FROM (
    SELECT id, domain, url, version FROM outbox ORDER BY id
    LIMIT $1 FOR UPDATE SKIP LOCKED
) o
LEFT JOIN domains m ON m.name = o.domain
LEFT JOIN documents d ON d.domain_id = m.id AND d.url = o.url
ORDER BY o.id
"""


@dataclass(frozen=True, slots=True)
class IndexedDocument:
    """A document as the search engine sees it: with its ids and version."""

    doc_id: int
    domain: str
    url: str
    title: str
    group: str
    popularity: float
    """What the engine orders by: the ranking value (popularity plus click bonus)."""
    version: int


@dataclass(frozen=True, slots=True)
class Change:
    """One outbox row: a document to (re)send to the engine, or to delete there."""

    domain: str
    url: str
    version: int
    """The change's version: the document's, or the deletion's own."""
    document: IndexedDocument | None
    """The document as it is now; None when it was deleted."""


@dataclass
class ClaimedChanges:
    """Outbox rows locked for one sync pass; see `PostgresStore.claim_changes`."""

    changes: list[Change]
    building: list[str]
    """Indexes a reindex is building, which must get every change too."""
    done: bool = field(default=False)
    """Set once the engine has taken the changes: the rows are then deleted."""


def claimed_change(row: asyncpg.Record) -> Change:
    """A row of `CLAIM` as the change it stands for."""
    if row["doc_id"] is None:
        return Change(row["domain"], row["url"], row["change_version"], None)
    document = IndexedDocument(row["doc_id"], row["domain"], row["url"], row["title"],
                               row["grp"], row["ranking"], row["doc_version"])
    return Change(row["domain"], row["url"], row["doc_version"], document)
