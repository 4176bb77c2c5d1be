"""/openapi.json and /docs: the API description, and a page that reads well offline."""

import json
from functools import cache, lru_cache
from html import escape
from typing import Any
from urllib.parse import urlencode

import orjson
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html, raw

from app.pages.openapi import openapi_document
from app.pages.openapi_blocks import Json

docs = Blueprint("docs")

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Autocompeter API</title>
<link rel="stylesheet" href="/static/demo.css">
<link rel="stylesheet" href="/static/docs.css">
<script src="/static/docs.js" defer></script>
</head>
<body>
<main class="page">
<h1>Autocompeter API</h1>
<p>{description} The same description as data: <a href="/openapi.json">/openapi.json</a>.
Back to the <a href="/">start page</a>.</p>
<p>Keyed operations take the <code>Auth-Key</code> header (made with
<code>autocompeter keys create DOMAIN</code>); the key names its domain. Bodies are JSON,
or form fields where that is said. Every error is JSON <code>{{"error": "..."}}</code>
starting with the name of the field at fault.</p>
<nav aria-label="Operations"><ul>{toc}</ul></nav>
{operations}
</main>
</body>
</html>
"""

KINDS = {"string": "text", "integer": "whole number", "number": "number", "array": "list",
         "object": "object", "boolean": "true or false"}


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
    schemas = document["components"]["schemas"]
    body = "".join(render_operation(base_url, path, method, op, schemas)
                   for path, method, op in operations)
    return PAGE.format(description=escape(document["info"]["description"]), toc=toc,
                       operations=body)


def render_operation(base_url: str, path: str, method: str, operation: Json,
                     schemas: Json) -> str:
    parts = [f'<section id="{operation["operationId"]}">',
             f"<h2><code>{method.upper()} {escape(path)}</code></h2>",
             f"<p>{escape(operation['summary'])}.",
             f" {escape(operation.get('description', ''))}</p>"]
    if operation.get("security"):
        parts.append("<p><strong>Needs an <code>Auth-Key</code>.</strong></p>")
    if params := operation.get("parameters"):
        rows = [(p["name"], p["schema"], bool(p.get("required")), p.get("description", ""))
                for p in params]
        parts.append("<h3>Query parameters</h3>" + fields_table(rows))
    if request_body := operation.get("requestBody"):
        parts.append(render_body(request_body, schemas))
    parts.append("<h3>Example</h3>" + example(curl(base_url, path, method, operation)))
    parts.append("<h3>Answers</h3><dl class='answers'>")
    for status, answer in operation["responses"].items():
        parts.append(f"<dt><code>{status}</code> {escape(answer['description'])}</dt><dd>")
        for media in answer.get("content", {}).values():
            if "example" in media:
                shown = media["example"]
                parts.append(example(shown if isinstance(shown, str) else
                                     json.dumps(shown, ensure_ascii=False)))
        parts.append("</dd>")
    parts.append("</dl></section>")
    return "".join(parts)


def render_body(request_body: Json, schemas: Json) -> str:
    media_types = list(request_body["content"])
    schema = resolve(request_body["content"][media_types[0]]["schema"], schemas)
    forms = " or form fields" if "application/x-www-form-urlencoded" in media_types else ""
    parts = [f"<h3>Body</h3><p>A JSON object{forms} with:</p>"]
    properties = schema["properties"]
    required = set(schema.get("required", []))
    rows = [(name, field, name in required, field.get("description", ""))
            for name, field in properties.items()]
    parts.append(fields_table(rows))
    for name, field in properties.items():
        if field.get("type") == "array" and "$ref" in field.get("items", {}):
            item = resolve(field["items"], schemas)
            parts.append(f"<p>Each entry of <code>{escape(name)}</code> is an object with:</p>")
            parts.append(fields_table([(item_name, item_field, item_name in item["required"],
                                        item_field.get("description", ""))
                                       for item_name, item_field in item["properties"].items()]))
    return "".join(parts)


def resolve(schema: Json, schemas: Json) -> Json:
    ref = schema.get("$ref", "")
    return schemas[ref.rsplit("/", 1)[1]] if ref else schema


def fields_table(rows: list[tuple[str, Json, bool, str]]) -> str:
    body = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{escape(KINDS.get(schema.get('type'), ''))}"
        f"</td><td>{'yes' if required else 'no'}</td>"
        f"<td>{escape(meaning)}{'; ' if meaning and limits(schema) else ''}"
        f"{escape(limits(schema))}</td></tr>"
        for name, schema, required, meaning in rows
    )
    return ("<table><thead><tr><th>field</th><th>type</th><th>required</th><th>meaning</th>"
            f"</tr></thead><tbody>{body}</tbody></table>")


def limits(schema: Json) -> str:
    """'1 to 253 characters', 'from 1 to 100, default 10': the schema in plain words."""
    words = []
    low, high = schema.get("minLength") or 0, schema.get("maxLength")
    if high is not None:
        words.append(f"{low:,} to {high:,} characters" if low else f"up to {high:,} characters")
    elif low:
        words.append(f"at least {low:,} character{'s' if low > 1 else ''}")
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    if minimum is not None and maximum is not None:
        words.append(f"from {minimum:,} to {maximum:,}")
    if (items := schema.get("maxItems")) is not None:
        words.append(f"at most {items:,} entries")
    if "default" in schema:
        default = schema["default"]
        if default == "":
            words.append("empty if left out")
        else:
            shown = int(default) if isinstance(default, float) and default.is_integer() else default
            words.append(f"{shown} if left out")
    return ", ".join(words)


def example(text: str) -> str:
    """A block that wraps instead of running off the page; docs.js adds its copy button."""
    return f'<pre class="example" tabindex="0"><code>{escape(text)}</code></pre>'


def curl(base_url: str, path: str, method: str, operation: Json) -> str:
    """An example command for the operation, from the examples in the document."""
    query = urlencode({p["name"]: p.get("example", "https://example.com/a")
                       for p in operation.get("parameters", [])
                       if p.get("required") or "example" in p}, safe=":/,")
    url = f"{base_url}{path}" + (f"?{query}" if query else "")
    first = ["curl"]
    if method != "get":
        first.append(f"-X {method.upper()}")
    if operation.get("security"):
        first.append('-H "Auth-Key: $KEY"')  # as `KEY=$(autocompeter keys create ...)` sets
    lines = [" ".join(first)]
    example_body: Any = None
    if body := operation.get("requestBody"):
        example_body = body["content"].get("application/json", {}).get("example")
    if example_body is not None:
        lines.append("-H 'Content-Type: application/json'")
        lines.append(f"-d '{json.dumps(example_body, ensure_ascii=False)}'")
    lines.append(f"'{url}'")
    one_line = " ".join(lines)
    return one_line if len(one_line) <= 72 else " \\\n     ".join(lines)
