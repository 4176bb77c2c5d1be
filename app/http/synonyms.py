"""The site owner's synonyms: `PUT`/`GET /v1/synonyms`, keyed (README "Synonyms").

The rules are checked and folded by `core.synonyms` and stored as JSON text
(`Store.domain_rules`); each worker's copy is app/http/synonym_book.py. A search
whose words the rules name carries their forms (`SearchQuery.synonyms`), so the
response cache keys its answer by them too.
"""

import orjson
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from app.http.auth import authenticated_domain
from app.http.errors import ApiError
from app.http.requests import read_body, validated
from app.http.services import services
from app.http.synonym_book import RULES_NAME, stored_rules
from app.shared.models import SynonymsIn
from core.synonyms import SynonymError, Synonyms

synonyms_api = Blueprint("synonyms_api", url_prefix="/v1")


def rules_in(body: dict[str, object]) -> Synonyms:
    """The rules a `PUT` body sends, or a 400 naming the first one not kept."""
    sent = validated(SynonymsIn, body)
    try:
        return Synonyms.from_rules(sent.synonyms, sent.one_way)
    except SynonymError as error:
        raise ApiError(400, str(error)) from None


def rules_answer(domain: str, rules: Synonyms) -> HTTPResponse:
    return json({"domain": domain, **rules.as_rules()})


@synonyms_api.get("/synonyms", stream=True)
async def read_synonyms(request: Request) -> HTTPResponse:
    domain = await authenticated_domain(request)
    stored = await services(request).backends.store.domain_rules(domain, RULES_NAME)
    return rules_answer(domain, stored_rules(stored))


@synonyms_api.put("/synonyms", stream=True)
async def set_synonyms(request: Request) -> HTTPResponse:
    domain = await authenticated_domain(request, takes_body=True)
    rules = rules_in(read_body(request))
    used = services(request)
    await used.backends.store.set_domain_rules(domain, RULES_NAME,
                                               orjson.dumps(rules.as_rules()).decode())
    used.synonyms.forget(domain)
    return rules_answer(domain, rules)
