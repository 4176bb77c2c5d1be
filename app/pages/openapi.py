"""The OpenAPI 3 description of the service, served at /openapi.json.

Written out rather than generated from the routes: the v1 API is a contract
with the original service's users, and changing it should show up as a diff
here. Request bodies come from the pydantic models that validate them, so
the two cannot drift apart; tests/test_openapi.py checks the rest against the
running service with schemathesis. The widget's search and click, the title writes and
the operations endpoints are here; the site owner's reads and groups in
openapi_owner.py; the pieces all of them are made of in openapi_blocks.py.
"""

from app.pages.openapi_blocks import ERROR, OK, Json, errors, json_body, keyed, model_schema, plain
from app.pages.openapi_owner import (
    GROUPS_SETTING,
    daily_operation,
    documents_operation,
    stats_operation,
)
from app.pages.openapi_rules import SUGGESTIONS_SETTING, SYNONYMS_SETTING
from app.shared.domains import MAX_LENGTH as MAX_DOMAIN_LENGTH
from app.shared.models import ClickIn, DocumentIn
from core.suggestions import MAX_SUGGESTIONS
from core.tokens import MAX_TOKEN_LENGTH


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
            {"name": "s", "in": "query",
             "description": "how many query suggestions to add: popular searches starting "
                            "with what was typed (README: Query suggestions); 0 adds none",
             "schema": {"type": "integer", "minimum": 0, "maximum": MAX_SUGGESTIONS,
                        "default": 0}},
        ],
        "responses": {
            "200": json_body({
                "type": "object", "required": ["terms", "results"],
                "properties": {"terms": {"type": "array", "items": {"type": "string"}},
                               "results": results,
                               "suggestions": {"type": "array", "items": {"type": "string"},
                                               "maxItems": MAX_SUGGESTIONS,
                                               "description": "only when s is given"}},
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
            "/v1/groups": GROUPS_SETTING.operations(),
            "/v1/synonyms": SYNONYMS_SETTING.operations(),
            "/v1/suggestions": SUGGESTIONS_SETTING.operations(),
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
            "schemas": {"Document": model_schema(DocumentIn)},
            "securitySchemes": {"authKey": {
                "type": "apiKey", "in": "header", "name": "Auth-Key",
                "description": "made with `autocompeter keys create DOMAIN`; names its domain"}},
        },
    }
