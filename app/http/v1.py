"""The v1 API's routes, compatible with the original Autocompeter service: the public
search and click beacon, and the keyed writes and /v1/stats.

The keyed reads (documents.py) and private groups (groups.py) are blueprints of their
own under /v1; what every route reads its input with is requests.py."""

import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import orjson
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, text

from app.http.access import allowed_groups, check_token
from app.http.auth import authenticated_domain
from app.http.bodies import receive_limited_body
from app.http.errors import ApiError
from app.http.metrics import ENGINE_SEARCH_SECONDS, TALLY
from app.http.parsed_searches import AskedSearch
from app.http.ratelimit import client_address
from app.http.requests import query_args, read_body, validated
from app.http.response_cache import Answer
from app.http.responses import SearchResponse
from app.http.services import Services, services
from app.http.suggestions import with_suggestions
from app.shared.analytics import recent_clicks, recent_top_queries, recent_top_searches
from app.shared.models import ClickIn, DocumentIn, SearchParams, UrlParam, validate_documents
from core.engine import SearchQuery
from core.store import StoreUnavailable
from core.text import query_words

v1 = Blueprint("v1", url_prefix="/v1")

PUBLIC = {"Access-Control-Allow-Origin": "*"}
CLICK_BODY_BYTES = 64 * 1024
"""A click is three short fields; a public route reads no more than the longest valid
ones take (about 30 KiB form-encoded, every character four UTF-8 bytes)."""


async def known_domain(used: Services, domain: str) -> None:
    if domain in used.known_domains:
        return
    try:
        exists = await used.backends.store.domain_exists(domain)
    except StoreUnavailable:
        # Searching needs only the engine, which filters by domain anyway: with
        # the database away, an unknown domain just finds nothing.
        return
    if not exists:
        raise ApiError(400, f"d: unknown domain {domain!r}")
    used.known_domains.add(domain)


Handler = Callable[[Request], Awaitable[HTTPResponse]]


def public_errors(handler: Handler) -> Handler:
    """The widget calls from the site's origin: without the CORS header on an error
    the browser hides the reason ("d: unknown domain", "retry in 1 s")."""

    @functools.wraps(handler)
    async def answer(request: Request) -> HTTPResponse:
        # A try, not a context manager: entering and leaving one cost two
        # microseconds, a twentieth of a cached search.
        try:
            return await handler(request)
        except ApiError as error:
            error.headers = {**error.headers, **PUBLIC}
            raise

    return answer


@v1.route("", methods=["GET", "HEAD"])
@public_errors
async def search(request: Request) -> HTTPResponse:
    used = services(request)
    await used.rate_limits.check_search(request)
    asked = used.parsed_searches.get(request.query_string)
    if asked is None:
        asked = search_query(request)
        used.parsed_searches.put(request.query_string, asked)
    query = asked.query
    await known_domain(used, query.domain)
    answer = await answer_for(request, used, query, asked.token)
    if request.method == "GET":  # a HEAD is a probe, not a visitor's search
        # The visitor (address and user agent) joins this search to its burst: the
        # top queries count intents (app/http/intents.py).
        used.fetches.record(query.domain, " ".join(query.words), answer.found,
                            (client_address(request), request.headers.get("user-agent", "")))
    body = answer.body
    if asked.suggestions:  # spliced in after the cache: `s` does not multiply its entries
        body = with_suggestions(body, used.suggestions.suggest(
            used.backends, used.synonyms, query.domain,
            used.backends.engine.generation(query.domain), " ".join(query.words),
            asked.suggestions))
    return SearchResponse(body, headers=PUBLIC, content_type="application/json")


async def answer_for(request: Request, used: Services, query: SearchQuery, token: str
                     ) -> Answer:
    """The answer to ``query`` with the groups ``token`` opens: cached, or from the engine,
    which the client's address pays for with its engine time (app/http/ratelimit.py)."""
    engine, cache = used.backends.engine, used.cache
    generation = engine.generation(query.domain)
    synonyms = used.synonyms.cached(query.domain, generation)
    if synonyms is None:  # the domain's first search of this generation, on this worker
        synonyms = await used.synonyms.get(used.backends.store, query.domain, generation)
    if synonyms:
        query = replace(query, synonyms=synonyms.for_query(query.words))
    if query.groups:  # private groups matter only to searches that ask for groups
        access = await used.access.get(used.backends.store, query.domain, generation)
        query = replace(query, groups=allowed_groups(query.groups, access, token,
                                                     query.domain))
    answer = cache.get(query, generation)
    if answer is None:
        payer = await used.rate_limits.check_search_time(request)
        started = time.perf_counter()
        try:
            result = await engine.search(query)
        finally:  # a search that fails took the engine's time all the same
            took = time.perf_counter() - started
            await used.rate_limits.charge_search_time(payer, took)
        TALLY.observe(ENGINE_SEARCH_SECONDS, took)
        body = {"terms": result.terms, "results": [[h.url, h.title] for h in result.hits]}
        answer = Answer(orjson.dumps(body), found=bool(result.hits))
        cache.put(query, generation, answer)
    return answer


def search_query(request: Request) -> AskedSearch:
    """The search a request asks for and its token, or a 400 naming what is wrong."""
    params = validated(SearchParams, query_args(request))
    check_token(params.t)
    return AskedSearch(SearchQuery(params.d, searched_words(params.q), params.n, params.g),
                       params.t, params.s)


