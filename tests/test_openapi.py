"""The running service against its own OpenAPI document, with schemathesis.

Schemathesis generates requests for every operation from /openapi.json, on every
setup, in both of its modes: valid requests (positive) and requests that break the
document's rules (negative: wrong types, missing or extra parameters, bad bodies).
Each answer must be no 5xx, a documented status, the documented content type, and
match the documented schema; in negative mode a request the document calls invalid
must also be refused with a 4xx.
"""

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

from app.openapi import openapi_document

CASES_PER_OPERATION = 40
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
        case.call_and_validate(base_url=any_server.base_url, headers=headers, checks=checks)

    check()


def test_docs_page_lists_every_operation(client):
    document = client.get("/openapi.json").json()
    page = client.get("/docs").text
    for path, methods in document["paths"].items():
        for method in methods:
            assert f"{method.upper()} {path}</code>" in page
