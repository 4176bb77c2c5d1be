"""The OpenAPI description of a domain's search rules set by its owner: synonyms
(/v1/synonyms, README "Synonyms"). The rest of the document: app/pages/openapi.py."""

from app.pages.openapi_blocks import Json, errors, json_body, keyed
from app.shared.models import SynonymsIn

SYNONYMS: Json = {
    "type": "object", "required": ["domain", "synonyms", "one_way"],
    "properties": {
        "domain": {"type": "string", "description": "the key's domain"},
        "synonyms": {"type": "array", "items": {"type": "array", "items": {"type": "string"}},
                     "description": "groups of words that mean the same, folded"},
        "one_way": {"type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "a word and the words it also finds, folded"}},
}
SYNONYMS_EXAMPLE = {"domain": "example.com", "synonyms": [["js", "javascript"]],
                    "one_way": {"k8s": ["kubernetes"]}}


def synonyms_schema() -> Json:
    schema = SynonymsIn.model_json_schema()
    schema.pop("title", None)
    return schema


def read_synonyms_operation() -> Json:
    return keyed({
        "summary": "The domain's synonyms",
        "operationId": "synonyms",
        "tags": ["synonyms"],
        "responses": {"200": json_body(SYNONYMS, "the groups and one-way rules, as stored",
                                       SYNONYMS_EXAMPLE)},
    })


def set_synonyms_operation() -> Json:
    return keyed({
        "summary": "Set the domain's synonyms",
        "description": "A query word that a group or a one-way rule names also finds the "
                       "titles of the words that stand for it, at query time on both setups; "
                       "`terms` carries the word that found each. Replaces the rules set "
                       "before. Each rule's words are one word each.",
        "operationId": "synonyms_put",
        "tags": ["synonyms"],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": synonyms_schema(),
            "example": {"synonyms": [["js", "javascript"]], "one_way": {"k8s": ["kubernetes"]}}}}},
        "responses": {"200": json_body(SYNONYMS, "stored; the same answer as GET",
                                       SYNONYMS_EXAMPLE),
                      **errors(400, 413, 415,
                               invalid="synonyms[0]: 'new york' is not one word "
                                       "(letters and digits)")},
    })
