"""Builds the Sanic app: one per worker process, wired to the chosen backends."""

import logging
from functools import cache, partial
from html import escape
from pathlib import Path

import orjson
from sanic import Request, Sanic
from sanic.response import HTTPResponse, html

from app.http.access_log import (
    AppRequest,
    add_request_id,
    configure_logging,
    log_request,
    start_timer,
)
from app.http.bodies import finish_unread_body, refuse_unexpected_body
from app.http.documents import documents_api
from app.http.errors import NO_BODY_BYTES, ApiError, JsonErrorHandler
from app.http.groups import groups_api
from app.http.ops import observe_request, setup_ops
from app.http.rules_api import rules_api
from app.http.security import add_security_headers
from app.http.services import Services, services
from app.http.static_files import page_with_hashed_widget, static_path, static_response
from app.http.v1 import v1
from app.pages import dashboard
from app.pages.demo import DEMO_DOMAIN
from app.pages.docs import docs
from app.shared.settings import Settings
from core.store import StoreUnavailable

log = logging.getLogger("autocompeter")


def create_app(settings: Settings) -> Sanic:
    app = Sanic("autocompeter", dumps=orjson.dumps, error_handler=JsonErrorHandler(),
                request_class=AppRequest)
    configure_logging(json_logs=settings.log_format == "json")
    # Routes that take a body read it themselves, after the key (app/http/bodies.py); what
    # Sanic reads by itself stays small. Not below the header limit: Sanic caps the
    # request head at REQUEST_MAX_SIZE too.
    app.config.REQUEST_MAX_SIZE = max(NO_BODY_BYTES, app.config.REQUEST_MAX_HEADER_SIZE)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    # Sanic reads X-Forwarded-For (and -Proto, -Host) only when told how many
    # proxies to trust; request.remote_addr is then the visitor's address.
    app.config.PROXIES_COUNT = settings.trusted_proxies
    app.blueprint(v1)
    app.blueprint(docs)
    app.blueprint(documents_api)
    app.blueprint(groups_api)
    app.blueprint(rules_api)
    app.blueprint(dashboard.blueprint(partial(page_with_hashed_widget, settings.static_dir)))
    setup_ops(app)  # /healthz, /readyz, /metrics
    app.on_request(before_route)
    app.on_response(after_route if settings.access_log else after_route_unlogged)

    @app.route("/static/<name:path>", methods=["GET", "HEAD"], name="static")
    async def static_file(request: Request, name: str) -> HTTPResponse:
        found = static_path(settings.static_dir, name)
        if found is None:
            raise ApiError(404, f"no static file named {name!r}")
        return static_response(request.headers, *found)

    @app.route("/", methods=["GET", "HEAD"])
    async def front_page(request: Request) -> HTTPResponse:
        """The demo when there is one; otherwise how to start, not a search box that 400s."""
        if await has_demo(services(request)):
            return html(page_with_hashed_widget(settings.static_dir, "demo.html"))
        origin = escape(f"{request.scheme}://{request.host}")
        return html(start_page(settings.static_dir).replace("{origin}", origin))

    @app.before_server_start
    async def start_services(app: Sanic) -> None:
        app.ctx.services = await Services.start(settings)

    @app.after_server_stop
    async def stop_services(app: Sanic) -> None:
        await app.ctx.services.stop()

    return app


# One middleware each way, calling the steps in turn: Sanic's cost per middleware
# is a good part of what a cached search costs.
def before_route(request: Request) -> None:
    start_timer(request)
    refuse_unexpected_body(request)


def after_route_unlogged(request: Request, response: HTTPResponse) -> None:
    add_request_id(request, response)
    finish_unread_body(request, response)
    add_security_headers(request, response)
    observe_request(request, response)


def after_route(request: Request, response: HTTPResponse) -> None:
    log_request(request, response)
    after_route_unlogged(request, response)


async def has_demo(running: Services) -> bool:
    if DEMO_DOMAIN in running.known_domains:
        return True
    try:
        found = await running.backends.store.domain_exists(DEMO_DOMAIN)
    except StoreUnavailable:
        return False
    if found:
        running.known_domains.add(DEMO_DOMAIN)
    return found


@cache
def start_page(static_dir: Path) -> str:
    return (static_dir / "start.html").read_text(encoding="utf-8")
