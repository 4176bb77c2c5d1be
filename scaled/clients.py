"""The clients that talk to the cluster, Elasticsearch's or OpenSearch's, built from a
`ClusterConfig`: hosts, credentials, TLS, timeouts, retries and, for OpenSearch searches, the
transport (`SEARCH_TRANSPORT`: `scaled.transport`, or opensearch-py's aiohttp connection).

Two client instances per process: a search client with a short timeout (a
visitor gets a 503 within about a second rather than waiting), and an indexing
client with a longer timeout for bulk requests, whose retries the sync worker
does itself, with backoff. The search client tries the next host when one
refuses or drops the connection (a node that died), within the one search
timeout, and the client's pool then leaves the failed host aside for a while
(60 s, doubling while it keeps failing); a host that answers, even with an
error, or too slowly, is not asked again.
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from core.engine import EngineUnavailable
from scaled.config import ClusterConfig


class ClusterClient:
    """The calls we need, the same for both clients (both accept ``body=``)."""

    def __init__(self, config: ClusterConfig, timeout: float, searches: bool = False) -> None:
        self.kind = config.kind
        # A search's retries on other hosts share its one timeout; bulk requests keep theirs.
        self.deadline = timeout if searches else None
        if config.kind == "elasticsearch":
            self.client, self.unavailable = _elasticsearch(config, timeout, searches)
        else:
            self.client, self.unavailable = _opensearch(config, timeout, searches)
        self.posts_directly = (searches and config.kind == "opensearch"
                               and config.search_transport == "own")
        """Whether `post` may be used: searches over our own transport (`scaled.transport`)."""

    async def call(self, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Run ``client.<method>``; engine outages become EngineUnavailable."""
        target: Any = self.client
        for name in method.split("."):
            target = getattr(target, name)
        with self._outages():
            async with asyncio.timeout(self.deadline):
                response = await target(*args, **kwargs)
        # elasticsearch-py wraps bodies in ObjectApiResponse; opensearch-py returns dicts.
        return getattr(response, "body", response)

    async def post(self, path: str, body: bytes) -> Any:
        """POST ``body`` (JSON, or `_msearch`'s lines) to ``path``; the answer, parsed.

        For searches over our own transport (`posts_directly`): what opensearch-py's
        client and transport do for a search (escape the arguments, serialize the body,
        decode the answer to text for the serializer) cost as much of the service's CPU
        as the exchange itself, so a search goes straight to a connection, picked,
        marked dead on a connection error and retried on the next host as the
        transport does it (`max_retries`, not on a timeout), within the one deadline."""
        transport = self.client.transport
        with self._outages():
            async with asyncio.timeout(self.deadline):
                if not transport._async_init_called:  # its connections are made on first use
                    await transport._async_call()
                for attempt in range(transport.max_retries + 1):
                    connection = transport.get_connection()
                    try:
                        data = await connection.post(path, body)
                    except self.unavailable[0]:  # opensearch-py's ConnectionError: the next host
                        transport.mark_dead(connection)
                        if attempt == transport.max_retries:
                            raise
                    else:
                        transport.connection_pool.mark_live(connection)
                        return orjson.loads(data)
        raise AssertionError("unreachable: the last attempt returns or raises")

    @contextmanager
    def _outages(self) -> Iterator[None]:
        """Engine outages (no connection, a timeout, 429 or 5xx) as EngineUnavailable."""
        try:
            yield
        except self.unavailable as error:
            raise EngineUnavailable(f"{self.kind}: {error}") from error
        except Exception as error:
            if status_of(error) in (429, 502, 503, 504) or status_of(error) == "N/A":
                raise EngineUnavailable(f"{self.kind}: {error}") from error
            raise

    async def close(self) -> None:
        await self.client.close()
        # opensearch-py closes only the live connections: one left aside as dead kept its
        # aiohttp session (or idle sockets) open. Closing a connection twice does nothing.
        pool = getattr(self.client.transport, "connection_pool", None)
        for connection in getattr(pool, "orig_connections", ()):
            await connection.close()


def status_of(error: Exception) -> object:
    """The HTTP status of a client error, for both clients' exception classes."""
    status = getattr(error, "status_code", None)
    if status is None:
        status = getattr(getattr(error, "meta", None), "status", None)
    return status


def _retries(config: ClusterConfig, searches: bool) -> dict[str, Any]:
    """Each other host once for a search whose connection failed (not for an answer that
    came too late or said 5xx: another node would likely be as slow); none for bulk."""
    retries = len(config.hosts) - 1 if searches else 0
    return {"max_retries": retries, "retry_on_timeout": False, "retry_on_status": ()}


def _elasticsearch(config: ClusterConfig, timeout: float,
                   searches: bool) -> tuple[Any, tuple[type, ...]]:
    import elastic_transport
    from elasticsearch import AsyncElasticsearch

    auth: dict[str, Any] = {}
    if config.api_key:
        auth["api_key"] = config.api_key
    elif config.username:
        auth["basic_auth"] = (config.username, config.password or "")
    client = AsyncElasticsearch(
        config.hosts, **auth, verify_certs=config.verify_certs, ca_certs=config.ca_file,
        request_timeout=timeout, **_retries(config, searches),
    )
    return client, (elastic_transport.ConnectionError, elastic_transport.ConnectionTimeout,
                    asyncio.TimeoutError)


def _opensearch(config: ClusterConfig, timeout: float,
                searches: bool) -> tuple[Any, tuple[type, ...]]:
    import orjson
    from opensearchpy import AsyncOpenSearch, JSONSerializer
    from opensearchpy.exceptions import ConnectionError as OsConnectionError
    from opensearchpy.exceptions import SerializationError

    class OrjsonSerializer(JSONSerializer):
        """orjson for request and response bodies: the standard library's json took
        7% of the service's CPU time on a search."""

        def loads(self, s: str) -> Any:
            try:
                return orjson.loads(s)
            except orjson.JSONDecodeError as error:
                raise SerializationError(s, error) from error

        def dumps(self, data: Any) -> Any:
            if isinstance(data, str):
                return data
            try:
                return orjson.dumps(data, default=self.default).decode()
            except TypeError as error:
                raise SerializationError(data, error) from error

    options: dict[str, Any] = {}
    if config.api_key:
        options["headers"] = {"Authorization": f"ApiKey {config.api_key}"}
    elif config.username:
        options["http_auth"] = (config.username, config.password or "")
    https = config.hosts[0].startswith("https:")
    if https:
        options.update(use_ssl=True, verify_certs=config.verify_certs,
                       ssl_show_warn=config.verify_certs)
        if config.ca_file:
            options["ca_certs"] = config.ca_file
    if searches and config.search_transport == "own":  # see scaled.transport for why
        from scaled.transport import CONNECT_SHARE, SearchConnection

        options["connection_class"] = SearchConnection
        if len(config.hosts) > 1:  # a host that does not accept soon: try the next one
            options["connect_share"] = CONNECT_SHARE
    client = AsyncOpenSearch(config.hosts, **options, timeout=timeout,
                             **_retries(config, searches), serializer=OrjsonSerializer())
    # opensearch-py's ConnectionTimeout is a ConnectionError.
    return client, (OsConnectionError, asyncio.TimeoutError)
