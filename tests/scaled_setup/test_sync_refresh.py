"""indexer/sync.py: a small batch is searchable as soon as its bulk request answers
(`refresh=true`), so an owner's write is found on every instance within a second;
a large one, and a batch within `refresh_gap` of the last refresh, wait for the
index's own refresh. The index's own refresh is switched off here, so that only the sync
worker's can make a change searchable."""

import asyncio

import httpx
import pytest

from core.engine import SearchQuery
from core.store import Document
from indexer.sync import SyncOptions, SyncWorker
from scaled.cluster import open_cluster
from scaled.store import PostgresStore
from scaled_setup.support import ScaledParts

pytestmark = pytest.mark.scaled


@pytest.fixture
def unrefreshed(parts: ScaledParts) -> ScaledParts:
    """No refresh of the index but the ones the sync worker asks for."""
    httpx.put(f"{parts.engine_url}/{parts.alias}/_settings", timeout=30,
              json={"index": {"refresh_interval": "-1"}}).raise_for_status()
    return parts


FRESH_BATCH = SyncOptions().fresh_batch


def found_after_sync(parts: ScaledParts, batches: list[list[Document]],
                     refresh_gap: float = 0.0) -> list[int]:
    """Each batch written and sent by the sync worker; how many of the domain's titles a
    search finds after each, before anything else refreshes the index."""

    async def run() -> list[int]:
        store = PostgresStore(parts.database_url)
        cluster = open_cluster(parts.search_url, alias=parts.alias)
        worker = SyncWorker(store, cluster, SyncOptions(refresh_gap=refresh_gap))
        try:
            found = []
            for batch in batches:
                await store.upsert("fresh.example", batch)
                while await worker.process_batch():
                    pass
                result = await cluster.search(SearchQuery("fresh.example", ("quokka",), 100))
                found.append(len(result.hits))
            return found
        finally:
            await cluster.close()
            await store.close()

    return asyncio.run(run())


def quokkas(first: int, count: int) -> list[Document]:
    return [Document(f"/q{n}", f"Quokka {n}") for n in range(first, first + count)]


def test_a_small_batch_is_searchable_when_its_bulk_request_answers(unrefreshed):
    assert found_after_sync(unrefreshed, [quokkas(0, 1), quokkas(1, FRESH_BATCH - 1)]) == [
        1, FRESH_BATCH]


def test_a_batch_larger_than_fresh_batch_waits_for_the_index_refresh(unrefreshed):
    assert found_after_sync(unrefreshed, [quokkas(0, FRESH_BATCH + 1)]) == [0]


def test_a_second_refresh_within_the_gap_is_not_asked_for(unrefreshed):
    assert found_after_sync(unrefreshed, [quokkas(0, 1), quokkas(1, 1)], refresh_gap=3600) == [1, 1]
