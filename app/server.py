"""Builds the Sanic app: one per worker process, wired to the chosen backends."""

import asyncio
import logging
from functools import cache
from html import escape
from pathlib import Path

import orjson
from sanic import Request, Sanic
from sanic.response import HTTPResponse, file, html

from app.access_log import add_request_id, configure_logging, log_request, start_timer
from app.backends import open_backends, sync_worker
from app.cache import ResponseCache
from app.counters import FetchCounter
from app.demo import DEMO_DOMAIN
from app.docs import docs
from app.errors import JsonErrorHandler
from app.ops import setup_ops
from app.ratelimit import RateLimits
from app.routes import v1
from app.security import add_security_headers
from app.settings import Settings
from store.base import StoreUnavailable

log = logging.getLogger("autocompeter")


def create_app(settings: Settings) -> Sanic:
    configure_logging(json_logs=settings.log_format == "json")
    app = Sanic("autocompeter", dumps=orjson.dumps, error_handler=JsonErrorHandler())
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.config.FALLBACK_ERROR_FORMAT = "json"
    # Sanic reads X-Forwarded-For (and -Proto, -Host) only when told how many
    # proxies to trust; request.remote_addr is then the visitor's address.
    app.config.PROXIES_COUNT = settings.trusted_proxies
    app.ctx.settings = settings
    app.ctx.cache = ResponseCache(settings.response_cache_size)
    app.ctx.rate_limits = RateLimits(settings.search_rate_limit, settings.write_rate_limit)
    app.blueprint(v1)
    app.blueprint(docs)
    app.on_request(start_timer)
    setup_ops(app)  # /healthz, /readyz, /metrics and the request metrics
    app.on_response(add_security_headers)
    app.on_response(add_request_id)
    if settings.access_log:
        app.on_response(log_request)
    app.static("/static", settings.static_dir, name="static")

    @app.get("/")
    async def front_page(request: Request) -> HTTPResponse:
        """The demo when there is one; otherwise how to start, not a search box that 400s."""
        if await has_demo(request.app):
            return await file(settings.static_dir / "demo.html")
        origin = escape(f"{request.scheme}://{request.host}")
        return html(start_page(settings.static_dir).replace("{origin}", origin))

    @app.before_server_start
    async def open_connections(app: Sanic) -> None:
        app.ctx.backends = open_backends(settings)
        await app.ctx.backends.store.migrate()
        app.ctx.known_domains = set()
        app.ctx.fetches = FetchCounter(app.ctx.backends.store)
        app.ctx.flusher = asyncio.create_task(
            app.ctx.fetches.flush_every(settings.stats_flush_seconds)
        )
        # Scaled-out setup: each worker process feeds the engine from the outbox
        # (SKIP LOCKED shares the rows); INDEXER_IN_SERVE=false leaves it to
        # separate `autocompeter indexer` processes.
        app.ctx.sync = sync_worker(app.ctx.backends, settings)
        if app.ctx.sync is not None and settings.indexer_in_serve:
            app.ctx.sync.start()

    @app.after_server_stop
    async def close_connections(app: Sanic) -> None:
        app.ctx.flusher.cancel()
        if app.ctx.sync is not None:
            await app.ctx.sync.stop()  # a no-op if it was never started
        try:
            await app.ctx.fetches.flush()
        finally:
            await app.ctx.backends.close()

    return app


async def has_demo(app: Sanic) -> bool:
    if DEMO_DOMAIN in app.ctx.known_domains:
        return True
    try:
        found = await app.ctx.backends.store.domain_exists(DEMO_DOMAIN)
    except StoreUnavailable:
        return False
    if found:
        app.ctx.known_domains.add(DEMO_DOMAIN)
    return found


@cache
def start_page(static_dir: Path) -> str:
    return (static_dir / "start.html").read_text(encoding="utf-8")