def searched_words(q: str) -> tuple[str, ...]:
    """The words ``q`` searches for, or a 400 when it has none."""
    searched = query_words(q)
    if not searched:
        raise ApiError(400, "q: has no letters or digits to search for")
    return searched


@v1.post("/click", stream=True)
@public_errors
async def click(request: Request) -> HTTPResponse:
    """The widget's beacon: a visitor chose ``url`` from the results of ``q``."""
    used = services(request)
    await used.rate_limits.check_click(request)
    await receive_limited_body(request, CLICK_BODY_BYTES)
    params = validated(ClickIn, read_body(request))
    check_token(params.t)
    query = SearchQuery(params.d, searched_words(params.q), params.n, params.g)
    await known_domain(used, params.d)
    # Only a URL this service gives for the search counts: a stranger cannot credit
    # a title to a query that does not find it. The same search as the widget's, so
    # usually a cached answer, on whichever worker takes the click.
    if await gives_url(request, used, query, params.t, params.url):
        # Counted as the query analytics count the search: its folded words.
        used.clicks.record(client_address(request), params.d, " ".join(query.words),
                           params.url)
    return HTTPResponse(status=204, headers=PUBLIC)


async def gives_url(request: Request, used: Services, query: SearchQuery, token: str,
                    url: str) -> bool:
    """Whether the answer to the search has ``url`` among its results."""
    answer = await answer_for(request, used, query, token)
    results = orjson.loads(answer.body)["results"]
    return any(found == url for found, _title in results)


@v1.route("/click", methods=["OPTIONS"])
async def click_preflight(request: Request) -> HTTPResponse:
    """A click sent as application/json is preflighted; the widget's text/plain is not."""
    return HTTPResponse(status=204, headers={
        **PUBLIC, "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "86400"})


@v1.route("/ping", methods=["GET", "HEAD"])
async def ping(request: Request) -> HTTPResponse:
    return text("pong", headers=PUBLIC)


@v1.post("", stream=True)
async def add(request: Request) -> HTTPResponse:
    domain = await authenticated_domain(request, takes_body=True)
    document = validated(DocumentIn, read_body(request)).to_document()
    await services(request).backends.store.upsert(domain, [document])
    return json({"message": "OK"}, 201)


@v1.delete("", stream=True)
async def delete(request: Request) -> HTTPResponse:
    domain = await authenticated_domain(request)
    url = request.args.get("url", "").strip()
    if not url:
        raise ApiError(400, "url: give the URL of the document to delete")
    # The rules it was stored by: no NUL reaches the database.
    url = validated(UrlParam, {"url": url}).url
    if not await services(request).backends.store.delete(domain, url):
        raise ApiError(404, "url: no document with that URL in this domain")
    return json({"message": "OK"})


@v1.route("/bulk", methods=["POST", "PUT"], stream=True)
async def bulk(request: Request) -> HTTPResponse:
    domain = await authenticated_domain(request, takes_body=True)
    entries = read_body(request).get("documents")
    if not isinstance(entries, list):
        raise ApiError(400, 'documents: send {"documents": [{"url": ..., "title": ...}, ...]}')
    limit = services(request).settings.max_bulk_documents
    if len(entries) > limit:
        raise ApiError(413, f"documents: at most {limit} per request, got {len(entries)}")
    documents, invalid = validate_documents(entries)
    rejected = [{"index": index, "error": error} for index, error in invalid]
    if rejected and not documents:
        raise ApiError(400, "documents: none of them is valid", rejected=rejected)
    await services(request).backends.store.upsert(domain, documents)
    return json({"message": "OK", "count": len(documents), "rejected": rejected}, 201)


@v1.route("/flush", methods=["DELETE", "POST"], stream=True)
async def flush(request: Request) -> HTTPResponse:
    domain = await authenticated_domain(request)
    removed = await services(request).backends.store.flush(domain)
    return json({"message": "OK", "count": removed})


@v1.get("/stats", stream=True)
async def stats(request: Request) -> HTTPResponse:
    domain = await authenticated_domain(request)
    store = services(request).backends.store
    await services(request).fetches.flush()
    await services(request).clicks.flush()
    top = await recent_top_queries(store, domain)
    clicks = await recent_clicks(store, domain, top)
    searches = await recent_top_searches(store, domain)
    body = {
        "fetches": await store.fetches(domain), "documents": await store.count(domain),
        # The last 30 UTC days, today included; queries as folded words ("cafe" for "Café"),
        # counted as intents: one visitor's burst of searches once, as the query it ended on.
        "top_queries": [{"q": q, "count": n, "clicks": clicks.by_query.get(q, 0),
                         "click_through": clicks.click_through(q, n)}
                        for q, n in top.queries],
        "top_misses": [{"q": q, "count": n} for q, n in top.misses],
        # Every search request, each prefix typed: what top_queries counted before intents.
        "searches": {"top_queries": [{"q": q, "count": n} for q, n in searches.queries],
                     "top_misses": [{"q": q, "count": n} for q, n in searches.misses]},
        "top_clicks": [{"url": c.url, "title": c.title, "clicks": c.clicks}
                       for c in clicks.top],
    }
    return json(body)
