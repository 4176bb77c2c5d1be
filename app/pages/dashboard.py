"""The site owner's dashboard page; its script and styles are static files and the
data comes from the keyed API (app/http/documents.py, /v1/stats).

A page knows nothing of the HTTP service's workings: `app/http/server.py` mounts the
blueprint and hands it the page as the service sends it (the widget by its hashed
name, cached for a year: app/http/static_files.py).
"""

from collections.abc import Callable

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html


def blueprint(page: Callable[[str], str]) -> Blueprint:
    """/dashboard, whose HTML ``page("dashboard.html")`` gives."""
    dashboard = Blueprint("dashboard")

    @dashboard.route("/dashboard", methods=["GET", "HEAD"])
    async def dashboard_page(request: Request) -> HTTPResponse:
        return html(page("dashboard.html"))

    return dashboard
