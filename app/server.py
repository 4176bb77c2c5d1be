"""Builds the Sanic app: one per worker process, wired to the chosen backends."""

import logging

import orjson
from sanic import Request, Sanic
from sanic.response import HTTPResponse, file

from app.access_log import add_request_id, configure_logging, log_request, start_timer
from app.dashboard import dashboard
from app.docs import docs
from app.documents import documents_api
from app.errors import JsonErrorHandler
from app.ops import setup_ops
from app.routes import v1
from app.security import add_security_headers
from app.services import Services
from app.settings import Settings

log = logging.getLogger("autocompeter")


def create_app(settings: Settings) -> Sanic:
    configure_logging(json_logs=settings.log_format == "json")
    app = Sanic("autocompeter", dumps=orjson.dumps, error_handler=JsonErrorHandler())
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.blueprint(v1)
    app.blueprint(docs)
    app.blueprint(documents_api)
    app.blueprint(dashboard)
    app.on_request(start_timer)
    setup_ops(app)  # /healthz, /readyz, /metrics and the request metrics
    app.on_response(add_security_headers)
    app.on_response(add_request_id)
    if settings.access_log:
        app.on_response(log_request)
    app.static("/static", settings.static_dir, name="static")

    @app.get("/")
    async def demo_page(request: Request) -> HTTPResponse:
        return await file(settings.static_dir / "demo.html")

    @app.before_server_start
    async def start_services(app: Sanic) -> None:
        app.ctx.services = await Services.start(settings)

    @app.after_server_stop
    async def stop_services(app: Sanic) -> None:
        await app.ctx.services.stop()

    return app
