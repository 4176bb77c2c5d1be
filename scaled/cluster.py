"""The scaled-out engine: Elasticsearch 8/9 or OpenSearch 2/3.

`SEARCH_URL` picks the client by scheme: `elasticsearch+https://host:9200`
uses `AsyncElasticsearch`, `opensearch+http://host:9200` uses
`AsyncOpenSearch` (built in `scaled.clients`). Both clients accept the same JSON
bodies (built in `scaled.mapping` and `scaled.query`) through the same few calls,
so there is one code path; only the client's construction and its error classes
differ.
"""

import logging
import time
from dataclasses import replace
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import orjson

from core.engine import EngineUnavailable, Hit, SearchQuery
from core.search import Fixes, Guess, Survey, TieredEngine, joined_readings
from scaled.clients import ClusterClient, status_of
from scaled.config import ClusterConfig, parse_search_url
from scaled.mapping import index_body, new_index_name, words_mapping
from scaled.query import (
    EXISTS_FILTER_PATH,
    FILTER_PATH,
    closest_possible,
    cut_in_a_tie,
    domain_filter,
    joined_body,
    leading_lines,
    msearch_lines,
    present_lines,
    ranked,
    search_text_of,
    tie_settled,
    tier_bodies,
    typo_body,
    widened,
)
from scaled.transport import query_string
from scaled.vocabulary import ClusterVocabulary

log = logging.getLogger("autocompeter")

CACHE_SECONDS = 0.5
"""How long a worker reuses a search answer, private groups and the like: the engine's
generation is a bucket of this many seconds. With a small batch made searchable at once
(indexer/sync.py SyncOptions.fresh_batch), a write is found on every instance within about this
long after the engine took it (issue 26: within a second)."""


