"""Signed search tokens: what a site's backend gives a visitor to open private groups.

A token is two base64url parts (no padding) joined by a dot::

    base64url(payload) + "." + base64url(HMAC-SHA256(signing_key, payload))

``payload`` is UTF-8 JSON ``{"d": domain, "g": [groups], "exp": unix seconds}``;
the signature covers exactly those bytes, so any JSON encoder will do (nothing
is re-serialized to check it). ``signing_key`` is HMAC-SHA256 keyed with the
domain's token secret (its UTF-8 bytes) over ``KEY_CONTEXT``: the secret itself
never signs anything, so a token cannot be turned into a tool against anything
else the secret might be used for later. The secret is random per domain and
stored by the service, never derived from an auth key.
"""

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from core.keys import ALPHABET

KEY_CONTEXT = b"autocompeter token v1"
SECRET_LENGTH = 43
"""43 letters and digits: 43 * log2(62) = 256 bits."""
MAX_TOKEN_LENGTH = 4096
"""Characters: a URL parameter, so it must fit the request line with room to spare."""
MAX_TOKEN_GROUPS = 100
"""As many groups as a domain may make private (app/http/groups.py)."""

_PART = re.compile(r"[A-Za-z0-9_-]+")
_FIELDS = {"d", "g", "exp"}


class MalformedToken(ValueError):
    """Not a token at all (wrong shape); a valid-looking token that fails its checks
    (expired, signed with another key, for another domain) is not malformed."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    domain: str
    groups: frozenset[str]
    expires: int
    """Unix seconds; the token grants nothing from that second on."""


def new_token_secret() -> str:
    # Letters and digits, as auth keys: safe in a shell, a URL and an env file.
    return "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH))


def signing_key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), KEY_CONTEXT, hashlib.sha256).digest()


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(part: str) -> bytes:
    if not _PART.fullmatch(part):
        raise MalformedToken("each part must be base64url (A-Z a-z 0-9 - _, no padding)")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise MalformedToken("a part is not valid base64url") from None


def mint(secret: str, domain: str, groups: Iterable[str], expires: int) -> str:
    """The recipe README's "Private groups" shows in Python and JavaScript."""
    payload = orjson.dumps({"d": domain, "g": list(groups), "exp": expires})
    signature = hmac.new(signing_key(secret), payload, hashlib.sha256).digest()
    return f"{_encode(payload)}.{_encode(signature)}"


def read_token(token: str) -> tuple[TokenClaims, bytes, bytes]:
    """The claims, the signed payload and the signature; MalformedToken if it is none."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise MalformedToken(f"longer than {MAX_TOKEN_LENGTH} characters")
    parts = token.split(".")
    if len(parts) != 2:
        raise MalformedToken("must be two base64url parts joined by a dot")
    payload, signature = _decode(parts[0]), _decode(parts[1])
    try:
        claims = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise MalformedToken("the payload is not JSON") from None
    if not isinstance(claims, dict) or set(claims) != _FIELDS:
        raise MalformedToken('the payload must be {"d": domain, "g": [groups], "exp": seconds}')
    domain, groups, expires = claims["d"], claims["g"], claims["exp"]
    if not isinstance(domain, str):
        raise MalformedToken("d must be a string, the domain")
    if (not isinstance(groups, list) or len(groups) > MAX_TOKEN_GROUPS
            or not all(isinstance(group, str) for group in groups)):
        raise MalformedToken(f"g must be a list of at most {MAX_TOKEN_GROUPS} group names")
    if not isinstance(expires, int) or isinstance(expires, bool):
        raise MalformedToken("exp must be a whole number of seconds since 1970 (UTC)")
    return TokenClaims(domain, frozenset(groups), expires), payload, signature


def granted_groups(token: str, domain: str, key: bytes | None, now: float) -> frozenset[str]:
    """The groups ``token`` opens in ``domain`` at ``now``: none when it is expired,
    signed with another key or made for another domain. MalformedToken if it is none."""
    claims, payload, signature = read_token(token)
    if key is None or claims.expires <= now or claims.domain != domain:
        return frozenset()
    expected = hmac.new(key, payload, hashlib.sha256).digest()
    return claims.groups if hmac.compare_digest(expected, signature) else frozenset()
