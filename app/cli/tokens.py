"""`autocompeter tokens create|secret|rotate`: search tokens that open a domain's private
groups (README: Private groups), signed with the domain's token secret.
"""

import argparse
import asyncio
import sys
import time
from functools import partial

from pydantic import ValidationError

from app.cli.arguments import DOMAIN_HELP, Commands
from app.shared.backends import Backends, with_backends
from app.shared.errors import Refused
from app.shared.models import PrivateGroupsIn
from app.shared.settings import Settings
from app.shared.validation import describe
from core.tokens import mint


async def known_secret(backends: Backends, domain: str, rotate: bool = False) -> str:
    store = backends.store
    secret = await (store.rotate_token_secret(domain) if rotate else store.token_secret(domain))
    if secret is None:
        raise Refused(f"no domain {domain!r}: autocompeter keys create {domain}")
    return secret


async def tokens_create(backends: Backends, domain: str, groups: str, ttl: int) -> int:
    if ttl < 1:
        raise Refused("--ttl: the token's lifetime in seconds, at least 1")
    try:
        granted = PrivateGroupsIn.model_validate({"private": groups.split(",")}).private
    except ValidationError as error:
        raise Refused(describe(error, name=lambda _field: "--groups")) from None
    secret = await known_secret(backends, domain)
    print(mint(secret, domain, granted, int(time.time()) + ttl))
    return 0


async def tokens_secret(backends: Backends, domain: str) -> int:
    print(await known_secret(backends, domain))
    return 0


async def tokens_rotate(backends: Backends, domain: str) -> int:
    print(await known_secret(backends, domain, rotate=True))
    print("tokens signed with the old secret grant nothing from now on", file=sys.stderr)
    return 0


def add_tokens_command(commands: Commands) -> None:
    tokens = commands.add_parser(
        "tokens", help="search tokens that open private groups (README: Private groups)")
    tokens.set_defaults(run=run_tokens)
    actions = tokens.add_subparsers(dest="tokens_command", required=True)
    create = actions.add_parser("create", help="print a token for DOMAIN")
    create.add_argument("domain", help=DOMAIN_HELP)
    create.add_argument("--groups", required=True,
                        help="the groups it grants, comma-separated: staff,editors")
    create.add_argument("--ttl", type=int, default=3600,
                        help="seconds until it expires (default 3600)")
    actions.add_parser("secret", help="print DOMAIN's token secret (made on first use)"
                       ).add_argument("domain", help=DOMAIN_HELP)
    actions.add_parser("rotate", help="replace DOMAIN's token secret and print the new one; "
                                      "tokens signed with the old one stop working"
                       ).add_argument("domain", help=DOMAIN_HELP)


def run_tokens(args: argparse.Namespace, settings: Settings) -> int:
    action = {
        "create": partial(tokens_create, domain=args.domain,
                          groups=getattr(args, "groups", ""), ttl=getattr(args, "ttl", 0)),
        "secret": partial(tokens_secret, domain=args.domain),
        "rotate": partial(tokens_rotate, domain=args.domain),
    }[args.tokens_command]
    return asyncio.run(with_backends(settings, action))
