"""The running service against its own OpenAPI document, with schemathesis.

Schemathesis generates requests for every operation from /openapi.json, on every
setup, in both of its modes: valid requests (positive) and requests that break the
document's rules (negative: wrong types, missing or extra parameters, bad bodies).
Each answer must be no 5xx, a documented status, the documented content type, and
match the documented schema; in negative mode a request the document calls invalid
must also be refused with a 4xx.
"""

from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from live import LiveServer
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.pages.openapi import openapi_document

CASES_PER_OPERATION = 40
# The request head's bound is 8 KiB (app/http/server.py); a query string past 7 KiB may
# reach it with the request line and headers, and below it never does.
NEAR_HEAD_LIMIT = 7 * 1024
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
MODES = {GenerationMode.POSITIVE: CHECKS,
         GenerationMode.NEGATIVE: [*CHECKS, negative_data_rejection]}


# Operations come from the same document the service serves, so a new one is
# fuzzed without touching this file. Negative mode needs something to break: a
# parameter or a body (GET /healthz has neither).
DOCUMENT = openapi_document()
CASES = [
    pytest.param(path, method, mode, id=f"{method.upper()} {path}-{mode.value}")
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
    for mode in MODES
    if mode is GenerationMode.POSITIVE
    or operation.get("parameters") or operation.get("requestBody")
]


@pytest.mark.parametrize(("path", "method", "mode"), CASES)
def test_every_operation_keeps_its_promises(any_server: LiveServer, path, method, mode):
    api_schema = schemathesis.openapi.from_url(f"{any_server.base_url}/openapi.json")
    operation = api_schema[path][method]
    headers = {}
    if operation.definition.raw.get("security"):
        headers = {"Auth-Key": any_server.create_key("schemathesis.example")}

    checks = MODES[mode]
    if path == "/v1/bulk":
        # A bulk stores its valid entries and lists the invalid ones (201), as its
        # description says: an invalid entry is not an invalid request.
        checks = [check for check in checks if check is not negative_data_rejection]

    # The key is fixed, not generated: negative mode would otherwise "break" it.
    @given(case=operation.as_strategy(generation_mode=mode, headers=headers or None))
    @settings(max_examples=CASES_PER_OPERATION, deadline=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        if mode is GenerationMode.NEGATIVE and query_bytes(case) > NEAR_HEAD_LIMIT:
            # A parameter drawn far past its maxLength makes a request head Sanic
            # refuses before the service sees it (413): refused all the same.
            answer = case.call(base_url=any_server.base_url, headers=headers)
            assert answer.status_code in (400, 413), (answer.status_code, answer.text)
            return
        case.call_and_validate(base_url=any_server.base_url, headers=headers, checks=checks)

    check()


def query_bytes(case) -> int:
    """The length of the case's query string, percent-encoded as it is sent."""
    return len(urlencode(case.query or {}, doseq=True))


def test_docs_page_lists_every_operation(client):
    document = client.get("/openapi.json").json()
    page = client.get("/docs").text
    for path, methods in document["paths"].items():
        for method in methods:
            assert f"{method.upper()} {path}</code>" in page


def docs_section(page: str, operation_id: str) -> str:
    start = page.index(f'<section id="{operation_id}">')
    return page[start:page.index("</section>", start)]


@pytest.mark.parametrize("operation_id", ["add", "bulk_post", "bulk_put"])
def test_docs_page_lists_body_fields_with_types_and_limits_in_plain_words(client, operation_id):
    section = docs_section(client.get("/docs").text, operation_id)
    for field, kind, limit in [("url", "text", "1 to 2,048 characters"),
                               ("title", "text", "1 to 500 characters"),
                               ("group", "text", "up to 100 characters"),
                               ("popularity", "number", "0 if left out")]:
        row = section[section.index(f"<td><code>{field}</code></td>"):]
        row = row[:row.index("</tr>")]
        assert f"<td>{kind}</td>" in row and limit in row, row
    assert "minLength" not in section and "maxLength" not in section
    assert "&quot;message&quot;: &quot;OK&quot;" in section  # the response body
    if operation_id.startswith("bulk"):
        assert "at most 10,000 entries" in section and "&quot;rejected&quot;" in section


def test_docs_page_parameters_read_as_plain_words(client):
    section = docs_section(client.get("/docs").text, "search")
    # The domain's limit as the README and the validation (app/shared/domains.py) say it.
    assert "1 to 253 characters" in section and "from 1 to 100, 10 if left out" in section
    assert "1 to 253 characters" in docs_section(client.get("/docs").text, "click")
    assert "&quot;terms&quot;" in section and "&quot;results&quot;" in section


def test_every_curl_example_on_the_docs_page_works_as_shown(server, client, tmp_path):
    import html
    import os
    import re
    import subprocess

    key = server.create_key("example.com")
    server.create_key("demo")  # the search example searches the demo domain
    page = client.get("/docs").text
    examples = [html.unescape(code) for code in re.findall(
        r'<pre class="example" tabindex="0"><code>(curl .*?)</code></pre>', page, re.S)]
    assert len(examples) == sum(len(methods) for methods in DOCUMENT["paths"].values())
    for command in examples:
        done = subprocess.run(["bash", "-c", command + " -s -o /dev/null -w '%{http_code}'"],
                              env={**os.environ, "KEY": key}, capture_output=True, text=True,
                              timeout=30)
        assert done.stdout.startswith("2"), (command, done.stdout, done.stderr)


# A request each operation refuses with 400, and the keyed ones' key domain: the
# example /docs shows under 400 must be what the service answers to it.
INVALID_REQUESTS = {
    "search": ("GET", "/v1", {"params": {"d": "exa mple.com", "q": "py"}}),
    "click": ("POST", "/v1/click", {"json": {"d": "demo", "q": "json du"}}),
    "add": ("POST", "/v1", {"json": {"url": "https://example.com/about", "title": ""}}),
    "documents": ("GET", "/v1/documents", {"params": {"limit": "1000"}}),
    "stats_daily": ("GET", "/v1/stats/daily", {"params": {"days": "90"}}),
    "groups_put": ("PUT", "/v1/groups", {"json": {"private": ["a,b"]}}),
    "synonyms_put": ("PUT", "/v1/synonyms", {"json": {"synonyms": [["new york", "nyc"]]}}),
    "suggestions_put": ("PUT", "/v1/suggestions", {"json": {"min_count": 0}}),
    "delete": ("DELETE", "/v1", {}),
    "bulk_post": ("POST", "/v1/bulk", {"json": {"documents": [{"url": "/a"}]}}),
    "bulk_put": ("PUT", "/v1/bulk", {"json": {"documents": [{"url": "/a"}]}}),
}


def test_every_400_example_on_the_docs_is_what_the_service_answers(server, client):
    key = {"Auth-Key": server.create_key("example.com")}
    shown = {operation["operationId"]: operation["responses"]["400"]["content"]
             ["application/json"]["example"]
             for methods in DOCUMENT["paths"].values() for operation in methods.values()
             if "400" in operation["responses"]}
    assert set(shown) == set(INVALID_REQUESTS)
    for operation_id, (method, path, request) in INVALID_REQUESTS.items():
        answer = client.request(method, path, headers=key, **request)
        assert answer.status_code == 400, (operation_id, answer.text)
        assert answer.json()["error"] == shown[operation_id]["error"], operation_id
        assert answer.json().get("rejected") == shown[operation_id].get("rejected")
