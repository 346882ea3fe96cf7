"""The pages' Blueprint: static files with a strict Content-Security-Policy of their own.

A plain Flask Blueprint, not a smorest one: these are pages, not API operations, so they
stay out of openapi.yaml. The console talks only to the public /v1 API from the browser.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, request, send_from_directory

from api.web.observability import SECURITY_HEADERS

STATIC = Path(__file__).resolve().parent / "static"

blp = Blueprint("pages", __name__)

# No inline script anywhere, no third-party origin, no forms that navigate (the token
# form is handled by script, so a broken script can never put the token in a URL).
_COMMON = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; font-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Comment HTML may link images; 'self' only, so a moderator never loads a tracking pixel.
CONSOLE_CSP = f"{_COMMON}; style-src 'self'; img-src 'self'"
# Swagger UI sets style attributes from React, which CSP counts as inline styles; its
# CSS carries its icons as data: URIs. Both are allowed here and only here.
DOCS_CSP = f"{_COMMON}; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
ASSET_CSP = "default-src 'none'; frame-ancestors 'none'"


@blp.route("/console/")
def console() -> Response:
    return _page("console.html")


@blp.route("/docs/")
def docs() -> Response:
    return _page("docs.html")


@blp.route("/pages/<path:filename>")
def asset(filename: str) -> Response:
    response = send_from_directory(STATIC, filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"  # revalidated by ETag: always current
    return response


def _page(name: str) -> Response:
    response = send_from_directory(STATIC, name, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.after_request
def page_headers(response: Response) -> Response:
    """Set every security header here, so the API's defaults (which would also add its
    `default-src 'none'`) leave these responses alone."""
    if request.endpoint == "pages.console":
        csp = CONSOLE_CSP
    elif request.endpoint == "pages.docs":
        csp = DOCS_CSP
    else:
        csp = ASSET_CSP
    response.headers.update(SECURITY_HEADERS)
    response.headers["Content-Security-Policy"] = csp
    return response
