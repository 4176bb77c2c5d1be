"""Request bodies: read only after the key is checked, and never more than a route takes.

Sanic reads a whole body before it runs a handler, up to REQUEST_MAX_SIZE. Were that
MAX_BODY_BYTES, anyone could make every worker buffer 16 MiB per connection before
being told their key is wrong, on any route. So:

- the routes that take no body (searches, health, static files) refuse one over
  NO_BODY_BYTES (1 KiB) with a 413 as soon as they see its size, and Sanic's
  REQUEST_MAX_SIZE is small (8 KiB) for bodies without a size;
- the keyed routes are `stream=True`: Sanic runs them as soon as the headers arrive,
  they check the key, and only then `receive_limited_body` reads up to MAX_BODY_BYTES
  (an `Expect: 100-continue` client hears "100 Continue" only from that read);
- `finish_unread_body` makes an error answer readable by a client that writes its
  whole body before reading (Python's urllib and requests do): closing with its
  bytes unread would reset the connection and lose the answer, so after the answer
  up to DRAIN_FACTOR * MAX_BODY_BYTES of what it sends is read and dropped before
  the connection closes. Past that it is simply closed.
"""

import codecs
from email.message import Message

from sanic import Request
from sanic.exceptions import PayloadTooLarge
from sanic.http import Http
from sanic.response import HTTPResponse

from app.http.errors import NO_BODY_BYTES, ApiError, too_large_message
from app.http.services import services

DRAIN_FACTOR = 2


def content_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


def check_encoding(request: Request) -> None:
    """Name what we cannot read instead of failing on the bytes later."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise ApiError(415, f"Content-Encoding: {encoding!r} is not supported; "
                            "send the body uncompressed")
    header = Message()
    header["content-type"] = request.headers.get("content-type", "")
    charset = header.get_param("charset")
    if isinstance(charset, str):
        try:
            codecs.lookup(charset)
        except LookupError:
            raise ApiError(400, f"Content-Type: unknown charset {charset!r}") from None


async def receive_limited_body(request: Request, limit: int) -> None:
    """Read the body of a `stream=True` route, refusing one over ``limit`` bytes."""
    length = content_length(request)
    if length is not None and length > limit:
        raise ApiError(413, too_large_message(limit))  # before reading a byte of it
    if length or request.headers.get("transfer-encoding"):
        check_encoding(request)
    if isinstance(request.stream, Http):
        request.stream.request_max_size = limit  # a chunked body stops at the limit too
    try:
        await request.receive_body()
    except PayloadTooLarge:
        raise ApiError(413, too_large_message(limit)) from None
    if len(request.body) > limit:  # servers other than Sanic's own (ASGI)
        raise ApiError(413, too_large_message(limit))


def refuse_unexpected_body(request: Request) -> None:
    """Request middleware: a route that takes no body refuses one over NO_BODY_BYTES.

    Sanic does not even read the body of a GET; without this a search with a 2 MB
    body would be answered as if it had none.
    """
    route = request.route
    if route is None or getattr(route.handler, "is_stream", False):
        return  # unrouted (404/405), or a route that reads its own body
    length = content_length(request)
    if length is not None and length > NO_BODY_BYTES:
        raise ApiError(413, too_large_message(NO_BODY_BYTES))


def finish_unread_body(request: Request, response: HTTPResponse) -> None:
    """As an error answer leaves, deal with the body nobody read (see the module doc)."""
    stream = request.stream
    if not isinstance(stream, Http) or not stream.request_body:
        return
    if response.status < 400:
        return  # a successful route read what it needed; Sanic drains the rest
    stream.keep_alive = False  # the rest of the body must never be read as a request
    if stream.expecting_continue:
        # The client waits for "100 Continue" before it sends: it gets the final
        # answer instead (Sanic would send both), and no body to wait for.
        stream.expecting_continue = False
        stream.request_body = None
        return
    bound = DRAIN_FACTOR * services(request).settings.max_body_bytes
    if stream.request_body is True and stream.request_bytes > bound:
        return  # announced too large to drain: closing is all we can do
    # Sanic reads and drops the rest after sending the answer, then closes (keep_alive
    # is off), but only up to REQUEST_MAX_SIZE: allow the bound, for this connection
    # alone, which ends with this request.
    stream.request_max_size = bound
    stream.protocol.request_max_size = bound
