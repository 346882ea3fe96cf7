"""RFC 9457 problems for errors found before Flask runs: the request line, the headers,
the body's size or its deadline.

Same shape as api/errors.py (`type`, `title`, `status`, `detail`), without a Flask
context. The detail is fixed text per case, never a quote of the request: what the
parser choked on is attacker-chosen.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from email.utils import formatdate
from http import HTTPStatus

from api.web.observability import SECURITY_HEADER_LIST, request_id_for

PROBLEM_MIMETYPE = "application/problem+json"
SERVER = "gunicorn"  # what the gthread worker sent; never a version

# status -> (slug, title, detail when the caller has none)
_KNOWN = {
    400: ("bad-request", "Bad request", "The request is not valid HTTP/1.1."),
    408: ("request-timeout", "Request timeout", "The request did not arrive in time."),
    413: ("content-too-large", "Content too large", "The request body is too large."),
    414: ("uri-too-long", "URI too long", "The request line is too long."),
    431: (
        "request-header-fields-too-large",
        "Request header fields too large",
        "A request header, or all of them together, is too large.",
    ),
    500: ("internal-error", "Internal server error", "Something went wrong on our side."),
    501: ("not-implemented", "Not implemented", "The transfer coding is not supported."),
}


def problem_body(status: int, detail: str | None = None) -> bytes:
    phrase = HTTPStatus(status).phrase
    slug, title, default_detail = _KNOWN.get(status, ("error", phrase, phrase))
    return json.dumps(
        {
            "type": f"/problems/{slug}",
            "title": title,
            "status": status,
            "detail": detail or default_detail,
        }
    ).encode()


def problem_headers(body: bytes) -> list[tuple[str, str]]:
    """The headers every response carries (api/web/observability.py), and `close`: after
    these errors the rest of the request on the socket cannot be trusted."""
    return [
        ("Content-Type", PROBLEM_MIMETYPE),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
        ("X-Request-ID", request_id_for(None)),
        *SECURITY_HEADER_LIST,
        ("Server", SERVER),
        ("Connection", "close"),
    ]


def raw_problem_response(
    status: int, detail: str | None = None, extra_headers: Iterable[tuple[str, str]] = ()
) -> bytes:
    """A whole HTTP/1.1 response, for the protocol to write before closing."""
    body = problem_body(status, detail)
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
    lines += [f"{name}: {value}" for name, value in [*problem_headers(body), *extra_headers]]
    lines.append(f"Date: {formatdate(usegmt=True)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
