"""The `autocompeter` command: serve, migrate, keys, load."""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from pathlib import Path

import orjson
from pydantic import ValidationError
from tqdm import tqdm

from app.backends import Backends, UnsupportedSetup, open_backends
from app.errors import describe
from app.models import DocumentIn
from app.settings import Settings, describe_settings_error, load_settings
from store.base import Document

DEMO_DOMAIN = "demo"
DEMO_KEY_NOTE = "made by serve --demo"
LOAD_BATCH = 1000


class CommandError(Exception):
    """Ends the command with one line on stderr and exit status 2."""


async def with_backends(settings: Settings, work: Callable[[Backends], Awaitable[int]]) -> int:
    backends = open_backends(settings)
    try:
        await backends.store.migrate()
        return await work(backends)
    finally:
        await backends.close()


async def migrated(backends: Backends) -> int:
    """Nothing to do: `with_backends` has migrated the store already."""
    return 0


# -- serve -------------------------------------------------------------------


async def seed_demo(backends: Backends, settings: Settings) -> int:
    from app.demo import documents  # parsing the standard library is only for the demo

    store = backends.store
    if await store.count(DEMO_DOMAIN) == 0:
        corpus = documents()
        print(f"Seeding the {DEMO_DOMAIN!r} domain with {len(corpus)} titles from the "
              "Python standard library...", file=sys.stderr)
        await store.upsert(DEMO_DOMAIN, corpus)
    for old in await store.list_keys():
        if old.domain == DEMO_DOMAIN and old.note == DEMO_KEY_NOTE and not old.revoked_at:
            await store.revoke_key_by_id(old.key_id)
    key = await store.create_key(DEMO_DOMAIN, note=DEMO_KEY_NOTE)
    base = f"http://{settings.host}:{settings.port}"
    print(DEMO_BANNER.format(base=base, key=key, domain=DEMO_DOMAIN), file=sys.stderr)
    return 0


DEMO_BANNER = """
Autocompeter is serving the demo domain {domain!r} at {base}/
Its auth key for this run: {key}

  curl '{base}/v1?d={domain}&q=json+du'
  curl -H 'Auth-Key: {key}' -d url=https://example.com/x -d title='My first title' {base}/v1
  curl -H 'Auth-Key: {key}' '{base}/v1/stats'
"""


def serve(settings: Settings, demo: bool) -> int:
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    from app.server import create_app

    asyncio.run(with_backends(settings, partial(seed_demo, settings=settings)
                              if demo else migrated))
    loader = AppLoader(factory=partial(create_app, settings))
    app = loader.load()
    app.prepare(host=settings.host, port=settings.port, workers=settings.workers,
                motd=False, access_log=settings.access_log)
    Sanic.serve(primary=app, app_loader=loader)
    return 0


# -- keys ----------------------------------------------------------------------


async def keys_create(backends: Backends, domain: str, note: str) -> int:
    print(await backends.store.create_key(domain, note=note))
    return 0


async def keys_list(backends: Backends) -> int:
    for key in await backends.store.list_keys():
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "live"
        print(f"{key.domain}\t{key.prefix}…\t{key.created_at:%Y-%m-%d %H:%M}\t{state}\t{key.note}")
    return 0


async def keys_revoke(backends: Backends, key: str) -> int:
    if not await backends.store.revoke_key(key):
        raise CommandError("no live key matches that key")
    print("revoked", file=sys.stderr)
    return 0


# -- load ----------------------------------------------------------------------


def read_entries(path: Path) -> list[object]:
    try:
        payload = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        raise CommandError(f"cannot read {path}: {error}") from None
    entries = payload.get("documents", payload.get("items")) if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        raise CommandError(f'{path}: expected {{"documents": [...]}} or {{"items": [...]}}')
    return entries


def validate(entries: Iterable[object]) -> tuple[list[Document], list[str]]:
    documents, rejected = [], []
    for index, entry in enumerate(entries):
        try:
            documents.append(DocumentIn.model_validate(entry).to_document())
        except ValidationError as error:
            rejected.append(f"#{index}: {describe(error, whole='document')}")
    return documents, rejected


async def load(backends: Backends, path: Path, domain: str) -> int:
    documents, rejected = validate(read_entries(path))
    with tqdm(total=len(documents), unit="doc", desc=f"loading {domain}") as progress:
        for start in range(0, len(documents), LOAD_BATCH):
            batch = documents[start : start + LOAD_BATCH]
            await backends.store.upsert(domain, batch)
            progress.update(len(batch))
    for line in rejected[:20]:
        print(f"rejected {line}", file=sys.stderr)
    print(f"loaded {len(documents)}, rejected {len(rejected)}")
    return 0


# -- wiring --------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="autocompeter", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", help="run the HTTP service")
    serve_cmd.add_argument("--host", help="address to listen on (HOST)")
    serve_cmd.add_argument("--port", type=int, help="port to listen on (PORT)")
    serve_cmd.add_argument("--workers", type=int, help="worker processes (WORKERS)")
    serve_cmd.add_argument("--demo", action="store_true",
                           help="seed the demo domain and print a fresh key for it")

    commands.add_parser("migrate", help="create or update the database tables")

    keys = commands.add_parser("keys", help="manage auth keys").add_subparsers(
        dest="keys_command", required=True)
    create = keys.add_parser("create", help="make a key for DOMAIN and print it")
    create.add_argument("domain")
    create.add_argument("--note", default="", help="a reminder of who has the key")
    keys.add_parser("list", help="list keys (never the keys themselves)")
    keys.add_parser("revoke", help="revoke a key").add_argument("key")

    load_cmd = commands.add_parser("load", help="load titles from a JSON file")
    load_cmd.add_argument("file", type=Path)
    load_cmd.add_argument("--domain", required=True)
    return top


def run(args: argparse.Namespace) -> int:
    overrides = {name: getattr(args, name, None) for name in ("host", "port", "workers")}
    settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    match args.command:
        case "serve":
            return serve(settings, args.demo)
        case "migrate":
            return asyncio.run(with_backends(settings, migrated))
        case "keys":
            action = {
                "create": lambda b: keys_create(b, args.domain, args.note),
                "list": keys_list,
                "revoke": lambda b: keys_revoke(b, args.key),
            }[args.keys_command]
            return asyncio.run(with_backends(settings, action))
        case "load":
            return asyncio.run(with_backends(settings, partial(load, path=args.file,
                                                               domain=args.domain)))
    return 2


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except ValidationError as error:
        message = describe_settings_error(error)
    except (CommandError, UnsupportedSetup) as error:
        message = str(error)
    print(f"autocompeter: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
