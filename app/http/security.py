"""Headers that make browsers treat our responses safely."""

from sanic import Request
from sanic.response import HTTPResponse

# The demo page and the widget load only their own files: no inline code, no CDN.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HTML_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def add_security_headers(request: Request, response: HTTPResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if (response.content_type or "").startswith("text/html"):
        for name, value in HTML_HEADERS.items():
            response.headers.setdefault(name, value)
