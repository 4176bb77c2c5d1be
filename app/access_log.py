"""One log line per request, with a request id that the response carries too."""

import logging
import time

import orjson
from sanic import Request
from sanic.response import HTTPResponse

log = logging.getLogger("autocompeter.access")


def start_timer(request: Request) -> None:
    """When the request began: the access log and the metrics both read it."""
    request.ctx.started = time.perf_counter()


def add_request_id(request: Request, response: HTTPResponse) -> None:
    """Every answer names its request, so a user can quote it and we can find it."""
    response.headers["X-Request-ID"] = str(request.id)


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


class JsonFormatter(logging.Formatter):
    """A JSON object per line, for log collectors."""

    FIELDS = ("method", "path", "status", "ms", "request_id")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({name: getattr(record, name) for name in self.FIELDS
                      if hasattr(record, name)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def configure_logging(json_logs: bool) -> None:
    handler = logging.StreamHandler()
    if json_logs:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("autocompeter", "autocompeter.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
