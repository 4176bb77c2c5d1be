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

from indexer.sync import index_lines
from scaled.cluster import SearchCluster
from scaled.store import PostgresStore

log = logging.getLogger("autocompeter.indexer")

PAGE_SIZE = 1000


async def reindex(store: PostgresStore, engine: SearchCluster,
                  progress: Callable[[int], None] = lambda n: None) -> tuple[str, int]:
    """Build a fresh index and swap the alias to it; return (name, documents)."""
    old = await engine.alias_targets()
    new = await engine.create_index()
    await store.start_building(new)
    copied = 0
    try:
        async for page in store.indexed_documents(PAGE_SIZE):
            operations = [line for doc in page for line in index_lines(doc, new)]
            failed = await engine.bulk(operations)
            if failed:
                raise RuntimeError(f"{len(failed)} documents were refused, e.g. {failed[0]}")
            copied += len(page)
            progress(len(page))
        await engine.refresh(new)
        await engine.swap_alias(new, old)
    except BaseException:
        await store.stop_building(new)
        await engine.delete_index(new)
        raise
    for name in old:
        await engine.delete_index(name)
    await store.stop_building(new)
    log.info("reindexed %d documents into %s (alias %s)", copied, new, engine.alias)
    return new, copied

