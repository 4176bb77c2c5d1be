"""The OpenAPI description of the site owner's keyed reads (/v1/stats, /v1/stats/daily,
/v1/documents) and private groups (/v1/groups): what the dashboard and a site's backend
call, apart from the widget's search and the title writes (app/pages/openapi.py).
"""

from app.pages.openapi_blocks import Json, OwnerSetting, errors, json_body, keyed
from app.shared.models import PrivateGroupsIn


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


GROUPS_SETTING = OwnerSetting(
    "groups", PrivateGroupsIn, GROUPS, GROUPS_EXAMPLE,
    read=("The domain's private groups and its token secret",
          "the private groups and the token secret"),
    replace=("Make groups private",
             "Titles in a private group are found only by searches whose token (t) grants "
             "the group; this replaces the domain's private groups."),
    sent={"private": ["staff"]},
    invalid="private.0: must not contain a comma: searches list groups as g=a,b")
