"""The search client's HTTP connection to OpenSearch: keep-alive sockets, no aiohttp.

opensearch-py sends each request through an aiohttp session. On the bench
machine that cost 230-270 µs of CPU per search, where the same bytes exchanged
over a plain asyncio connection cost 45-60 µs (2,000 searches in one process,
docs/scaling.md); with the engine on the same cores, that CPU is what stands
between a search through the service and the engine's own answer.

A search is a small POST answered by a small JSON body, over a few keep-alive
connections to the node, so `SearchConnection` does only that: an asyncio
protocol per socket, httptools (the parser Sanic itself depends on) to read
responses, and opensearch-py's `AIOHttpConnection` for everything else:
address, auth headers, TLS context, error classes and logging. HEAD requests
and compressed bodies go through aiohttp as before.
"""

import asyncio
from collections.abc import Collection, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import httptools
from opensearchpy import AIOHttpConnection
from opensearchpy.exceptions import ConnectionError as OsConnectionError
from opensearchpy.exceptions import ConnectionTimeout

Answer = tuple[int, dict[str, str], bytes]

# With several hosts, one that does not even accept the connection within this share
# of the search timeout counts as down (a connection error), so the search is tried on
# another host in the time left, not lost to one unreachable address.
CONNECT_SHARE = 0.25


@lru_cache(maxsize=256)
def query_string(params: tuple[tuple[str, Any], ...]) -> str:
    """A search's few parameters (``filter_path``, its long list above all) repeat:
    encoding them once saves about 5 µs a search."""
    return urlencode(params)


class EngineSocket(asyncio.Protocol):
    """One keep-alive connection to the node; one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.answer: asyncio.Future[Answer] | None = None
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.received = False
        self.reusable = True

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self.fail(error)

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(exc or ConnectionResetError("the engine closed the connection"))

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.reusable = self.parser.should_keep_alive()
        if self.answer is not None and not self.answer.done():
            self.answer.set_result((self.parser.get_status_code(), self.headers,
                                    b"".join(self.body)))

    # ours

    @property
    def is_open(self) -> bool:
        return self.reusable and self.transport is not None and not self.transport.is_closing()

    def fail(self, error: BaseException) -> None:
        self.close()
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(error)

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.close()

    async def exchange(self, request: bytes) -> Answer:
        """Send ``request``; its status, headers (lower-case names) and body."""
        assert self.transport is not None
        self.headers, self.body, self.received = {}, [], False
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.answer


class SearchConnection(AIOHttpConnection):
    """`AIOHttpConnection` whose requests go over `EngineSocket`s.

    At most ``maxsize`` sockets, like aiohttp's connector: more concurrent
    searches wait for one. A socket the node closed while it sat idle is
    replaced once, if it failed before any byte of the answer arrived. Given a
    ``connect_share`` (the client does when it has other hosts to try), a connect
    that takes longer than that share of the timeout fails as a connection error,
    which the client retries on its next host; alone, a host gets the whole timeout.
    """

    def __init__(self, *args: Any, connect_share: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connect_limit = self.timeout * connect_share if connect_share else None
        self._idle: list[EngineSocket] = []
        self._slots = asyncio.Semaphore(self._limit or 10)
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        fixed = {"host": f"{host}:{self.port}", **self.headers}
        self._fixed_headers = "".join(f"{name}: {value}\r\n" for name, value in fixed.items())

    async def perform_request(
        self, method: str, url: str, params: Mapping[str, Any] | None = None,
        body: bytes | None = None, timeout: float | None = None,
        ignore: Collection[int] = (), headers: Mapping[str, str] | None = None,
    ) -> Any:
        if method == "HEAD" or self.http_compress:
            return await super().perform_request(method, url, params, body, timeout, ignore,
                                                 headers)
        path = self.url_prefix + url + (f"?{query_string(tuple(params.items()))}" if params else "")
        status, answer_headers, data, duration = await self._checked(
            method, path, body, headers, timeout or self.timeout, ignore)
        text = data.decode("utf-8", "surrogatepass")
        self.log_request_success(method, self.host + path, path, body, status, text, duration)
        return status, answer_headers, text

    async def post(self, path: str, body: bytes) -> bytes:
        """POST ``body`` to ``path`` (with its query string); the answer's body.

        `perform_request` without what a search does not need: no parameters to encode,
        no text to decode for a serializer, no log line for a success. The caller's
        deadline bounds it (`scaled.clients.ClusterClient.post`); errors are raised as
        `perform_request` raises them, so the client's pool treats them alike."""
        _status, _headers, data, _duration = await self._checked(
            "POST", self.url_prefix + path, body, None)
        return data

    async def _checked(self, method: str, path: str, body: bytes | None,
                       headers: Mapping[str, str] | None, timeout: float | None = None,
                       ignore: Collection[int] = ()
                       ) -> tuple[int, dict[str, str], bytes, float]:
        """One exchange (within ``timeout``, if given), failures logged and raised as
        opensearch-py raises them; its status, headers, body and duration."""
        full_url = self.host + path
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            async with asyncio.timeout(timeout), self._slots:
                status, answer_headers, data = await self._send(
                    self._request(method, path, body, headers))
        except Exception as error:
            self.log_request_fail(method, full_url, path, body, loop.time() - start,
                                  exception=error)
            if isinstance(error, TimeoutError):
                raise ConnectionTimeout("TIMEOUT", str(error), error) from error
            raise OsConnectionError("N/A", str(error), error) from error
        duration = loop.time() - start
        if "warning" in answer_headers:
            self._raise_warnings([answer_headers["warning"]])
        if not 200 <= status < 300 and status not in ignore:
            text = data.decode("utf-8", "surrogatepass")
            self.log_request_fail(method, full_url, path, body, duration,
                                  status_code=status, response=text)
            self._raise_error(status, text, answer_headers.get("content-type"))
        return status, answer_headers, data, duration

    def _request(self, method: str, path: str, body: bytes | str | None,
                 headers: Mapping[str, str] | None) -> bytes:
        payload = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body or b""
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        head = (f"{method} {path} HTTP/1.1\r\n{self._fixed_headers}{extra}"
                f"content-length: {len(payload)}\r\n\r\n")
        return head.encode("latin-1") + payload

    async def _send(self, request: bytes) -> Answer:
        socket, reused = await self._checkout()
        try:
            return await self._exchange(socket, request)
        except OSError:
            if not reused or socket.received:
                raise
        # The node closed that idle socket before answering: once more, on another.
        socket, _reused = await self._checkout()
        return await self._exchange(socket, request)

    async def _exchange(self, socket: EngineSocket, request: bytes) -> Answer:
        try:
            answer = await socket.exchange(request)
        except BaseException:  # a failure, a timeout or a cancel: the answer may still come
            socket.close()
            raise
        if socket.is_open:
            self._idle.append(socket)
        else:
            socket.close()
        return answer

    async def _checkout(self) -> tuple[EngineSocket, bool]:
        while self._idle:
            socket = self._idle.pop()
            if socket.is_open:
                return socket, True
        loop = asyncio.get_running_loop()
        ssl = self._ssl_context if self.use_ssl else None
        try:
            async with asyncio.timeout(self._connect_limit):
                _, socket = await loop.create_connection(EngineSocket, self.hostname, self.port,
                                                         ssl=ssl)
        except TimeoutError as error:
            raise ConnectionRefusedError(
                f"{self.hostname}:{self.port} did not accept a connection in "
                f"{self._connect_limit:.2f}s"
            ) from error
        return socket, False

    async def close(self) -> None:
        while self._idle:
            self._idle.pop().close()
        await super().close()
