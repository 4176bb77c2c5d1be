"""The OpenAPI 3 description of the service, served at /openapi.json.

Written out rather than generated from the routes: the v1 API is a contract
with the original service's users, and changing it should show up as a diff
here. Request bodies come from the pydantic models that validate them, so
the two cannot drift apart; tests/test_openapi.py checks the rest against the
running service with schemathesis.
"""

from typing import Any

from app.shared.domains import MAX_LENGTH as MAX_DOMAIN_LENGTH
from app.shared.models import ClickIn, DocumentIn, PrivateGroupsIn
from core.tokens import MAX_TOKEN_LENGTH

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


def document_schema() -> Json:
    schema = DocumentIn.model_json_schema()
    schema.pop("title", None)
    return schema


def click_operation() -> Json:
    schema = ClickIn.model_json_schema()
    schema.pop("title", None)
    return {
        "summary": "Report the result a visitor chose",
        "description": "Public and CORS-open: what the widget sends with navigator.sendBeacon "
                       "(a JSON body sent as text/plain is read as JSON too). Counted only if "
                       "url is among the results of the search (d, q, n, g, t), once per "
                       "address, title and UTC day; clicked titles rise within their tier "
                       "(CLICK_RANKING).",
        "operationId": "click",
        "tags": ["search"],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": schema,
                                 "example": {"d": "demo", "q": "json du",
                                             "url": "https://example.com/a"}},
            "application/x-www-form-urlencoded": {"schema": schema},
        }},
        "responses": {"204": {"description": "noted (or ignored: an unknown URL, a repeat)"},
                      **errors(400, 413, 415, 429, 503, invalid="url: Field required")},
    }


def search_operation() -> Json:
    results = {"type": "array", "items": {
        "type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2,
        "description": "[url, title]"}}
    return {
        "summary": "Search a domain's titles",
        "description": "Public and CORS-open: what the widget calls on every keystroke.",
        "operationId": "search",
        "tags": ["search"],
        "parameters": [
            {"name": "d", "in": "query", "required": True,
             "description": "the domain: a host name such as example.com",
             "schema": {"type": "string", "minLength": 1, "maxLength": MAX_DOMAIN_LENGTH},
             "example": "demo"},
            {"name": "q", "in": "query", "required": True, "description": "what was typed",
             "schema": {"type": "string", "minLength": 1, "maxLength": 200},
             "example": "json du"},
            {"name": "n", "in": "query", "description": "how many results",
             "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}},
            {"name": "g", "in": "query", "description": "extra groups, comma-separated",
             "schema": {"type": "string"}, "example": "staff,admin"},
            # No example: /docs runs its curl examples, and a token expires. No maxLength
            # (as for DELETE's url): past the request head's 8 KiB a longer one is
            # Sanic's 413, not our 400.
            {"name": "t", "in": "query",
             "description": "a signed token from the site's backend that opens private "
                            "groups asked for in g (README: Private groups); an expired or "
                            "foreign one opens none, a malformed one is a 400; at most "
                            f"{MAX_TOKEN_LENGTH:,} characters",
             "schema": {"type": "string"}},
        ],
        "responses": {
            "200": json_body({
                "type": "object", "required": ["terms", "results"],
                "properties": {"terms": {"type": "array", "items": {"type": "string"}},
                               "results": results},
            }, "the best titles, best first; terms are the words to highlight", {
                "terms": ["json", "du"],
                "results": [["https://docs.python.org/3/library/json.html#json.dumps",
                             "json.dumps — Serialize obj to a JSON formatted str."]]}),
            # A d or q far past its maxLength can pass the request head's 8 KiB: then
            # it is Sanic's 413, not our 400.
            **errors(400, 413, 429, 503,
                     invalid=f"d: 'exa mple.com' is not a valid host name (letters, digits, "
                             f"hyphens and dots, at most {MAX_DOMAIN_LENGTH} characters)",
                     too_large="Request header exceeds the size limit"),
        },
    }


def keyed(operation: Json) -> Json:
    operation["security"] = [{"authKey": []}]
    operation["responses"].update(errors(401, 403, 429, 503))
    return operation


def add_operation() -> Json:
    return keyed({
        "summary": "Add or replace one title",
        "operationId": "add",
        "tags": ["titles"],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Document"},
                                 "example": {"url": "https://example.com/about",
                                             "title": "About us", "popularity": 10}},
            "application/x-www-form-urlencoded": {
                "schema": {"$ref": "#/components/schemas/Document"}},
        }},
        "responses": {"201": json_body(OK, "stored", {"message": "OK"}),
                      **errors(400, 413, 415,
                               invalid="title: String should have at least 1 character")},
    })


