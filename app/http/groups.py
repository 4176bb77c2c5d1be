"""The site owner's private groups and token secret (keyed): README "Private groups"."""

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from app.http.auth import authenticated_domain
from app.http.errors import ApiError
from app.http.requests import read_body, validated
from app.http.services import services
from app.shared.models import MAX_PRIVATE_GROUPS, PrivateGroupsIn

groups_api = Blueprint("groups_api", url_prefix="/v1")


async def groups_answer(request: Request, domain: str) -> HTTPResponse:
    used = services(request)
    secret = await used.backends.store.token_secret(domain)  # made on first use
    used.access.forget(domain)  # this worker may have read it before it was made
    return json({
        "domain": domain,
        "private": await used.backends.store.private_groups(domain),
        # What the site's backend signs tokens with; `autocompeter tokens rotate` replaces it.
        "token_secret": secret,
    })


@groups_api.get("/groups", stream=True)
async def read_groups(request: Request) -> HTTPResponse:
    return await groups_answer(request, await authenticated_domain(request))


@groups_api.put("/groups", stream=True)
async def set_groups(request: Request) -> HTTPResponse:
    domain = await authenticated_domain(request, takes_body=True)
    body = read_body(request)
    if isinstance(body.get("private"), list) and len(body["private"]) > MAX_PRIVATE_GROUPS:
        raise ApiError(400, f"private: at most {MAX_PRIVATE_GROUPS} groups, "
                            f"got {len(body['private'])}")
    wanted = validated(PrivateGroupsIn, body)
    await services(request).backends.store.set_private_groups(domain, wanted.private)
    return await groups_answer(request, domain)
