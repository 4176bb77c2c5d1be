"""What a request asks, read from its body or query string, or a 400 (415) that says in
one line what is wrong: the one place the HTTP layer turns input into models.

The models and the wording of their errors (`app.shared.validation.describe`) are
shared with the command line; raising `ApiError` is the HTTP layer's alone.
"""

from typing import Any, TypeVar
from urllib.parse import parse_qsl

import orjson
from pydantic import BaseModel, ValidationError
from sanic import Request

from app.http.errors import ApiError
from app.shared.validation import describe

Model = TypeVar("Model", bound=BaseModel)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def looks_like_json(body: bytes) -> bool:
    """A body starting with "{" is JSON whatever its Content-Type says.

    Form encoding escapes "{" as %7B, so no form body starts with one; but
    `curl -d '{"documents": ...}'` sends JSON labelled as a form unless told
    otherwise, and a bulk should not be refused for what it plainly is.
    """
    return body.lstrip()[:1] == b"{"


def read_body(request: Request) -> dict[str, Any]:
    """A JSON object or form fields, whichever the client sent."""
    content_type = request.content_type.split(";")[0].strip().lower()
    if content_type != "multipart/form-data" and looks_like_json(request.body):
        content_type = "application/json"
    if content_type == "application/x-www-form-urlencoded":
        try:
            fields = parse_qsl(request.body.decode(), errors="strict")
        except UnicodeDecodeError:
            raise ApiError(400, "body: form fields are not valid UTF-8") from None
        return dict(reversed(fields))  # the first value of a repeated field wins
    if content_type in FORM_TYPES:
        return {name: values[0] for name, values in request.form.items()}
    if content_type == "application/json" or (not request.body and content_type == ""):
        try:
            payload = orjson.loads(request.body or b"{}")
        except orjson.JSONDecodeError as error:
            raise ApiError(400, f"body is not valid JSON: {error}") from None
        if not isinstance(payload, dict):
            raise ApiError(400, "body must be a JSON object")
        return payload
    raise ApiError(415, "send application/json or form-encoded fields")


def query_args(request: Request) -> dict[str, str]:
    return {name: values[0] for name, values in request.args.items()}


def validated(model: type[Model], data: Any, whole: str = "body") -> Model:
    """``data`` as a ``model``, or a 400 saying in one line what is wrong with it."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError(400, describe(error, whole=whole)) from None
