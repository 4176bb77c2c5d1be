"""Operations endpoints: liveness, readiness, Prometheus metrics.

- `GET /healthz`: the process is up and its event loop answers. Touches
  nothing else, so an orchestrator never restarts a healthy worker because the
  database is slow.
- `GET /readyz`: the store and the search engine both answer, each within
  READY_TIMEOUT_SECONDS; 503 otherwise, naming the part at fault, so a load
  balancer stops sending traffic while a dependency is away.
- `GET /metrics`: Prometheus text. Per-request counters and histograms come
  from the middleware below; documents and the outbox are read from the
  store at scrape time.

None of them carries the public CORS header: they are for operators, not for
pages on other sites, and /metrics is best kept behind the proxy.
"""

import asyncio
import functools
import logging
import os
import time
from collections.abc import Awaitable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse, json, raw

from app.http.metrics import TALLY
from app.http.services import services

log = logging.getLogger("autocompeter")

ops = Blueprint("ops")

READY_TIMEOUT_SECONDS = 1.0
# Clients choose the method; anything else is one "other" series, not one each.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})


def setup_ops(app: Sanic) -> None:
    """Register the routes; `observe_request` is called for every route by
    app.http.server's response middleware (blueprint middleware would not be)."""
    app.blueprint(ops)


# -- request instrumentation (app.http.access_log.start_timer stamps the start) -------------


def endpoint_name(request: Request) -> str:
    """The route's name ("v1.search"), never the raw path: paths and query
    strings are unbounded and would make a new time series each."""
    route = request.route
    if route is None:
        return "unmatched"  # 404, 405: no route was chosen
    return _endpoint(route.name, request.app.name)


@functools.cache  # one per route: a handful
def _endpoint(route_name: str, app_name: str) -> str:
    return route_name.removeprefix(f"{app_name}.")


def observe_request(request: Request, response: HTTPResponse) -> None:
    method = request.method if request.method in METHODS else "other"
    started = getattr(request.ctx, "started", None)  # None if it failed before middleware
    TALLY.request(endpoint_name(request), method, str(response.status),
                  None if started is None else time.perf_counter() - started)


# -- health ---------------------------------------------------------------------------


@ops.route("/healthz", methods=["GET", "HEAD"])
async def healthz(request: Request) -> HTTPResponse:
    return json({"status": "ok"})


async def check(probe: Awaitable[bool]) -> dict[str, Any]:
    """Run one readiness probe within the timeout: {"ok", "ms"} and "error" if not ok."""
    started = time.perf_counter()
    try:
        ok = await asyncio.wait_for(probe, READY_TIMEOUT_SECONDS)
        error = None if ok else "did not answer"
    except TimeoutError:
        ok, error = False, f"no answer within {READY_TIMEOUT_SECONDS:g} s"
    except Exception as exc:  # any failure means not ready; say which
        ok, error = False, f"{exc.__class__.__name__}: {exc}"
    result: dict[str, Any] = {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1)}
    if error is not None:
        result["error"] = error
    return result


@ops.get("/readyz")
async def readyz(request: Request) -> HTTPResponse:
    backends = services(request).backends
    store, engine = await asyncio.gather(check(backends.store.ping()),
                                         check(backends.engine.ping()))
    ready = store["ok"] and engine["ok"]
    body = {"status": "ready" if ready else "unavailable", "store": store, "engine": engine}
    return json(body, 200 if ready else 503)


# -- metrics --------------------------------------------------------------------------


class ScrapeValues(Collector):
    """Gauges read from the store for this scrape only: kept out of the
    per-process files, where a worker's last value would linger."""

    def __init__(self, values: dict[str, tuple[str, float]]) -> None:
        self.values = values

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, (documentation, value) in self.values.items():
            yield GaugeMetricFamily(name, documentation, value=value)


async def scrape_values(request: Request) -> dict[str, tuple[str, float]]:
    backends = services(request).backends
    values: dict[str, tuple[str, float]] = {}
    try:
        documents = await asyncio.wait_for(backends.store.count_all(), READY_TIMEOUT_SECONDS)
        values["autocompeter_documents"] = ("Documents in the store, all domains", documents)
        if backends.scaled is not None:
            depth, age = await asyncio.wait_for(backends.scaled.store.outbox_stats(),
                                                READY_TIMEOUT_SECONDS)
            values["autocompeter_outbox_depth"] = ("Changes waiting to be indexed", depth)
            values["autocompeter_outbox_oldest_age_seconds"] = (
                "Age of the oldest change waiting to be indexed", age)
    except Exception as error:  # the counters are still worth serving
        log.warning("metrics: could not read the store: %s", error)
    return values


@ops.get("/metrics")
async def metrics(request: Request) -> HTTPResponse:
    TALLY.flush()  # this worker's own counts are exact; the others' are one interval behind
    registry: CollectorRegistry
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several workers (`autocompeter serve` sets the directory): add up
        # every process's file, whichever worker answers the scrape.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY  # one process, e.g. under uvicorn without the variable
    scraped = CollectorRegistry()
    scraped.register(ScrapeValues(await scrape_values(request)))
    return raw(generate_latest(registry) + generate_latest(scraped),
               content_type=CONTENT_TYPE_LATEST)
