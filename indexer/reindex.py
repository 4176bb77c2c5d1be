"""`autocompeter reindex`: rebuild the engine's index from the store, no downtime.

1. Create a new index (`<alias>-<timestamp>`) with the current mapping and
   register it in `search_indexes_building`, so the sync workers send every
   change from now on to it as well as to the alias.
2. Copy every document from PostgreSQL into it, with its version as an
   external version: a change a sync worker sent meanwhile (newer version)
   is never overwritten by the copy.
3. Refresh it, point the alias at it in one atomic request, delete the old
   index, unregister. Searches use the alias, so they answer throughout.
"""

import logging
from collections.abc import Callable

from indexer.mapping import document_id, source
from indexer.search_cluster import SearchCluster
from store.postgres import PostgresStore

log = logging.getLogger("autocompeter.indexer")

PAGE_SIZE = 1000


async def reindex(store: PostgresStore, engine: SearchCluster,
                  progress: Callable[[int], None] = lambda n: None) -> tuple[str, int]:
    """Build a fresh index and swap the alias to it; return (name, documents)."""
    old = await engine.alias_targets()
    new = await engine.create_index()
    async with store.connection() as conn:
        await conn.execute("INSERT INTO search_indexes_building (name) VALUES ($1)", new)
    copied = 0
    try:
        async for page in store.indexed_documents(PAGE_SIZE):
            operations = []
            for doc in page:
                operations.append({"index": {
                    "_index": new, "_id": document_id(doc.domain, doc.url),
                    "version": doc.version, "version_type": "external",
                }})
                operations.append(source(doc.version, doc.domain, doc.url, doc.title,
                                         doc.group, doc.popularity))
            failed = await engine.bulk(operations)
            if failed:
                raise RuntimeError(f"{len(failed)} documents were refused, e.g. {failed[0]}")
            copied += len(page)
            progress(len(page))
        await engine.refresh(new)
        await engine.swap_alias(new, old)
    except BaseException:
        await _unregister(store, new)
        await engine.delete_index(new)
        raise
    for name in old:
        await engine.delete_index(name)
    await _unregister(store, new)
    log.info("reindexed %d documents into %s (alias %s)", copied, new, engine.alias)
    return new, copied


async def _unregister(store: PostgresStore, name: str) -> None:
    async with store.connection() as conn:
        await conn.execute("DELETE FROM search_indexes_building WHERE name = $1", name)
