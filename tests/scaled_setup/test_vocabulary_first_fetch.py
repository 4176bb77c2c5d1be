"""A letter's first word list, on the real OpenSearch node: a search waits for it
at most FIRST_FETCH_SECONDS, and a fetch that fails costs the search its
corrections, not its answer (scaled.vocabulary).

On a three-node cluster just loaded, the first aggregation of a letter on a copy
took 1-1.3 s, past the search timeout: every typo search of that letter answered
503 until the copies had warmed. The slow and the failing engine here are fakes
wrapped around the real one, to simulate that.
"""

import asyncio
import time
import uuid

import pytest

from core.engine import EngineUnavailable
from scaled.cluster import SearchCluster, open_cluster
from scaled.mapping import document_id, source
from scaled.vocabulary import FIRST_FETCH_SECONDS, ClusterVocabulary
from scaled_setup.support import require_services

pytestmark = pytest.mark.scaled

DOMAIN = "first-fetch.example"


async def with_python_titles(scenario) -> None:  # type: ignore[no-untyped-def]
    cluster = open_cluster(require_services()[1], alias=f"test-{uuid.uuid4().hex[:10]}")
    index = await cluster.ensure_index()
    try:
        url = f"https://{DOMAIN}/1"
        await cluster.bulk([{"index": {"_index": index, "_id": document_id(DOMAIN, url)}},
                            source(1, DOMAIN, url, "Python tutorial", "", 1.0)])
        await cluster.refresh(index)
        await scenario(cluster)
    finally:
        await cluster.delete_index(index)
        await cluster.close()


def test_a_slow_first_word_list_costs_a_search_its_corrections_not_its_time() -> None:
    async def scenario(cluster: SearchCluster) -> None:
        vocabulary = ClusterVocabulary()
        release = asyncio.Event()
        asked = 0

        async def slow(body: dict) -> dict:  # a fake delay in front of the real engine
            nonlocal asked
            asked += 1
            await release.wait()
            return await cluster._search_alias(body)

        started = time.monotonic()
        # wait_for: a search that waits for the fetch fails here instead of hanging.
        assert await asyncio.wait_for(
            vocabulary.corrections(slow, 1, DOMAIN, (), ("pyhton",)), 5) == {}
        waited = time.monotonic() - started
        assert 0.9 * FIRST_FETCH_SECONDS <= waited < FIRST_FETCH_SECONDS + 0.5
        # The fetch goes on; a second search meanwhile joins it instead of asking again.
        assert await vocabulary.corrections(slow, 1, DOMAIN, (), ("pyhton",)) == {}
        assert asked == 1
        release.set()
        await asyncio.gather(*vocabulary.refreshing.values())
        assert await vocabulary.corrections(slow, 1, DOMAIN, (), ("pyhton",)) == {
            "pyhton": ["python"]}
        assert asked == 1

    asyncio.run(with_python_titles(scenario))


def test_a_failing_first_word_list_costs_a_search_its_corrections_not_its_answer() -> None:
    async def scenario(cluster: SearchCluster) -> None:
        vocabulary = ClusterVocabulary()

        async def failing(body: dict) -> dict:  # a fake engine failure
            raise EngineUnavailable("opensearch: timed out")

        assert await vocabulary.corrections(failing, 1, DOMAIN, (), ("pyhton",)) == {}
        assert not vocabulary.refreshing
        # Not remembered as a letter without words: the next search asks again.
        assert await vocabulary.corrections(cluster._search_alias, 1, DOMAIN, (),
                                            ("pyhton",)) == {"pyhton": ["python"]}

    asyncio.run(with_python_titles(scenario))