class SearchCluster(TieredEngine):
    """`SearchEngine` over an ES/OpenSearch alias, plus what indexing needs."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.alias = config.alias
        self._search: ClusterClient | None = None
        self._admin: ClusterClient | None = None
        self._vocabulary = ClusterVocabulary()

    @property
    def searcher(self) -> ClusterClient:
        if self._search is None:
            self._search = ClusterClient(self.config, self.config.search_timeout, searches=True)
        return self._search

    @property
    def admin(self) -> ClusterClient:
        if self._admin is None:
            self._admin = ClusterClient(self.config, self.config.bulk_timeout)
        return self._admin

    # -- SearchEngine ---------------------------------------------------------------

    async def _search_alias(self, body: Any, multi: bool = False,
                            filter_path: str | None = None) -> dict[str, Any]:
        """One `_search` (or `_msearch` when ``multi``) on the alias."""
        searcher = self.searcher
        try:
            if searcher.posts_directly:
                return await searcher.post(search_path(self.alias, multi, filter_path),
                                           search_payload(body, multi))
            options = {"filter_path": filter_path} if filter_path else {}
            return await searcher.call("msearch" if multi else "search", index=self.alias,
                                       body=body, **options)
        except EngineUnavailable:
            raise
        except Exception as error:
            if status_of(error) == 404:  # no index yet: `autocompeter migrate` makes it
                raise EngineUnavailable(f"index {self.alias!r} does not exist") from error
            raise

    async def _tier(self, found: dict[str, Any], body: dict[str, Any], query: SearchQuery,
                    size: int, corrected: bool = False, wide: bool = False) -> list[Hit]:
        """A tier's best ``size`` hits from its answer ``found`` to ``body``; asked again,
        for more, when the answer stops inside a tie at the cut-off that a title after
        it could win. ``corrected``: the tier is the corrected one (`typo_body`);
        ``wide``: ``body`` is `widened` already, and is not asked again."""
        hits = found.get("hits", {}).get("hits", [])
        best = ranked(hits, query.words, size)
        if not wide and cut_in_a_tie(hits, size) and not tie_settled(
                hits, best, query.words, closest_possible(query.words, corrected)):
            found = await self._search_alias(widened(body), filter_path=FILTER_PATH)
            best = ranked(found.get("hits", {}).get("hits", []), query.words, size)
        return [Hit(hit["_source"]["url"], hit["_source"]["title"], search_text_of(hit["_source"]))
                for hit in best]

    async def _one_tier(self, body: dict[str, Any], query: SearchQuery, size: int,
                        corrected: bool = False) -> list[Hit]:
        found = await self._search_alias(body, filter_path=FILTER_PATH)
        return await self._tier(found, body, query, size, corrected)

    async def exact(self, query: SearchQuery, size: int) -> list[Hit]:
        hits, _joined = await self.exact_and_joined(query, [], size)
        return hits

    async def exact_and_joined(self, query: SearchQuery, readings: list[tuple[str, ...]],
                               size: int) -> tuple[list[Hit], list[Hit]]:
        bodies = exact_bodies(query, readings, size)
        if len(bodies) == 1:
            return await self._one_tier(bodies[0], query, size), []
        # Every tier in one round trip; the later ones are cheap when the first
        # fills the page, as each stops early.
        found = await self._msearch(msearch_lines(bodies), FILTER_PATH)
        return await self._exact_answer(query, readings, size, bodies, found)

    async def _exact_answer(self, query: SearchQuery, readings: list[tuple[str, ...]],
                            size: int, bodies: list[dict[str, Any]],
                            responses: list[dict[str, Any]], wide: bool = False
                            ) -> tuple[list[Hit], list[Hit]]:
        """`exact_and_joined` from the answers ``responses`` to its ``bodies``
        (`widened` already when ``wide``)."""
        exact_tiers = len(bodies) - bool(readings)
        hits: list[Hit] = []
        for body, response in zip(bodies[:exact_tiers], responses, strict=False):
            hits += await self._tier(response, body, query, size - len(hits), wide=wide)
            if len(hits) >= size:
                return hits, []
        joined = (await self._tier(responses[len(bodies) - 1], bodies[-1], query, size,
                                   wide=wide)
                  if readings and len(responses) == len(bodies) else [])
        return hits, joined

    async def joined(self, query: SearchQuery, readings: list[tuple[str, ...]], size: int
                     ) -> list[Hit]:
        return await self._one_tier(joined_body(query, readings, size), query, size)

    async def _msearch(self, lines: list[dict[str, Any]], filter_path: str
                       ) -> list[dict[str, Any]]:
        """The answers of an `_msearch`, one per search; an error in any is the engine's."""
        found = await self._search_alias(lines, multi=True, filter_path=filter_path)
        responses: list[dict[str, Any]] = found.get("responses", [])
        for response in responses:
            if "error" in response:
                raise EngineUnavailable(f"{self.config.kind}: {response['error']}")
        return responses

    async def _exist(self, lines: list[dict[str, Any]]) -> list[bool]:
        """For each search of an `exists_lines` body, whether it found a title."""
        return [exists(response) for response in await self._msearch(lines, EXISTS_FILTER_PATH)]

    async def present(self, query: SearchQuery, forms: list[str]) -> set[str]:
        found = await self._exist(present_lines(query, forms))
        return {form for form, held in zip(forms, found, strict=True) if held}

    async def likely_present(self, query: SearchQuery, forms: list[str]) -> set[str]:
        # The typo tier's word lists, cached and refreshed in the background.
        return await self._vocabulary.likely_present(
            self._search_alias, self.generation(query.domain), query.domain, query.groups,
            query.words, forms)

    async def survey(self, query: SearchQuery, forms: list[str], guess: Guess | None = None
                     ) -> Survey:
        # One round trip for all: a miss of several words then costs two requests,
        # this and the exact step, when the guess is the step the flow takes.
        # The leading words with the guessed corrections: when those are right, the
        # words as typed would not lead (the first may be the mistyped one).
        fixes = guess.fixes if guess and guess.fixes else {}
        asked = present_lines(query, forms) + leading_lines(query, query.words, fixes)
        guessed = guess_bodies(query, guess)
        # The step after a corrected guess that finds nothing (`Guess.then`) is rarely
        # taken: asked for a page without a tie's margin, so that the engine fetches
        # few titles for it; a tie at its cut-off, when taken, is asked again.
        then = guess_bodies(query, guess.then, wide=False) if guess else []
        responses = await self._msearch(asked + msearch_lines(guessed + then),
                                        f"{EXISTS_FILTER_PATH},{FILTER_PATH}")
        found = [exists(response) for response in responses[:len(asked) // 2]]
        present = {form for form, held in zip(forms, found, strict=False) if held}
        leading = leading_count(found[len(forms):])
        answers = responses[len(asked) // 2:]
        if guess is None or len(answers) != len(guessed) + len(then):
            return Survey(present, leading, fixes)
        survey = await self._guessed(Survey(present, leading, fixes), query, guess, guessed,
                                     answers, wide=True)
        # Only when the flow takes that step (`TieredEngine._fewer_words`): a tie at
        # its cut-off is asked again here.
        if guess.then is not None and survey.corrected == [] and leading <= 1:
            survey.then = await self._guessed(Survey(present), query, guess.then, then,
                                              answers[len(guessed):])
        return survey

    async def _guessed(self, survey: Survey, query: SearchQuery, guess: Guess,
                       bodies: list[dict[str, Any]], answers: list[dict[str, Any]],
                       wide: bool = False) -> Survey:
        """``survey`` with the answer of the step ``guess``, from the ``answers`` to its
        ``bodies`` (`guess_bodies`, `widened` when ``wide``)."""
        survey.guess = guess
        guessed_query = replace(query, words=guess.words)
        if guess.fixes is None:
            survey.exact = await self._exact_answer(
                guessed_query, joined_readings(guess.words), query.size, bodies,
                answers[:len(bodies)], wide=wide)
        else:
            survey.corrected = await self._tier(answers[0], bodies[0], guessed_query,
                                                query.size, corrected=True, wide=wide)
        return survey

    async def leading_match(self, query: SearchQuery, words: tuple[str, ...], fixes: Fixes
                            ) -> int:
        return leading_count(await self._exist(leading_lines(query, words, fixes)))

    async def corrections(self, query: SearchQuery) -> Fixes:
        return await self._vocabulary.corrections(
            self._search_alias, self.generation(query.domain), query.domain, query.groups,
            query.words,
        )

    async def corrected(self, query: SearchQuery, fixes: Fixes, size: int) -> list[Hit]:
        return await self._one_tier(typo_body(query, fixes, size), query, size, corrected=True)

    def generation(self, domain: str) -> int:
        # Writes reach the cluster through the outbox (a small batch searchable at
        # once), so a cached answer is reused for at most CACHE_SECONDS, per worker.
        return int(time.monotonic() / CACHE_SECONDS)

    async def warm(self) -> None:
        """Nothing to prepare: the cluster keeps its own caches warm."""

    async def ping(self) -> bool:
        try:
            await self.searcher.call("cluster.health")
        except EngineUnavailable:
            return False
        return True

    async def close(self) -> None:
        self._vocabulary.close()
        for client in (self._search, self._admin):
            if client is not None:
                await client.close()
        self._search = self._admin = None

    # -- indexing ---------------------------------------------------------------------

    async def alias_targets(self) -> list[str]:
        try:
            body = await self.admin.call("indices.get_alias", name=self.alias)
        except EngineUnavailable:
            raise
        except Exception as error:
            if status_of(error) == 404:
                return []
            raise
        return sorted(body)

    async def create_index(self) -> str:
        name = new_index_name(self.alias)
        await self.admin.call("indices.create", index=name, body=index_body())
        return name

    async def ensure_index(self) -> str:
        """Make the first index and point the alias at it, unless it exists.

        An existing index gets the fields added to the mapping since it was
        made (a put-mapping; `autocompeter reindex` fills them in for the
        documents it already holds).
        """
        targets = await self.alias_targets()
        if targets:
            await self.update_mapping(targets)
            return targets[0]
        name = await self.create_index()
        try:
            await self.admin.call("indices.update_aliases", body={"actions": [
                {"add": {"index": name, "alias": self.alias, "is_write_index": True}}]})
        except Exception:
            # Another process won the race to make the first index: keep theirs.
            await self.delete_index(name)
            targets = await self.alias_targets()
            if not targets:
                raise
            return targets[0]
        return name

    async def update_mapping(self, indexes: list[str]) -> None:
        """Add newer fields (`words`) to those of ``indexes`` that lack them.

        Only indexes that need it get a put-mapping, so a deployment whose
        search user may not change mappings still starts once they are current.
        """
        body = await self.admin.call("indices.get_mapping", index=",".join(indexes))
        added = words_mapping()["properties"]
        outdated = [name for name, found in body.items()
                    if not added.keys() <= found["mappings"].get("properties", {}).keys()]
        if outdated:
            log.info("adding %s to the mapping of %s", ", ".join(added), ", ".join(outdated))
            await self.admin.call("indices.put_mapping", index=",".join(outdated),
                                  body=words_mapping())

    async def swap_alias(self, new: str, old: list[str]) -> None:
        """Point the alias at ``new`` only, in one atomic request."""
        actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": self.alias}}
                                         for name in old]
        actions.append({"add": {"index": new, "alias": self.alias, "is_write_index": True}})
        await self.admin.call("indices.update_aliases", body={"actions": actions})

    async def delete_index(self, name: str) -> None:
        try:
            await self.admin.call("indices.delete", index=name)
        except EngineUnavailable:
            raise
        except Exception as error:
            if status_of(error) != 404:
                raise

    async def bulk(self, operations: list[dict[str, Any]], refresh: bool = False
                   ) -> list[dict[str, Any]]:
        """Send a bulk body; return the items the engine did not accept. ``refresh``: make
        them searchable before answering (the shards it wrote refresh now)."""
        extra = {"refresh": "true"} if refresh else {}
        body = await self.admin.call("bulk", body=operations, **extra)
        if not body.get("errors"):
            return []
        failed = []
        for item in body["items"]:
            (action, result), = item.items()
            status = result.get("status", 200)
            # 409: the engine already has a newer version (see scaled.store);
            # 404: deleting what is not there. Both leave the index right.
            if status >= 300 and status != 409 and not (action == "delete" and status == 404):
                failed.append(item)
        return failed

    async def refresh(self, index: str | None = None) -> None:
        await self.admin.call("indices.refresh", index=index or self.alias)

    async def count(self, domain: str, index: str | None = None) -> int:
        body = await self.admin.call("count", index=index or self.alias,
                                     body=domain_filter(domain))
        return body["count"]


def exact_bodies(query: SearchQuery, readings: list[tuple[str, ...]], size: int
                 ) -> list[dict[str, Any]]:
    """The searches of `SearchCluster.exact_and_joined`: the exact tiers, then tier 3a
    when there are ``readings``."""
    bodies = tier_bodies(query, size)
    if readings:
        bodies.append(joined_body(query, readings, size))
    return bodies


def guess_bodies(query: SearchQuery, guess: Guess | None, wide: bool = True
                 ) -> list[dict[str, Any]]:
    """The searches of the step ``guess`` names (`core.search.Guess`): those of the exact
    step, or the corrected search, each `widened` at once (unless not ``wide``). A guess
    is sent on a miss only, and a tie at its cut-off would cost the round trip it saves;
    the titles found are those the step finds asked again for a tie (and, without a
    tie, the same best ones)."""
    if guess is None:
        return []
    guessed = replace(query, words=guess.words)
    if guess.fixes is None:
        bodies = exact_bodies(guessed, joined_readings(guess.words), query.size)
    else:
        bodies = [typo_body(guessed, guess.fixes, query.size)]
    return [widened(body) for body in bodies] if wide else bodies


@lru_cache(maxsize=64)
def search_path(alias: str, multi: bool, filter_path: str | None) -> str:
    """The path of a `_search` (or `_msearch`) on ``alias``, as opensearch-py writes it."""
    query = f"?{query_string((('filter_path', filter_path),))}" if filter_path else ""
    return f"/{quote(alias, safe=',*')}/{'_msearch' if multi else '_search'}{query}"


def search_payload(body: Any, multi: bool) -> bytes:
    """A search's body as sent: its JSON, or an `_msearch`'s lines, one JSON each."""
    if not multi:
        return orjson.dumps(body)
    return b"".join([orjson.dumps(line) + b"\n" for line in body])


def exists(response: dict[str, Any]) -> bool:
    """Whether an `exists_lines` search found a title."""
    return bool(response.get("hits", {}).get("total", {}).get("value", 0))


def leading_count(found: list[bool]) -> int:
    """How many of `leading_lines`' searches, in order, found a title before one did not."""
    return next((k for k, held in enumerate(found) if not held), len(found))


def open_cluster(url: str, **options: Any) -> SearchCluster:
    return SearchCluster(parse_search_url(url, **options))


__all__ = ["ClusterClient", "ClusterConfig", "EngineUnavailable", "SearchCluster", "open_cluster",
           "parse_search_url"]
