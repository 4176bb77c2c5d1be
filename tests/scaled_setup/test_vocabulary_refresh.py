"""The typo tier's word lists on the real OpenSearch node: last second's words answer
at once while this second's are fetched in the background (scaled.vocabulary).

Generation buckets are passed in by hand, so nothing here waits for a clock.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest
from live import free_port

from core.engine import SearchQuery
from scaled.cluster import SearchCluster, open_cluster
from scaled.mapping import document_id, source
from scaled.vocabulary import REFRESH_BUCKETS, STALE_BUCKETS, ClusterVocabulary, Words
from scaled_setup.support import require_services

pytestmark = pytest.mark.scaled

DOMAIN = "vocabulary.example"


async def put(cluster: SearchCluster, index: str, sequence: int, title: str,
              group: str = "") -> None:
    url = f"https://{DOMAIN}/{sequence}"
    await cluster.bulk([{"index": {"_index": index, "_id": document_id(DOMAIN, url)}},
                        source(sequence, DOMAIN, url, title, group, 1.0)])
    await cluster.refresh(index)


def p_words(found: dict[str, Words]) -> list[str]:
    return sorted(found["p"].terms)


class CountedFetch:
    """The cluster's own search, counting the word-list fetches it is asked for."""

    def __init__(self, cluster: SearchCluster) -> None:
        self.cluster = cluster
        self.asked = 0

    async def __call__(self, body: dict) -> dict:
        self.asked += 1
        return await self.cluster._search_alias(body)


def on_a_new_index(scenario: Callable[[SearchCluster, str], Awaitable[None]]) -> None:
    """Run ``scenario`` on an index of its own that holds "Python tutorial"."""
    search_url = require_services()[1]

    async def run() -> None:
        cluster = open_cluster(search_url, alias=f"test-{uuid.uuid4().hex[:10]}")
        index = await cluster.ensure_index()
        try:
            await put(cluster, index, 1, "Python tutorial")
            await scenario(cluster, index)
        finally:
            await cluster.delete_index(index)
            await cluster.close()

    asyncio.run(run())


def test_stale_words_answer_at_once_while_the_fresh_ones_are_fetched() -> None:
    async def scenario(cluster: SearchCluster, index: str) -> None:
        vocabulary = ClusterVocabulary()
        fetch = CountedFetch(cluster)

        async def p_words_in(bucket: int, using: object = fetch) -> list[str]:
            return p_words(await vocabulary.starting_with(using, bucket, DOMAIN, (), {"p"}))

        assert await p_words_in(1) == ["python"]  # nothing cached: fetched first
        await put(cluster, index, 2, "Pyramid guide")
        # Fetched REFRESH_BUCKETS ago: last fetch's words, and one fetch under way for
        # two asks.
        fetched_again = 1 + REFRESH_BUCKETS
        assert await p_words_in(fetched_again) == ["python"]
        assert await p_words_in(fetched_again) == ["python"]
        assert len(vocabulary.refreshing) == 1
        await asyncio.gather(*vocabulary.refreshing.values())
        assert await p_words_in(fetched_again) == ["pyramid", "python"]
        assert not vocabulary.refreshing
        assert fetch.asked == 2

        # A refresh that fails (nothing listens there) leaves the stale words in use.
        nowhere = open_cluster(f"opensearch+http://127.0.0.1:{free_port()}", alias="none")
        later = fetched_again + REFRESH_BUCKETS
        assert await p_words_in(later, nowhere._search_alias) == ["pyramid", "python"]
        await asyncio.gather(*vocabulary.refreshing.values())
        assert await p_words_in(later + 1, nowhere._search_alias) == ["pyramid", "python"]
        await asyncio.gather(*vocabulary.refreshing.values())
        await nowhere.close()

        # Words fetched in bucket `fetched_again` serve up to STALE_BUCKETS later; older
        # ones are fetched before the answer.
        await put(cluster, index, 3, "Pydantic models")
        last_stale = fetched_again + STALE_BUCKETS
        assert await p_words_in(last_stale) == ["pyramid", "python"]
        await asyncio.gather(*vocabulary.refreshing.values())
        await put(cluster, index, 4, "Pyglet games")
        assert await p_words_in(last_stale + STALE_BUCKETS + 1) == [
            "pydantic", "pyglet", "pyramid", "python"]
        assert not vocabulary.refreshing

    on_a_new_index(scenario)