def bulk_operation(method: str) -> Json:
    rejected = {"type": "array", "items": {
        "type": "object", "required": ["index", "error"],
        "properties": {"index": {"type": "integer"}, "error": {"type": "string"}}}}
    body = {"type": "object", "required": ["documents"], "properties": {
        "documents": {"type": "array", "maxItems": 10_000,
                      "description": "the titles, each an object with the fields below "
                                     "(MAX_BULK_DOCUMENTS sets the limit)",
                      "items": {"$ref": "#/components/schemas/Document"}}}}
    return keyed({
        "summary": "Add or replace many titles",
        "description": "Valid entries are stored in one transaction; invalid ones are "
                       "listed by position. If none is valid: 400 and nothing is stored. "
                       "The body is read as JSON whatever its Content-Type.",
        "operationId": f"bulk_{method}",
        "tags": ["titles"],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": body,
            "example": {"documents": [
                {"url": "https://example.com/about", "title": "About us", "popularity": 10},
                {"url": "/team", "title": "Team page", "group": "staff"}]},
        }}},
        "responses": {
            "201": json_body({**OK, "properties": {**OK["properties"], "rejected": rejected}},
                             "stored; count is how many, rejected lists the invalid "
                             "entries by position",
                             {"message": "OK", "count": 2, "rejected": [
                                 {"index": 2, "error": "title: Field required"}]}),
            "400": json_body({**ERROR, "properties": {**ERROR["properties"],
                                                      "rejected": rejected}},
                             "no valid entry, or no documents list",
                             {"error": "documents: none of them is valid", "rejected": [
                                 {"index": 0, "error": "title: Field required"}]}),
            **errors(413, 415),
        },
    })


def flush_operation(method: str) -> Json:
    return keyed({
        "summary": "Remove every title of the key's domain",
        "operationId": f"flush_{method}",
        "tags": ["titles"],
        "responses": {"200": json_body(OK, "removed; count is how many",
                                       {"message": "OK", "count": 42})},
    })


def stats_operation() -> Json:
    monthly = {"type": "object", "additionalProperties": {
        "type": "object", "additionalProperties": {"type": "integer"}}}
    ranked = {"type": "array", "items": {"type": "object", "properties": {
        "q": {"type": "string"}, "count": {"type": "integer"}}}}
    with_clicks = {"type": "array", "items": {"type": "object", "properties": {
        "q": {"type": "string"}, "count": {"type": "integer"}, "clicks": {"type": "integer"},
        "click_through": {"type": "number", "description": "clicks per search"}}}}
    clicked = {"type": "array", "items": {"type": "object", "properties": {
        "url": {"type": "string"}, "title": {"type": "string"},
        "clicks": {"type": "integer"}}}}
    return keyed({
        "summary": "Searches per month and the number of titles",
        "operationId": "stats",
        "tags": ["titles"],
        "responses": {"200": json_body({
            "type": "object", "required": ["fetches", "documents"],
            "properties": {"fetches": monthly, "documents": {"type": "integer"},
                           "top_queries": with_clicks, "top_misses": ranked,
                           "top_clicks": clicked},
        }, "fetches by year and month; top queries (with their clicks and click-through "
           "rate), misses and clicked titles of the last 30 days", {
            "fetches": {"2026": {"10": 120, "11": 240}}, "documents": 2,
            "top_queries": [{"q": "pyth", "count": 12, "clicks": 6, "click_through": 0.5},
                            {"q": "cafe", "count": 3, "clicks": 0, "click_through": 0.0}],
            "top_misses": [{"q": "kubernetes", "count": 2}],
            "top_clicks": [{"url": "https://example.com/python", "title": "Python",
                            "clicks": 6}]})},
    })


