"""`Auth-Key` header → the domain the key belongs to."""

from sanic import Request

from app.errors import ApiError
from app.services import services

HEADER = "Auth-Key"


async def authenticated_domain(request: Request) -> str:
    """The key's domain; also counts the request against the domain's write limit."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        raise ApiError(401, f"missing {HEADER} header")
    domain = await services(request).backends.store.domain_for_key(key)
    if domain is None:
        # Never echo the key: it may be someone's live secret sent by mistake.
        raise ApiError(403, f"{HEADER} is not a valid key (unknown or revoked)")
    await services(request).rate_limits.check_write(domain)
    return domain
