"""Every error leaves as JSON `{"error": ...}` a person can act on."""

import logging

from sanic import Request
from sanic.exceptions import PayloadTooLarge, RequestCancelled, SanicException
from sanic.handlers import ErrorHandler
from sanic.response import HTTPResponse, json

from core.engine import EngineUnavailable
from core.store import StoreUnavailable

log = logging.getLogger("autocompeter")


NO_BODY_BYTES = 1024
"""The most a route that takes no body reads (Sanic's REQUEST_MAX_SIZE; app/http/bodies.py)."""


def too_large_message(limit: int) -> str:
    if limit <= NO_BODY_BYTES:
        return f"body: this endpoint takes no body (at most {limit} bytes)"
    return f"body: larger than the {limit} bytes allowed"


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None,
                 **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra



CLIENT_CLOSED = 499
"""nginx's status for a client that went away before its answer: counted, never sent."""


def client_went_away(request: Request | None, exception: BaseException) -> bool:
    if isinstance(exception, RequestCancelled):
        return True
    conn_info = getattr(request, "conn_info", None) if request else None
    return isinstance(exception, ConnectionError) and bool(getattr(conn_info, "lost", False))


class JsonErrorHandler(ErrorHandler):
    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        if client_went_away(request, exception):
            # Anyone can close a connection early: not an error of ours, so no
            # traceback and no 5xx in the metrics.
            return json({"error": "client closed the request"}, CLIENT_CLOSED)
        if isinstance(exception, ApiError):
            return json({"error": exception.message, **exception.extra}, exception.status,
                        headers=exception.headers)
        if isinstance(exception, EngineUnavailable | StoreUnavailable):
            # An outage, not a bug: no traceback, and a message the widget can show.
            log.warning("%s: %s", exception.__class__.__name__, exception)
            what = "search engine" if isinstance(exception, EngineUnavailable) else "database"
            return json({"error": f"{what} unavailable, try again shortly"}, 503,
                        headers={"Retry-After": "1", "Access-Control-Allow-Origin": "*"})
        if isinstance(exception, SanicException) and exception.status_code < 500:
            message = str(exception) or exception.__class__.__name__
            if isinstance(exception, PayloadTooLarge) and "body" in message:
                # Sanic's own limit, REQUEST_MAX_SIZE: met only by routes without a body.
                message = too_large_message(NO_BODY_BYTES)
            return json({"error": message}, exception.status_code)
        request_id = str(request.id) if request else "-"
        log.exception("unexpected error in request %s", request_id, exc_info=exception)
        body = {"error": "internal error; quote this request id", "request_id": request_id}
        return json(body, 500)
