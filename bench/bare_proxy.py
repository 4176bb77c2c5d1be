"""A bare Sanic app that passes fixed searches to the engine: the scaled setup's floor.

`GET /v1?s=SCENARIO` sends the engine requests our service sends for that
scenario, one after another, over the service's own search connection
(`scaled.transport.SearchConnection`), and answers with the last one's bytes:
no parsing, no query building, no ranking, no cache, no middleware. So
"bare proxy p50 / engine p50" shows what one hop through Sanic costs on this
machine, whatever our own code does, and "ours / bare proxy" what our code adds.

On a cluster it picks a host for each request as the service's search client does
(opensearch-py's connection pool: the hosts shuffled once per worker, then round
robin, `connect_share` as in scaled/clients.py), so the two spread their load alike.

    .venv/bin/python bench/bare_proxy.py PORT WORKERS SEARCH_URL ALIAS REQUESTS_JSON

SEARCH_URL: the service's, opensearch+http://host:port[,host:port...] (plain HTTP, no
auth: the bench's own nodes). REQUESTS_JSON: {scenario: [[path after the alias, body],
...]} (bench/peers.py:BareProxy writes it, from the requests bench/scaled_engine.py
records).
"""

import json
import sys
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bare_sanic import serve
from sanic import Request, Sanic
from sanic.response import HTTPResponse, raw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def engine_pool(search_url: str) -> Any:
    """One search connection per host in the pool the service's client would make of them."""
    from opensearchpy.connection_pool import ConnectionPool, DummyConnectionPool

    from scaled.config import parse_search_url
    from scaled.transport import CONNECT_SHARE, SearchConnection

    hosts = [urlsplit(host) for host in parse_search_url(search_url).hosts]
    share = CONNECT_SHARE if len(hosts) > 1 else None
    connections = [(SearchConnection(host=host.hostname, port=host.port, timeout=5,
                                     connect_share=share), {}) for host in hosts]
    return ConnectionPool(connections) if len(connections) > 1 else DummyConnectionPool(
        connections)


def create_app(search_url: str, alias: str, requests_file: Path) -> Sanic:
    scenarios: dict[str, list[tuple[str, bytes]]] = {
        slug: [(f"/{alias}/{path}", body.encode()) for path, body in requests]
        for slug, requests in json.loads(requests_file.read_text()).items()
    }
    app = Sanic("bare_proxy")

    @app.before_server_start
    async def connect(app: Sanic) -> None:
        app.ctx.engines = engine_pool(search_url)

    @app.after_server_stop
    async def disconnect(app: Sanic) -> None:
        for connection, _options in app.ctx.engines.connection_opts:
            await connection.close()

    @app.get("/v1")
    async def search(request: Request) -> HTTPResponse:
        text = ""
        for path, body in scenarios[request.args.get("s", "")]:
            engine = app.ctx.engines.get_connection()
            _status, _headers, text = await engine.perform_request("POST", path, body=body)
        return raw(text.encode(), content_type="application/json")

    @app.get("/v1/ping")
    async def ping(request: Request) -> HTTPResponse:
        return raw(b"pong", content_type="text/plain")

    return app


if __name__ == "__main__":
    serve(partial(create_app, sys.argv[3], sys.argv[4], Path(sys.argv[5]).resolve()),
          int(sys.argv[1]), int(sys.argv[2]))