def test_words_are_fetched_again_only_every_refresh_interval() -> None:
    """A letter's aggregation costs the engine up to 80 ms: a worker asking for it
    again every 0.5 s generation bucket, for every letter typed, did more engine
    work than its searches."""
    async def scenario(cluster: SearchCluster, index: str) -> None:
        vocabulary = ClusterVocabulary()
        fetch = CountedFetch(cluster)

        for bucket in range(1, 1 + REFRESH_BUCKETS):
            assert p_words(await vocabulary.starting_with(
                fetch, bucket, DOMAIN, (), {"p"})) == ["python"]
            assert not vocabulary.refreshing, f"fetched again in bucket {bucket}"
        assert fetch.asked == 1
        await vocabulary.starting_with(fetch, 1 + REFRESH_BUCKETS, DOMAIN, (), {"p"})
        await asyncio.gather(*vocabulary.refreshing.values())
        assert fetch.asked == 2

    on_a_new_index(scenario)


def test_forms_made_from_unchanged_words_are_kept_across_refreshes() -> None:
    async def scenario(cluster: SearchCluster, index: str) -> None:
        vocabulary = ClusterVocabulary()
        fetch = cluster._search_alias
        fixes = await vocabulary.corrections(fetch, 1, DOMAIN, (), ("pyhton",))
        assert fixes == {"pyhton": ["python"]}
        before = await vocabulary.starting_with(fetch, 1, DOMAIN, (), {"p"})
        second, third = 1 + REFRESH_BUCKETS, 1 + 2 * REFRESH_BUCKETS  # each fetched again
        await vocabulary.corrections(fetch, second, DOMAIN, (), ("pyhton",))
        await asyncio.gather(*vocabulary.refreshing.values())
        after = await vocabulary.starting_with(fetch, second, DOMAIN, (), {"p"})
        assert after["p"].version == before["p"].version
        await put(cluster, index, 2, "Pyhon tools")
        await vocabulary.corrections(fetch, third, DOMAIN, (), ("pyhton",))
        await asyncio.gather(*vocabulary.refreshing.values())
        # New words, a new version, new forms: "pyhon" is one edit away too.
        assert await vocabulary.corrections(fetch, third, DOMAIN, (), ("pyhton",)) == {
            "pyhton": ["python", "pyhon"]}

    on_a_new_index(scenario)


def test_a_title_moved_into_a_private_group_is_no_correction_for_others() -> None:
    """Issue 25, item 10: the words cached before "Python tutorial" went into the
    private group "staff" still hold "python"; a search without that group must not
    get it as a correction in `terms`, whether it runs in the same second or later."""
    async def scenario(cluster: SearchCluster, index: str) -> None:
        public = SearchQuery(DOMAIN, ("pyhton",))
        staff = SearchQuery(DOMAIN, ("pyhton",), groups=("staff",))
        before = await cluster.search(public)
        assert before.terms == ["pyhton", "python"]
        await put(cluster, index, 1, "Python tutorial", group="staff")
        after = await cluster.search(public)
        assert (after.hits, after.terms) == ([], ["pyhton"])
        assert (await cluster.search(staff)).terms == ["pyhton", "python"]

    on_a_new_index(scenario)


def test_a_stale_word_list_shows_no_private_title_and_no_lost_word() -> None:
    """Issue 25, item 10, with the word lists cached before "Python tutorial" went into
    the private group "staff" held on purpose (the engine's generation stands still):
    its corrections still offer "python" to public searches, which must neither find
    the private title nor show "python" in `terms`, while the public "Pyhon tools"
    is still found as a correction of "pyhton"."""
    async def scenario(cluster: SearchCluster, index: str) -> None:
        cluster.generation = lambda _domain: 1  # type: ignore[method-assign]
        await put(cluster, index, 2, "Pyhon tools")
        public = SearchQuery(DOMAIN, ("pyhton",))
        staff = SearchQuery(DOMAIN, ("pyhton",), groups=("staff",))
        before = await cluster.search(public)
        assert before.terms == ["pyhton", "python", "pyhon"]
        await cluster.search(staff)  # the staff's list is cached too

        await put(cluster, index, 1, "Python tutorial", group="staff")
        after = await cluster.search(public)
        assert [hit.title for hit in after.hits] == ["Pyhon tools"]
        assert (after.tier, after.terms) == ("corrected", ["pyhton", "pyhon"])
        for_staff = await cluster.search(staff)
        assert {hit.title for hit in for_staff.hits} == {"Python tutorial", "Pyhon tools"}
        assert for_staff.terms == ["pyhton", "python", "pyhon"]

    on_a_new_index(scenario)
