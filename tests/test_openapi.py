"""The running service against its own OpenAPI document, with schemathesis.

Schemathesis generates valid and invalid requests for every operation from
/openapi.json; each answer must be no 5xx, a documented status, the documented
content type, and match the documented schema.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.openapi import openapi_document

CASES_PER_OPERATION = 40
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


# Operations come from the same document the service serves, so a new one is
# fuzzed without touching this file.
OPERATIONS = [(path, method) for path, methods in openapi_document()["paths"].items()
              for method in methods]


@pytest.fixture(scope="module")
def api_schema(server):
    return schemathesis.openapi.from_url(f"{server.base_url}/openapi.json")


@pytest.fixture(scope="module")
def fuzz_key(server):
    return server.create_key("schemathesis.example")


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}"
                                                              for p, m in OPERATIONS])
def test_every_operation_keeps_its_promises(api_schema, server, fuzz_key, path, method):
    operation = api_schema[path][method]
    headers = {"Auth-Key": fuzz_key} if operation.definition.raw.get("security") else {}

    @given(case=operation.as_strategy())
    @settings(max_examples=CASES_PER_OPERATION, deadline=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(base_url=server.base_url, headers=headers, checks=CHECKS)

    check()


def test_docs_page_lists_every_operation(client):
    document = client.get("/openapi.json").json()
    page = client.get("/docs").text
    for path, methods in document["paths"].items():
        for method in methods:
            assert f"{method.upper()} {path}</code>" in page
