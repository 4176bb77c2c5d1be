"""`autocompeter keys create|list|revoke`: the auth keys that write to a domain.

Only a key's hash and first characters are stored, so `list` shows those, and
`revoke` takes the id, those first characters or the whole key.
"""

import argparse
import asyncio
import sys
from datetime import datetime

from app.cli.arguments import DOMAIN_HELP, Commands
from app.shared.backends import Backends, with_backends
from app.shared.errors import Refused
from app.shared.settings import Settings
from core.keys import KEY_LENGTH, PREFIX_LENGTH
from core.store import KeyInfo


async def keys_create(backends: Backends, domain: str, note: str) -> int:
    print(await backends.store.create_key(domain, note=note))
    return 0


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell, two spaces apart."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [header, *rows]]


def when(moment: datetime | None, never: str = "never") -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else never


async def keys_list(backends: Backends) -> int:
    keys = await backends.store.list_keys()
    if not keys:
        print("no keys yet: autocompeter keys create DOMAIN", file=sys.stderr)
        return 0
    rows = [[str(key.key_id), f"{key.prefix}…", key.domain, key.note, when(key.created_at),
             when(key.last_used_at),
             f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "live"]
            for key in keys]
    print("\n".join(table(["id", "key", "domain", "note", "created (UTC)", "last used",
                            "state"], rows)))
    return 0


def describe_key(key: KeyInfo) -> str:
    return f"id {key.key_id} ({key.domain}, {key.prefix}…, created {when(key.created_at)})"


async def keys_revoke(backends: Backends, given: str) -> int:
    """Revoke by the whole key, by id, or by the first characters `keys list` shows."""
    given = given.strip().removesuffix("…")
    store = backends.store
    if len(given) >= KEY_LENGTH:
        if not await store.revoke_key(given):
            raise Refused("no live key matches that key")
        print("revoked", file=sys.stderr)
        return 0
    keys = await store.list_keys()
    if given.isdigit() and len(given) < PREFIX_LENGTH:
        matches = [key for key in keys if key.key_id == int(given)]
    elif len(given) >= PREFIX_LENGTH:
        # Only the first PREFIX_LENGTH characters are stored (and shown).
        matches = [key for key in keys if key.prefix == given[:PREFIX_LENGTH]]
    else:
        raise Refused(f"give the key's id, its first {PREFIX_LENGTH} characters as "
                           "`keys list` shows them, or the whole key")
    live = [key for key in matches if key.revoked_at is None]
    if not live:
        raise Refused(f"{describe_key(matches[0])} is already revoked" if matches
                           else f"no key has the id or prefix {given!r}; see `keys list`")
    if len(live) > 1:
        raise Refused(f"{given!r} matches {len(live)} live keys: "
                           + "; ".join(describe_key(key) for key in live)
                           + ". Give the id or the whole key")
    await store.revoke_key_by_id(live[0].key_id)
    print(f"revoked {describe_key(live[0])}", file=sys.stderr)
    return 0


def add_keys_command(commands: Commands) -> None:
    keys = commands.add_parser("keys", help="manage auth keys")
    keys.set_defaults(run=run_keys)
    actions = keys.add_subparsers(dest="keys_command", required=True)
    create = actions.add_parser("create", help="make a key for DOMAIN and print it")
    create.add_argument("domain", help=DOMAIN_HELP)
    create.add_argument("--note", default="", help="a reminder of who has the key")
    actions.add_parser("list", help="list keys: id, first characters, domain, note, created, "
                                    "last used, state (never the keys themselves)")
    actions.add_parser("revoke", help="revoke a key").add_argument(
        "key", help=f"the id or the first {PREFIX_LENGTH} characters `keys list` shows, "
                    "or the whole key")


def run_keys(args: argparse.Namespace, settings: Settings) -> int:
    action = {
        "create": lambda b: keys_create(b, args.domain, args.note),
        "list": keys_list,
        "revoke": lambda b: keys_revoke(b, args.key),
    }[args.keys_command]
    return asyncio.run(with_backends(settings, action))
