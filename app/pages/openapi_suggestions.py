"""The OpenAPI description of a domain's query suggestion controls (/v1/suggestions,
README "Query suggestions"). The rest of the document: app/pages/openapi.py."""

from app.pages.openapi_blocks import Json, errors, json_body, keyed
from app.shared.models import SuggestionsIn

SUGGESTIONS: Json = {
    "type": "object", "required": ["domain", "enabled", "min_count", "min_results", "exclude"],
    "properties": {
        "domain": {"type": "string", "description": "the key's domain"},
        "enabled": {"type": "boolean"},
        "min_count": {"type": "integer"},
        "min_results": {"type": "integer"},
        "exclude": {"type": "array", "items": {"type": "string"},
                    "description": "searches never suggested, folded"}},
}
SUGGESTIONS_EXAMPLE = {"domain": "example.com", "enabled": True, "min_count": 2,
                       "min_results": 1, "exclude": ["free"]}


def suggestions_schema() -> Json:
    schema = SuggestionsIn.model_json_schema()
    schema.pop("title", None)
    return schema


def read_suggestions_operation() -> Json:
    return keyed({
        "summary": "The domain's query suggestion controls",
        "operationId": "suggestions",
        "tags": ["suggestions"],
        "responses": {"200": json_body(SUGGESTIONS, "the controls, as stored (the defaults "
                                                    "when never set)", SUGGESTIONS_EXAMPLE)},
    })


def set_suggestions_operation() -> Json:
    return keyed({
        "summary": "Set the domain's query suggestion controls",
        "description": "A search with s=N gets up to N of the domain's most popular "
                       "searches of the last 30 days (a visitor's burst of keystrokes "
                       "counting once) that start with what was typed, at any word; only "
                       "those that found titles min_count times and find min_results "
                       "titles a visitor with no private groups sees. Replaces the "
                       "controls set before; one left out takes its default.",
        "operationId": "suggestions_put",
        "tags": ["suggestions"],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": suggestions_schema(),
            "example": {"min_count": 2, "exclude": ["free"]}}}},
        "responses": {"200": json_body(SUGGESTIONS, "stored; the same answer as GET",
                                       SUGGESTIONS_EXAMPLE),
                      **errors(400, 413, 415,
                               invalid="min_count: Input should be greater than or equal "
                                       "to 1")},
    })
