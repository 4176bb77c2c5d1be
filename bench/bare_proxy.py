"""A bare Sanic app that passes fixed searches to the engine: the scaled setup's floor.

`GET /v1?s=SCENARIO` sends the engine requests our service sends for that
scenario, one after another, over the service's own search connection
(`scaled.transport.SearchConnection`), and answers with the last one's bytes:
no parsing, no query building, no ranking, no cache, no middleware. So
"bare proxy p50 / engine p50" shows what one hop through Sanic costs on this
machine, whatever our own code does, and "ours / bare proxy" what our code adds.

    .venv/bin/python bench/bare_proxy.py PORT WORKERS ENGINE_URL REQUESTS_JSON

ENGINE_URL: http://host:port/alias (plain HTTP, no auth: the bench's own node).
REQUESTS_JSON: {scenario: [[path after the alias, body], ...]} (bench/peers.py:BareProxy
writes it, from the requests bench/scaled_engine.py records).
"""

import json
import sys
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from bare_sanic import serve
from sanic import Request, Sanic
from sanic.response import HTTPResponse, raw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def create_app(engine_url: str, requests_file: Path) -> Sanic:
    from scaled.transport import SearchConnection

    engine = urlsplit(engine_url)
    scenarios: dict[str, list[tuple[str, bytes]]] = {
        slug: [(f"{engine.path}/{path}", body.encode()) for path, body in requests]
        for slug, requests in json.loads(requests_file.read_text()).items()
    }
    app = Sanic("bare_proxy")

    @app.before_server_start
    async def connect(app: Sanic) -> None:
        app.ctx.engine = SearchConnection(host=engine.hostname, port=engine.port, timeout=5)

    @app.after_server_stop
    async def disconnect(app: Sanic) -> None:
        await app.ctx.engine.close()

    @app.get("/v1")
    async def search(request: Request) -> HTTPResponse:
        text = ""
        for path, body in scenarios[request.args.get("s", "")]:
            _status, _headers, text = await app.ctx.engine.perform_request("POST", path, body=body)
        return raw(text.encode(), content_type="application/json")

    @app.get("/v1/ping")
    async def ping(request: Request) -> HTTPResponse:
        return raw(b"pong", content_type="text/plain")

    return app


if __name__ == "__main__":
    serve(partial(create_app, sys.argv[3], Path(sys.argv[4]).resolve()),
          int(sys.argv[1]), int(sys.argv[2]))
