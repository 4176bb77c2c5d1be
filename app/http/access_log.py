"""One log line per request, with a request id that the response carries too."""

import itertools
import logging
import re
import secrets
import time

from sanic import Request
from sanic.response import HTTPResponse

from app.shared.log_format import JsonFormatter

log = logging.getLogger("autocompeter.access")

REQUEST_ID_HEADER = "X-Request-ID"
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "sanic.server",
                 "sanic.websockets")


class AppRequest(Request):
    """Sanic's request, with an id we can trust in headers, logs and error bodies.

    Sanic takes X-Request-ID from the client as is; a proxy's id is worth keeping,
    but only when it is a plain token: anything else could forge log fields or
    headers, so the server makes its own.
    """

    @property
    def id(self) -> str:  # type: ignore[override]
        if not self._id:
            incoming = self.headers.getone(REQUEST_ID_HEADER, "")
            self._id = (incoming if incoming and SAFE_REQUEST_ID.fullmatch(incoming)
                        else next_request_id())
        return str(self._id)


# A UUID's shape, without a UUID's cost (a system call for random bytes on every
# request, a tenth of a cached search's time): random per worker process, then
# counted, so ids never repeat across workers or restarts in practice.
_WORKER_PART = "{}-{}-{}-{}-".format(*(secrets.token_hex(n) for n in (4, 2, 2, 2)))
_REQUEST_NUMBERS = itertools.count(secrets.randbits(40))


def next_request_id() -> str:
    return f"{_WORKER_PART}{next(_REQUEST_NUMBERS) % (1 << 48):012x}"


def start_timer(request: Request) -> None:
    """When the request began: the access log and the metrics both read it."""
    request.ctx.started = time.perf_counter()


def add_request_id(request: Request, response: HTTPResponse) -> None:
    """Every answer names its request, so a user can quote it and we can find it."""
    response.headers[REQUEST_ID_HEADER] = str(request.id)


def log_request(request: Request, response: HTTPResponse) -> None:
    started = getattr(request.ctx, "started", None)
    elapsed_ms = (time.perf_counter() - started) * 1000 if started else 0.0
    # The path only: query strings may carry URLs site owners consider private,
    # and keys travel in headers, which are never logged.
    log.info(
        "%s %s %s %.1fms %s", request.method, request.path, response.status, elapsed_ms,
        request.id,
        extra={"method": request.method, "path": request.path, "status": response.status,
               "ms": round(elapsed_ms, 2), "request_id": str(request.id)},
    )


def configure_logging(json_logs: bool) -> None:
    """Our loggers, and with JSON logs Sanic's too, so every line is one JSON object.

    Call it after creating the Sanic app: Sanic sets up its own loggers then.
    """
    handler = logging.StreamHandler()
    names = ["autocompeter", "autocompeter.access"]
    if json_logs:
        handler.setFormatter(JsonFormatter())
        names += SANIC_LOGGERS  # Sanic formats only handlers it set up itself
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in names:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
