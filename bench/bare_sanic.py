"""A bare Sanic app that answers GET /v1 with fixed bytes: the framework's ceiling.

It sends the body and headers our service sent for a cached answer, with no
middleware, no validation and no cache look-up, so "ours cached / bare Sanic"
shows what our own code costs on top of Sanic.

    .venv/bin/python bench/bare_sanic.py PORT WORKERS ANSWER_JSON

ANSWER_JSON: {"body": ..., "content_type": ..., "headers": {...}} (bench/peers.py
writes it). Started the way `autocompeter serve` starts ours: an AppLoader
factory that each worker process calls.
"""

import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sanic import Request, Sanic
from sanic.response import HTTPResponse, raw
from sanic.worker.loader import AppLoader


def create_app(answer_file: Path) -> Sanic:
    answer = json.loads(answer_file.read_text())
    body: bytes = answer["body"].encode()
    content_type: str = answer["content_type"]
    headers: dict[str, str] = answer["headers"]
    app = Sanic("bare")

    @app.get("/v1")
    async def search(request: Request) -> HTTPResponse:
        return raw(body, content_type=content_type, headers=headers)

    @app.get("/v1/ping")
    async def ping(request: Request) -> HTTPResponse:
        return raw(b"pong", content_type="text/plain")

    return app


def serve(factory: Callable[[], Sanic], port: int, workers: int) -> None:
    """Serve the app ``factory`` makes in each worker, as `autocompeter serve` does
    (bench/bare_proxy.py serves its app this way too)."""
    loader = AppLoader(factory=factory)
    app = loader.load()
    app.prepare(host="127.0.0.1", port=port, workers=workers, motd=False, access_log=False)
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    serve(partial(create_app, Path(sys.argv[3]).resolve()), int(sys.argv[1]), int(sys.argv[2]))
