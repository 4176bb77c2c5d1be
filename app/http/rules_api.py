"""The site owner's rules for the domain's searches, keyed: `GET`/`PUT /v1/synonyms`
and `/v1/suggestions` (README "Synonyms", "Query suggestions").

Each kind is checked and stored as `app.shared.rules` says, the same as
`autocompeter synonyms|suggestions set`. A `PUT` replaces the kind's rules and
answers as `GET`; the worker that took it forgets its copy at once, the others see
the change with the domain's next generation (app/http/synonym_book.py,
app/http/suggestions.py).
"""

from collections.abc import Callable

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from app.http.auth import authenticated_domain
from app.http.errors import ApiError
from app.http.requests import read_body
from app.http.services import Services, services
from app.shared.rules import SUGGESTIONS, SYNONYMS, RuleKind, RulesRefused

rules_api = Blueprint("rules_api", url_prefix="/v1")


def add_routes(kind: RuleKind, forget: Callable[[Services, str], None]) -> None:
    """`GET` and `PUT /v1/KIND`; ``forget``: this worker's copy of the domain's rules."""

    async def read_rules(request: Request) -> HTTPResponse:
        domain = await authenticated_domain(request)
        stored = await services(request).backends.store.domain_rules(domain, kind.name)
        return json({"domain": domain, **kind.as_body(kind.stored(stored))})

    async def set_rules(request: Request) -> HTTPResponse:
        domain = await authenticated_domain(request, takes_body=True)
        try:
            rules = kind.checked(read_body(request))
        except RulesRefused as refused:
            raise ApiError(400, str(refused)) from None
        used = services(request)
        await used.backends.store.set_domain_rules(domain, kind.name, kind.to_store(rules))
        forget(used, domain)
        return json({"domain": domain, **kind.as_body(rules)})

    rules_api.add_route(read_rules, f"/{kind.name}", methods=["GET"],
                        name=f"read_{kind.name}", stream=True)
    rules_api.add_route(set_rules, f"/{kind.name}", methods=["PUT"],
                        name=f"set_{kind.name}", stream=True)


add_routes(SYNONYMS, lambda used, domain: used.synonyms.forget(domain))
add_routes(SUGGESTIONS, lambda used, domain: used.suggestions.forget(domain))
