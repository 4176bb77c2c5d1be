"""Every error leaves as JSON `{"error": ...}` a person can act on."""

import logging

from pydantic import ValidationError
from sanic import Request
from sanic.exceptions import SanicException
from sanic.handlers import ErrorHandler
from sanic.response import HTTPResponse, json

log = logging.getLogger("autocompeter")


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def describe(error: ValidationError, whole: str = "body") -> str:
    """'title: String should have at least 1 character; url: Field required'.

    ``whole`` names the input when the error is about all of it, not a field.
    """
    parts = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or whole
        parts.append(f"{field}: {item['msg']}")
    return "; ".join(parts)


class JsonErrorHandler(ErrorHandler):
    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        if isinstance(exception, ApiError):
            return json({"error": exception.message, **exception.extra}, exception.status)
        if isinstance(exception, SanicException) and exception.status_code < 500:
            message = str(exception) or exception.__class__.__name__
            return json({"error": message}, exception.status_code)
        request_id = str(request.id) if request else "-"
        log.exception("unexpected error in request %s", request_id, exc_info=exception)
        body = {"error": "internal error; quote this request id", "request_id": request_id}
        return json(body, 500)
