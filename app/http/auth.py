"""`Auth-Key` header → the domain the key belongs to."""

from sanic import Request

from app.http.bodies import receive_limited_body
from app.http.errors import NO_BODY_BYTES, ApiError
from app.http.services import services

HEADER = "Auth-Key"


async def authenticated_domain(request: Request, takes_body: bool = False) -> str:
    """The key's domain; also counts the request against the domain's write limit.

    Keyed routes are `stream=True` (see app.http.bodies): the key is checked before a
    byte of the body is read, then the body is read, up to MAX_BODY_BYTES if the
    route ``takes_body``.
    """
    key = request.headers.get(HEADER, "").strip()
    if not key:
        raise ApiError(401, f"missing {HEADER} header")
    domain = await services(request).backends.store.domain_for_key(key)
    if domain is None:
        # Never echo the key: it may be someone's live secret sent by mistake.
        raise ApiError(403, f"{HEADER} is not a valid key (unknown or revoked)")
    await services(request).rate_limits.check_write(domain)
    limit = services(request).settings.max_body_bytes if takes_body else NO_BODY_BYTES
    await receive_limited_body(request, limit)
    return domain