def documents_operation() -> Json:
    document = {"type": "object", "required": ["url", "title", "group", "popularity"],
                "properties": {"url": {"type": "string"}, "title": {"type": "string"},
                               "group": {"type": "string"}, "popularity": {"type": "number"}}}
    page = {"type": "object", "required": ["documents", "cursor"], "properties": {
        "documents": {"type": "array", "items": document},
        "cursor": {"type": ["string", "null"], "description": "for the next page; null: last"}}}
    return keyed({
        "summary": "Page through the key's domain's titles, or get one by URL",
        "description": "In a stable order; pass each answer's cursor for the next page. "
                       "With url: that one document (not a page), or 404.",
        "operationId": "documents",
        "tags": ["titles"],
        "parameters": [
            {"name": "cursor", "in": "query", "schema": {"type": "string"}},
            {"name": "limit", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
            {"name": "q", "in": "query", "description": "words the title's words start with",
             "schema": {"type": "string", "maxLength": 200}},
            # No maxLength: past the request head's limit (8 KiB) a longer one would be
            # Sanic's 413, not our 400; the 400 names a URL over 2048 characters.
            {"name": "url", "in": "query", "schema": {"type": "string", "minLength": 1}},
        ],
        "responses": {"200": json_body({"oneOf": [page, document]}, "a page, or one document"),
                      **errors(400, 404,
                               invalid="limit: Input should be less than or equal to 500")},
    })


def daily_operation() -> Json:
    days = {"type": "array", "items": {"type": "object", "required": ["day", "searches"],
                                       "properties": {"day": {"type": "string"},
                                                      "searches": {"type": "integer"}}}}
    return keyed({
        "summary": "Searches per UTC day, oldest first, today last",
        "operationId": "stats_daily",
        "tags": ["titles"],
        "parameters": [{"name": "days", "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 30,
                                   "default": 30}}],
        "responses": {"200": json_body({"type": "object", "required": ["domain", "days"],
                                        "properties": {"domain": {"type": "string"},
                                                       "days": days}},
                                       "the key's domain, and every day of the span"),
                      **errors(400, invalid="days: Input should be less than or equal "
                                            "to 30")},
    })


GROUPS: Json = {
    "type": "object", "required": ["domain", "private", "token_secret"],
    "properties": {
        "domain": {"type": "string", "description": "the key's domain"},
        "private": {"type": "array", "items": {"type": "string"},
                    "description": "the private groups, sorted"},
        "token_secret": {"type": "string",
                         "description": "what the site's backend signs tokens with "
                                        "(made on first use; `autocompeter tokens rotate` "
                                        "replaces it)"}},
}
GROUPS_EXAMPLE = {"domain": "example.com", "private": ["staff"],
                  "token_secret": "3kM9...43 letters and digits"}


def groups_schema() -> Json:
    schema = PrivateGroupsIn.model_json_schema()
    schema.pop("title", None)
    return schema


def read_groups_operation() -> Json:
    return keyed({
        "summary": "The domain's private groups and its token secret",
        "operationId": "groups",
        "tags": ["groups"],
        "responses": {"200": json_body(GROUPS, "the private groups and the token secret",
                                       GROUPS_EXAMPLE)},
    })


