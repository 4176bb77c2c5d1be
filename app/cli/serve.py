"""`autocompeter serve`: the HTTP service, after migrating and saying where it listens.

The address is bound once before anything else, so a busy port or another
machine's address is one line and exit status 2 rather than a traceback from a
worker. `--demo` seeds the demo domain and prints a fresh key for it; without it
a fresh install is told its first steps. Sanic is imported only here, and only
when serving, so the other commands start without it.
"""

import argparse
import asyncio
import errno
import logging
import os
import shutil
import sys
import tempfile
from functools import partial

from app.cli.arguments import Commands
from app.cli.migrate import migrated_for_serve
from app.pages.demo import DEMO_DOMAIN
from app.shared.backends import Backends, with_backends
from app.shared.errors import Refused
from app.shared.settings import Settings

DEMO_KEY_NOTE = "made by serve --demo"


def base_url(settings: Settings) -> str:
    """Where a browser on this machine reaches the service."""
    host = settings.host
    if host in ("0.0.0.0", "::", ""):  # every address: this machine's own works
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def tell(settings: Settings, text: str) -> None:
    """What serve says as it starts, to people; one JSON log line with LOG_FORMAT=json,
    so a log collector still gets nothing but JSON."""
    if settings.log_format == "json":
        from app.shared.log_format import JsonFormatter

        record = logging.makeLogRecord({"name": "autocompeter", "levelname": "INFO",
                                        "levelno": logging.INFO, "msg": text.strip()})
        text = JsonFormatter().format(record)
    print(text, file=sys.stderr)


async def seed_demo(backends: Backends, settings: Settings) -> int:
    """Fill the demo domain once, and print a new key for it (the last run's is revoked)."""
    from app.pages.demo import documents  # parsing the standard library is only for the demo

    store = backends.store
    if await store.count(DEMO_DOMAIN) == 0:
        corpus = documents()
        tell(settings, f"Seeding the {DEMO_DOMAIN!r} domain with {len(corpus)} titles from "
                       "the Python standard library...")
        await store.upsert(DEMO_DOMAIN, corpus)
    for old in await store.list_keys():
        if old.domain == DEMO_DOMAIN and old.note == DEMO_KEY_NOTE and not old.revoked_at:
            await store.revoke_key_by_id(old.key_id)
    key = await store.create_key(DEMO_DOMAIN, note=DEMO_KEY_NOTE)
    tell(settings, DEMO_BANNER.format(base=base_url(settings), key=key, domain=DEMO_DOMAIN))
    return 0


async def announce(backends: Backends, settings: Settings) -> int:
    """Say where the service listens and, on a fresh install, what to do first."""
    base = base_url(settings)
    message = (f"\nAutocompeter is serving at {base}/ (API docs at {base}/docs)\n"
               f"Dashboard for a domain's titles and stats (sign in with its key): "
               f"{base}/dashboard\n")
    if not await backends.store.list_keys():
        message += FIRST_STEPS.format(base=base)
    tell(settings, message)
    return 0


DEMO_BANNER = """
Autocompeter is serving the demo domain {domain!r} at {base}/
Its auth key for this run: {key}
Dashboard (sign in with that key): {base}/dashboard

  curl '{base}/v1?d={domain}&q=json+du'
  curl -H 'Auth-Key: {key}' -d url=https://example.com/x -d title='My first title' {base}/v1
  curl -H 'Auth-Key: {key}' '{base}/v1/stats'
"""

FIRST_STEPS = """No domains yet. Make a key for your site, then send it titles:

  KEY=$(autocompeter keys create example.com)
  curl -H "Auth-Key: $KEY" -d url=https://example.com/about -d title='About us' {base}/v1
  autocompeter load titles.json --domain example.com   # JSON, JSON Lines or CSV

`autocompeter serve --demo` serves a demo domain to try first.
"""


def listen_address(settings: Settings) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"{host}:{settings.port}"


def cannot_listen(settings: Settings, error: OSError) -> Refused:
    if error.errno == errno.EADDRINUSE:
        reason = ("the port is in use (another program listens there; choose another "
                  "with --port or PORT)")
    elif error.errno == errno.EACCES:
        reason = "permission denied (ports below 1024 need privileges)"
    else:
        reason = error.strerror or str(error)
    return Refused(f"cannot listen on {listen_address(settings)}: {reason}")


def check_address(settings: Settings) -> None:
    """Bind the address as Sanic will, and let go: a busy port or an address of another
    machine is one line and exit status 2, before anything says "serving at"."""
    from sanic.server.socket import bind_socket

    try:
        bind_socket(settings.host, settings.port).close()
    except OSError as error:
        raise cannot_listen(settings, error) from None


def serve(settings: Settings, demo: bool) -> int:
    """Run the service until it is stopped: 0, or 1 when a worker kept dying and
    supervision gave up."""
    check_address(settings)
    # Every worker process writes its metrics to files in this directory and
    # /metrics adds them up (app/http/metrics.py). It must be set before
    # prometheus-client is first imported, and be fresh: files left by an
    # earlier run would be counted again.
    metrics_dir = tempfile.mkdtemp(prefix="autocompeter-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        from sanic import Sanic
        from sanic.worker.loader import AppLoader

        from app.http.server import create_app
        from app.http.supervision import Supervision

        asyncio.run(with_backends(settings, migrated_for_serve))
        greet = seed_demo if demo else announce
        asyncio.run(with_backends(settings, partial(greet, settings=settings)))
        loader = AppLoader(factory=partial(create_app, settings))
        app = loader.load()
        app.prepare(host=settings.host, port=settings.port, workers=settings.workers,
                    motd=False, access_log=False)  # app.http.access_log writes our own lines
        supervision = Supervision(app)
        try:
            Sanic.serve(primary=app, app_loader=loader)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise cannot_listen(settings, error) from None  # taken since check_address
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 1 if supervision.gave_up else 0


def add_serve_command(commands: Commands) -> None:
    command = commands.add_parser("serve", help="run the HTTP service")
    command.add_argument("--host", help="address to listen on (HOST)")
    command.add_argument("--port", type=int, help="port to listen on (PORT)")
    command.add_argument("--workers", type=int, help="worker processes (WORKERS)")
    command.add_argument("--demo", action="store_true",
                         help="seed the demo domain and print a fresh key for it")
    command.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    return serve(settings, args.demo)
