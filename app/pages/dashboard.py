"""The site owner's dashboard page; its script and styles are static files and the
data comes from the keyed API (app/http/documents.py, /v1/stats)."""

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html

from app.http.services import services
from app.http.static_files import page_with_hashed_widget

dashboard = Blueprint("dashboard")


@dashboard.route("/dashboard", methods=["GET", "HEAD"])
async def dashboard_page(request: Request) -> HTTPResponse:
    # Loads the widget by its hashed name, cached for a year (app/http/static_files.py).
    return html(page_with_hashed_widget(services(request).settings.static_dir, "dashboard.html"))
