"""/openapi.json and /docs: the API description, and a page that reads well offline."""

import json
from functools import cache, lru_cache
from html import escape
from typing import Any
from urllib.parse import urlencode

import orjson
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html, raw

from app.openapi import Json, openapi_document

docs = Blueprint("docs")

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Autocompeter API</title>
<link rel="stylesheet" href="/static/demo.css">
<link rel="stylesheet" href="/static/docs.css">
</head>
<body>
<main class="page">
<h1>Autocompeter API</h1>
<p>{description} The same description as data: <a href="/openapi.json">/openapi.json</a>.
Back to the <a href="/">demo</a>.</p>
<p>Keyed operations take the <code>Auth-Key</code> header; every error is JSON
<code>{{"error": "..."}}</code> starting with the name of the field at fault.</p>
<nav aria-label="Operations"><ul>{toc}</ul></nav>
{operations}
</main>
</body>
</html>
"""


@cache
def document_bytes() -> bytes:
    return orjson.dumps(openapi_document())


@docs.get("/openapi.json")
async def openapi_json(request: Request) -> HTTPResponse:
    return raw(document_bytes(), content_type="application/json")


@docs.route("/docs", methods=["GET", "HEAD"])
async def docs_page(request: Request) -> HTTPResponse:
    return html(render_page(f"{request.scheme}://{request.host}"))


@lru_cache(maxsize=16)  # keyed by the Host header, which clients choose: keep it bounded
def render_page(base_url: str) -> str:
    document = openapi_document()
    operations = [(path, method, operation)
                  for path, methods in document["paths"].items()
                  for method, operation in methods.items()]
    toc = "".join(
        f'<li><a href="#{op["operationId"]}"><code>{method.upper()} {escape(path)}</code></a>'
        f" {escape(op['summary'])}</li>"
        for path, method, op in operations
    )
    body = "".join(render_operation(base_url, path, method, op) for path, method, op in operations)
    return PAGE.format(description=escape(document["info"]["description"]), toc=toc,
                       operations=body)


def render_operation(base_url: str, path: str, method: str, operation: Json) -> str:
    parts = [f'<section id="{operation["operationId"]}">',
             f"<h2><code>{method.upper()} {escape(path)}</code></h2>",
             f"<p>{escape(operation['summary'])}.",
             f" {escape(operation.get('description', ''))}</p>"]
    if operation.get("security"):
        parts.append("<p><strong>Needs an <code>Auth-Key</code>.</strong></p>")
    if params := operation.get("parameters"):
        rows = "".join(
            f"<tr><td><code>{escape(p['name'])}</code></td>"
            f"<td>{'yes' if p.get('required') else 'no'}</td>"
            f"<td>{escape(p.get('description', ''))} {constraints(p['schema'])}</td></tr>"
            for p in params
        )
        parts.append("<table><thead><tr><th>parameter</th><th>required</th><th>meaning</th>"
                     f"</tr></thead><tbody>{rows}</tbody></table>")
    parts.append(f"<pre><code>{escape(curl(base_url, path, method, operation))}</code></pre>")
    statuses = "".join(f"<li><code>{code}</code> {escape(answer['description'])}</li>"
                       for code, answer in operation["responses"].items())
    parts.append(f"<ul class='statuses'>{statuses}</ul></section>")
    return "".join(parts)


def constraints(schema: Json) -> str:
    shown = {k: v for k, v in schema.items() if k in ("minLength", "maxLength", "minimum",
                                                       "maximum", "default")}
    return escape(", ".join(f"{k} {v}" for k, v in shown.items()))


def curl(base_url: str, path: str, method: str, operation: Json) -> str:
    """An example command for the operation, from the examples in the document."""
    query = urlencode({p["name"]: p.get("example", "https://example.com/a")
                       for p in operation.get("parameters", [])
                       if p.get("required") or "example" in p}, safe=":/,")
    url = f"{base_url}{path}" + (f"?{query}" if query else "")
    command = ["curl"]
    if method != "get":
        command.append(f"-X {method.upper()}")
    if operation.get("security"):
        command.append("-H 'Auth-Key: YOUR-KEY'")
    example: Any = None
    if body := operation.get("requestBody"):
        example = body["content"].get("application/json", {}).get("example")
    if example is not None:
        command.append("-H 'content-type: application/json'")
        command.append(f"-d '{json.dumps(example)}'")
    command.append(f"'{url}'")
    return " ".join(command)
