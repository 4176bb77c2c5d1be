"""Which groups a search may see: public ones as asked, private ones only with a token.

A search's groups are narrowed here, in the HTTP layer, before the engine or
the response cache sees them: the engines stay unaware of privacy, a cached
answer is keyed by what was allowed (never served to a request allowed less),
and typo corrections, which are judged by the searched groups only, cannot
leak a word that only a private title holds.

Each worker keeps every domain's private groups and token signing key, read in
one round trip and trusted while the engine's generation for the domain stays
the same. The embedded store bumps the generation when either changes, so the
next search on any worker sees the change; the scaled engine's generation is a
half-second bucket, so there a change reaches the other workers within a second,
as document writes do. The worker that made the change forgets it at once.
"""

import time
from dataclasses import dataclass

from app.http.errors import ApiError
from app.http.per_generation import PerGeneration
from core.store import Store
from core.tokens import MalformedToken, granted_groups, read_token, signing_key


@dataclass(frozen=True, slots=True)
class DomainAccess:
    private: frozenset[str]
    key: bytes | None
    """The signing key derived from the domain's token secret; None before it has one."""


class AccessCache(PerGeneration[DomainAccess]):
    """Each domain's private groups and signing key (at most 100 short names and a key)."""

    async def get(self, store: Store, domain: str, generation: int) -> DomainAccess | None:
        """The domain's access at ``generation``; None when it cannot be known (the
        database is away and this worker never read it): then no group is public."""
        if (known := self.cached(domain, generation)) is not None:
            return known
        return await self.read(domain, generation, lambda: read_access(store, domain))


async def read_access(store: Store, domain: str) -> DomainAccess:
    private, secret = await store.access(domain)
    return DomainAccess(private, signing_key(secret) if secret is not None else None)


def check_token(token: str) -> None:
    """A 400 naming `t` when ``token`` is not a token at all."""
    if token:
        try:
            read_token(token)
        except MalformedToken as error:
            raise ApiError(400, f"t: {error}") from None


def allowed_groups(asked: tuple[str, ...], access: DomainAccess | None, token: str,
                   domain: str) -> tuple[str, ...]:
    """``asked`` without the private groups ``token`` does not grant (in their order)."""
    key = access.key if access is not None else None
    granted = granted_groups(token, domain, key, time.time()) if token else frozenset()
    if access is None:  # unknown: every group may be private
        return tuple(group for group in asked if group in granted)
    return tuple(group for group in asked if group not in access.private or group in granted)
