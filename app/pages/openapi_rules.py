"""The OpenAPI description of a domain's search rules set by its owner: synonyms
(/v1/synonyms, README "Synonyms") and the query suggestions' controls
(/v1/suggestions, README "Query suggestions"). The rest of the document:
app/pages/openapi.py."""

from app.pages.openapi_blocks import Json, OwnerSetting
from app.shared.models import SuggestionsIn, SynonymsIn

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

SYNONYMS_SETTING = OwnerSetting(
    "synonyms", SynonymsIn, SYNONYMS, SYNONYMS_EXAMPLE,
    read=("The domain's synonyms", "the groups and one-way rules, as stored"),
    replace=("Set the domain's synonyms",
             "A query word that a group or a one-way rule names also finds the titles of "
             "the words that stand for it, at query time on both setups; `terms` carries "
             "the word that found each. Replaces the rules set before. Each rule's words "
             "are one word each."),
    sent={"synonyms": [["js", "javascript"]], "one_way": {"k8s": ["kubernetes"]}},
    invalid="synonyms[0]: 'new york' is not one word (letters and digits)")

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

SUGGESTIONS_SETTING = OwnerSetting(
    "suggestions", SuggestionsIn, SUGGESTIONS, SUGGESTIONS_EXAMPLE,
    read=("The domain's query suggestion controls",
          "the controls, as stored (the defaults when never set)"),
    replace=("Set the domain's query suggestion controls",
             "A search with s=N gets up to N of the domain's most popular searches of the "
             "last 30 days (a visitor's burst of keystrokes counting once) that start with "
             "what was typed, at any word; only those that found titles min_count times and "
             "find min_results titles a visitor with no private groups sees. Replaces the "
             "controls set before; one left out takes its default."),
    sent={"min_count": 2, "exclude": ["free"]},
    invalid="min_count: Input should be greater than or equal to 1")
