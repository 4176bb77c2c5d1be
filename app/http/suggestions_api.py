"""The site owner's controls of query suggestions: `PUT`/`GET /v1/suggestions`, keyed
(README "Query suggestions"). Stored as JSON text (`Store.domain_rules`); each worker's
suggestions are app/http/suggestions.py, built again after a change."""

import orjson
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from app.http.auth import authenticated_domain
from app.http.requests import read_body, validated
from app.http.services import services
from app.http.suggestions import RULES_NAME, stored_rules
from app.shared.models import SuggestionsIn
from core.suggestions import SuggestionRules

suggestions_api = Blueprint("suggestions_api", url_prefix="/v1")


def rules_answer(domain: str, rules: SuggestionRules) -> HTTPResponse:
    return json({"domain": domain, **rules.as_settings()})


@suggestions_api.get("/suggestions", stream=True)
async def read_suggestions(request: Request) -> HTTPResponse:
    domain = await authenticated_domain(request)
    stored = await services(request).backends.store.domain_rules(domain, RULES_NAME)
    return rules_answer(domain, stored_rules(stored))


@suggestions_api.put("/suggestions", stream=True)
async def set_suggestions(request: Request) -> HTTPResponse:
    domain = await authenticated_domain(request, takes_body=True)
    rules = SuggestionRules.from_settings(**validated(SuggestionsIn, read_body(request))
                                          .model_dump())
    used = services(request)
    await used.backends.store.set_domain_rules(domain, RULES_NAME,
                                               orjson.dumps(rules.as_settings()).decode())
    used.suggestions.forget(domain)
    return rules_answer(domain, rules)
