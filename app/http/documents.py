"""The site owner's read API (keyed): a domain's documents page by page, one
document by URL, and searches per day; what the dashboard (/dashboard) shows."""

import base64
import binascii
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from app.http.auth import authenticated_domain
from app.http.errors import ApiError
from app.http.requests import validated
from app.http.services import services
from app.shared.analytics import QUERY_RETENTION_DAYS
from app.shared.models import StoredUrl
from core.store import Document
from core.text import query_words

documents_api = Blueprint("documents_api", url_prefix="/v1")

MAX_PAGE = 500
MAX_ID = 2**63 - 1
"""The largest id a document can have: 64-bit in both stores (SQLite's INTEGER,
PostgreSQL's BIGSERIAL), whose drivers fail on a larger one."""
Model = TypeVar("Model", bound=BaseModel)


class PageParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    cursor: str = ""
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    q: str = Field("", max_length=200)
    url: StoredUrl | None = None


class DailyParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    days: int = Field(QUERY_RETENTION_DAYS, ge=1, le=QUERY_RETENTION_DAYS)


def encode_cursor(after: int | None) -> str | None:
    """Opaque to clients, so the order's key can change without breaking them."""
    return None if after is None else base64.urlsafe_b64encode(str(after).encode()).decode()


def decode_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        after = int(base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii"))
    except (binascii.Error, UnicodeError, ValueError):
        raise ApiError(400, "cursor: not a cursor this API gave; leave it out to start") from None
    if not 0 <= after <= MAX_ID:  # a forged one: no page starts there
        raise ApiError(400, "cursor: not a cursor this API gave; leave it out to start")
    return after


def as_json(document: Document) -> dict[str, object]:
    # No `updated`: the documents tables keep no time of change (see README).
    return {"url": document.url, "title": document.title, "group": document.group,
            "popularity": document.popularity}


def parse(model: type[Model], request: Request) -> Model:
    # Blank values kept: `?url=` is a mistake to name, not the same as no url.
    args = request.get_args(keep_blank_values=True)
    return validated(model, {name: values[0] for name, values in args.items()}, whole="query")


@documents_api.get("/documents")
async def list_documents(request: Request) -> HTTPResponse:
    domain = await authenticated_domain(request)
    params = parse(PageParams, request)
    store = services(request).backends.store
    if params.url is not None:
        page = await store.document_page(domain, limit=1, url=params.url)
        if not page.documents:
            raise ApiError(404, "url: no document with that URL in this domain")
        return json(as_json(page.documents[0]))
    page = await store.document_page(domain, decode_cursor(params.cursor), params.limit,
                                     query_words(params.q))
    return json({"documents": [as_json(document) for document in page.documents],
                 "cursor": encode_cursor(page.after)})


@documents_api.get("/stats/daily")
async def daily_searches(request: Request) -> HTTPResponse:
    domain = await authenticated_domain(request)
    params = parse(DailyParams, request)
    used = services(request)
    await used.fetches.flush()
    today = datetime.now(UTC).date()
    since = today - timedelta(days=params.days - 1)
    counts = await used.backends.store.daily_searches(domain, since)
    # Every day of the span, oldest first, zero included: a chart needs no gaps.
    days = [since + timedelta(days=n) for n in range(params.days)]
    # The key's domain too: a dashboard that has only the key learns it here.
    return json({"domain": domain,
                 "days": [{"day": day.isoformat(), "searches": counts.get(day, 0)}
                          for day in days]})
