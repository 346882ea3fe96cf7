"""RFC 9457 problem details: how every error leaves the API.

Services raise `api.errors.DomainError` subclasses; everything that reaches a client,
werkzeug's and webargs' errors included, leaves as `application/problem+json` without a
stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

import marshmallow as ma
import redis.exceptions
from flask import Response, g, json
from limits.errors import StorageError
from werkzeug.exceptions import HTTPException

from api.errors import DomainError
from api.web.conventions import ABSENT

PROBLEM_MIMETYPE = "application/problem+json"
log = logging.getLogger(__name__)


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document."""

    type = ma.fields.String(metadata={"description": "A URI reference naming the problem"})
    title = ma.fields.String(metadata={"description": "Short summary of the problem type"})
    status = ma.fields.Integer(metadata={"description": "HTTP status code"})
    detail = ma.fields.String(metadata={"description": "What went wrong with this request"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={
            "description": "Field name -> messages (422; a refused batch's 409: id -> why)",
            ABSENT: "on other problems",
        },
    )
    request_id = ma.fields.String(metadata={"description": "The X-Request-ID of the request"})


_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "content-too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    428: "precondition-required",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    slug: str | None = None,
    errors: dict | None = None,
    headers: dict | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"/problems/{slug or _SLUGS.get(status, 'error')}",
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    if errors:
        body["errors"] = errors
    if request_id := g.get("request_id"):
        body["request_id"] = request_id
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten_webargs(messages: dict) -> dict:
    """webargs nests errors by location ({"json": {"title": [...]}}); clients want fields."""
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def handle_http_exception(error: HTTPException) -> Response:
    data = getattr(error, "data", None) or {}
    status = error.code or 500
    title = error.name
    errors = data.get("errors") or data.get("messages")
    if status == 422 and errors:
        errors = _flatten_webargs(errors)
        detail = "The request has invalid fields; see errors."
    elif status == 400 and errors:
        errors = _flatten_webargs(errors)
        detail = "; ".join(str(m) for v in errors.values() for m in _as_list(v))
        errors = None
    else:
        detail = data.get("message") or error.description
    if status == 413:
        detail = "The request body is larger than this server accepts."
    headers = dict(data.get("headers") or {})
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    if status == 429:
        headers.update(_retry_headers(error))
    return problem(status, title, detail, errors=errors, headers=headers)


def _retry_headers(error: HTTPException) -> dict:
    response = getattr(error, "response", None)
    if response is None:
        return {}
    wanted = ("Retry-After", "RateLimit", "RateLimit-Policy", "X-RateLimit-Limit")
    return {name: response.headers[name] for name in wanted if name in response.headers}


def _as_list(value):
    return value if isinstance(value, list) else [value]


def handle_domain_error(error: DomainError) -> Response:
    return problem(
        error.status,
        error.title,
        error.detail,
        slug=error.slug,
        errors=error.errors,
        headers=error.headers,
    )


def handle_validation_error(error: ma.ValidationError) -> Response:
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return problem(
        422, "Invalid input", "The request has invalid fields; see errors.", errors=messages
    )


# Redis holds the rate-limit counters: without them a limited route cannot be judged,
# so it is refused for now (as /readyz reports), not answered with a 500.
SHARED_STATE_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, StorageError)
SHARED_STATE_RETRY_AFTER = 30


def handle_shared_state_down(error: Exception) -> Response:
    log.warning("shared state (Redis) unreachable: %s", type(error).__name__)
    return problem(
        503,
        "Service unavailable",
        "A service this request needs is unreachable; try again shortly.",
        slug="unavailable",
        headers={"Retry-After": str(SHARED_STATE_RETRY_AFTER)},
    )


def handle_unexpected(error: Exception) -> Response:
    log.exception("unhandled error")
    return problem(500, "Internal server error", "Something went wrong on our side.")


def register_error_handlers(app) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(ma.ValidationError, handle_validation_error)
    for error in SHARED_STATE_DOWN:
        app.register_error_handler(error, handle_shared_state_down)
    app.register_error_handler(Exception, handle_unexpected)
