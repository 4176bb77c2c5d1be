"""Every error leaves as JSON `{"error": ...}` a person can act on."""

import logging

from sanic import Request
from sanic.exceptions import SanicException
from sanic.handlers import ErrorHandler
from sanic.response import HTTPResponse, json

from core.engine import EngineUnavailable
from core.store import StoreUnavailable

log = logging.getLogger("autocompeter")


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None,
                 **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra



class JsonErrorHandler(ErrorHandler):
    def default(self, request: Request, exception: Exception) -> HTTPResponse:
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
            return json({"error": message}, exception.status_code)
        request_id = str(request.id) if request else "-"
        log.exception("unexpected error in request %s", request_id, exc_info=exception)
        body = {"error": "internal error; quote this request id", "request_id": request_id}
        return json(body, 500)