def set_groups_operation() -> Json:
    return keyed({
        "summary": "Make groups private",
        "description": "Titles in a private group are found only by searches whose token "
                       "(t) grants the group; this replaces the domain's private groups.",
        "operationId": "groups_put",
        "tags": ["groups"],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": groups_schema(), "example": {"private": ["staff"]}}}},
        "responses": {"200": json_body(GROUPS, "stored; the same answer as GET",
                                       GROUPS_EXAMPLE),
                      **errors(400, 413, 415, invalid="private.0: must not contain a comma: "
                                                      "searches list groups as g=a,b")},
    })


def delete_operation() -> Json:
    return keyed({
        "summary": "Remove one title",
        "operationId": "delete",
        "tags": ["titles"],
        "parameters": [{"name": "url", "in": "query", "required": True,
                        "description": "the URL the title was stored with",
                        "schema": {"type": "string", "minLength": 1},
                        "example": "https://example.com/about"}],
        "responses": {"200": json_body(OK, "removed", {"message": "OK"}),
                      **errors(400, 404, invalid="url: give the URL of the document to "
                                                 "delete")},
    })


def plain(summary: str, operation_id: str, media: str, schema: Json,
          example: object) -> Json:
    return {"summary": summary, "operationId": operation_id, "tags": ["operations"],
            "responses": {"200": {"description": "OK", "content": {
                media: {"schema": schema, "example": example}}}}}


def readiness_operation(status: Json) -> Json:
    part = {"type": "object", "required": ["ok"], "properties": {
        "ok": {"type": "boolean"}, "ms": {"type": "number"}, "error": {"type": "string"}}}
    ready = {**status, "properties": {**status["properties"], "store": part, "engine": part}}
    operation = plain("The store and the engine answer", "readyz", "application/json", ready,
                      {"status": "ready", "store": {"ok": True, "ms": 0.4},
                       "engine": {"ok": True, "ms": 3.1}})
    operation["responses"]["503"] = json_body(
        ready, "the store or the engine does not answer",
        {"status": "unavailable", "store": {"ok": True, "ms": 0.4},
         "engine": {"ok": False, "ms": 1000.2, "error": "no answer within 1 s"}})
    return operation


def openapi_document() -> Json:
    status = {"type": "object", "required": ["status"],
              "properties": {"status": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Autocompeter",
            "version": "1",
            "description": "Autocomplete search for websites. Compatible with the v1 API "
                           "of the original Autocompeter service.",
        },
        "paths": {
            "/v1": {"get": search_operation(), "post": add_operation(),
                    "delete": delete_operation()},
            "/v1/click": {"post": click_operation()},
            "/v1/ping": {"get": plain("Warm the connection", "ping", "text/plain",
                                      {"const": "pong"}, "pong")},
            "/v1/bulk": {"post": bulk_operation("post"), "put": bulk_operation("put")},
            "/v1/flush": {"delete": flush_operation("delete"), "post": flush_operation("post")},
            "/v1/stats": {"get": stats_operation()},
            "/v1/stats/daily": {"get": daily_operation()},
            "/v1/documents": {"get": documents_operation()},
            "/v1/groups": {"get": read_groups_operation(), "put": set_groups_operation()},
            "/healthz": {"get": plain("The process is up", "healthz", "application/json",
                                      status, {"status": "ok"})},
            "/readyz": {"get": readiness_operation(status)},
            "/metrics": {"get": plain("Prometheus metrics of all workers", "metrics",
                                      "text/plain", {"type": "string"},
                                      'autocompeter_documents 2.0\n'
                                      'autocompeter_http_requests_total{route="v1.search",'
                                      'status="200"} 12.0')},
        },
        "components": {
            "schemas": {"Document": document_schema()},
            "securitySchemes": {"authKey": {
                "type": "apiKey", "in": "header", "name": "Auth-Key",
                "description": "made with `autocompeter keys create DOMAIN`; names its domain"}},
        },
    }
