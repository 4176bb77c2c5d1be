"""The site owner's dashboard page; its script and styles are static files and the
data comes from the keyed API (app/documents.py, /v1/stats)."""

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file

from app.services import services

dashboard = Blueprint("dashboard")


@dashboard.route("/dashboard", methods=["GET", "HEAD"])
async def dashboard_page(request: Request) -> HTTPResponse:
    return await file(services(request).settings.static_dir / "dashboard.html")
