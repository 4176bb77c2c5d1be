"""The search answer's response class sends the bytes Sanic's own would send."""

import pytest
from sanic.headers import format_http1_response
from sanic.response import HTTPResponse

from app.http.responses import SearchResponse

HEADERS = [
    {"Access-Control-Allow-Origin": "*", "X-Request-ID": "abc-123", "content-length": 975},
    # Nothing of ours puts a line break or a NUL in a header; were one to, the
    # header must still not split in two (a forged header, a forged answer).
    {"X-Injected": "a\r\nSet-Cookie: stolen=1", "X-Nul": "a\x00b"},
    {"X-Tab": "a\tb", "X-Unicode": "café", "X-Line\r\nName": "v"},
]


def sent(response: HTTPResponse) -> bytes:
    return format_http1_response(response.status, response.processed_headers)


@pytest.mark.parametrize("headers", HEADERS)
def test_the_same_header_bytes_as_sanics_response(headers):
    ours = SearchResponse(b"{}", headers=headers, content_type="application/json")
    sanics = HTTPResponse(b"{}", headers=headers, content_type="application/json")
    assert sent(ours) == sent(sanics)


def test_a_line_break_in_a_header_value_is_removed():
    response = SearchResponse(b"{}", headers={"X-Injected": "a\r\nSet-Cookie: stolen=1"})
    assert b"\r\nSet-Cookie" not in sent(response)
