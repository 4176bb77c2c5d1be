"""The pieces every operation of the OpenAPI description is made of (app/pages/openapi.py):
a JSON answer, the error answers with the service's own messages, a keyed operation,
a request model's schema, and a keyed setting an owner reads and replaces.
"""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

Json = dict[str, Any]

ERROR: Json = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string", "description": "what went wrong, field first"}},
}
OK: Json = {"type": "object", "required": ["message"],
            "properties": {"message": {"const": "OK"}, "count": {"type": "integer"}}}


def json_body(schema: Json, description: str, example: object = None) -> Json:
    media: Json = {"schema": schema}
    if example is not None:
        media["example"] = example  # shown on /docs
    return {"description": description, "content": {"application/json": media}}


def errors(*statuses: int, invalid: str = "",
           too_large: str = "documents: at most 10000 per request, got 12000") -> Json:
    """The error answers; ``invalid`` is the operation's own 400 message, as the
    service answers one of its invalid requests (tests/test_openapi.py asks them), and
    ``too_large`` its 413's."""
    reasons = {
        400: "invalid input; the message names the field",
        401: "no Auth-Key header",
        403: "the key is unknown or revoked",
        404: "no such document",
        413: "the request is too large: its body, its bulk, or its head (a URL over 8 KiB)",
        415: "the body is neither JSON nor form fields",
        429: "too many requests; see Retry-After",
        503: "the database or search engine is unavailable for a moment",
    }
    examples = {
        400: invalid,
        401: "missing Auth-Key header",
        403: "Auth-Key is not a valid key (unknown or revoked)",
        404: "url: no document with that URL in this domain",
        413: too_large,
        415: "send application/json or form-encoded fields",
        429: "too many searches from this address; retry in 1 s",
        503: "database unavailable, try again shortly",
    }
    return {str(status): json_body(ERROR, reasons[status], {"error": examples[status]})
            for status in statuses}


def keyed(operation: Json) -> Json:
    operation["security"] = [{"authKey": []}]
    operation["responses"].update(errors(401, 403, 429, 503))
    return operation


def plain(summary: str, operation_id: str, media: str, schema: Json,
          example: object) -> Json:
    return {"summary": summary, "operationId": operation_id, "tags": ["operations"],
            "responses": {"200": {"description": "OK", "content": {
                media: {"schema": schema, "example": example}}}}}


def model_schema(model: type[BaseModel]) -> Json:
    """A request model's JSON Schema, without the class name pydantic puts as its title."""
    schema = model.model_json_schema()
    schema.pop("title", None)
    return schema


@dataclass(frozen=True)
class OwnerSetting:
    """A keyed setting of the domain that `GET` answers and `PUT` replaces, answering
    as `GET` (private groups, synonyms, suggestion controls)."""

    tag: str
    """The operations' tag; `GET` is its operationId, `PUT` TAG_put."""
    model: type[BaseModel]
    answer: Json
    example: Json
    read: tuple[str, str]
    """`GET`'s summary, and what its answer holds."""
    replace: tuple[str, str]
    """`PUT`'s summary and description."""
    sent: Json
    """An example `PUT` body."""
    invalid: str
    """The 400 an invalid body gets (tests/test_openapi.py sends it)."""

    def operations(self) -> Json:
        summary, holds = self.read
        read = {"summary": summary, "operationId": self.tag, "tags": [self.tag],
                "responses": {"200": json_body(self.answer, holds, self.example)}}
        summary, description = self.replace
        replace = {
            "summary": summary, "description": description, "operationId": f"{self.tag}_put",
            "tags": [self.tag],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": model_schema(self.model), "example": self.sent}}},
            "responses": {"200": json_body(self.answer, "stored; the same answer as GET",
                                           self.example),
                          **errors(400, 413, 415, invalid=self.invalid)},
        }
        return {"get": keyed(read), "put": keyed(replace)}
