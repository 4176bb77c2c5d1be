"""Builds the Sanic app: one per worker process, wired to the chosen backends."""

import asyncio
import logging

import orjson
from sanic import Request, Sanic
from sanic.response import HTTPResponse, file

from app.backends import open_backends
from app.counters import FetchCounter
from app.errors import JsonErrorHandler
from app.routes import v1
from app.settings import Settings

log = logging.getLogger("autocompeter")


def create_app(settings: Settings) -> Sanic:
    app = Sanic("autocompeter", dumps=orjson.dumps, error_handler=JsonErrorHandler())
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.settings = settings
    app.blueprint(v1)
    app.static("/static", settings.static_dir, name="static")

    @app.get("/")
    async def demo_page(request: Request) -> HTTPResponse:
        return await file(settings.static_dir / "demo.html")

    @app.before_server_start
    async def open_connections(app: Sanic) -> None:
        app.ctx.backends = open_backends(settings)
        await app.ctx.backends.store.migrate()
        app.ctx.known_domains = set()
        app.ctx.fetches = FetchCounter(app.ctx.backends.store)
        app.ctx.flusher = asyncio.create_task(
            app.ctx.fetches.flush_every(settings.stats_flush_seconds)
        )

    @app.after_server_stop
    async def close_connections(app: Sanic) -> None:
        app.ctx.flusher.cancel()
        try:
            await app.ctx.fetches.flush()
        finally:
            await app.ctx.backends.close()

    return app
