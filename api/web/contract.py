"""OpenAPI documentation helpers: every operation lists the problems it can answer."""

from __future__ import annotations

import http

from apispec import BasePlugin
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from api.web.problems import PROBLEM_MIMETYPE, ProblemSchema

DESCRIPTIONS = {
    400: "Malformed request (bad JSON, bad cursor)",
    401: "Missing, unknown or revoked token",
    403: "The token's role may not do this",
    404: "No such resource",
    409: "Conflict (slug taken, duplicate, illegal transition)",
    412: "If-Match does not match the current ETag",
    413: "Request body too large",
    422: "Invalid fields; see `errors`",
    429: "Rate limited; see Retry-After",
    503: "A service this request needs is unreachable; see Retry-After",
}


class ServerProblems(BasePlugin):
    """Problems any operation can answer before its view runs, declared on every one.

    URLs that are not UTF-8 or hold NUL are refused before routing (api/web/parsing.py):
    400. The HTTP server (api/serving) answers a request line that is too long with 414,
    headers too large with 431, a request that does not arrive in time with 408, and a
    body over the limit with 413 (declared where the operation takes a body), all as
    problem+json.
    """

    EVERY_OPERATION = (
        "BAD_REQUEST",
        "REQUEST_TIMEOUT",
        "REQUEST_URI_TOO_LONG",
        "REQUEST_HEADER_FIELDS_TOO_LARGE",
    )

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            for name in self.EVERY_OPERATION:
                responses.setdefault(str(http.HTTPStatus[name].value), name)
            if "requestBody" in operation:
                responses.setdefault("413", "REQUEST_ENTITY_TOO_LARGE")


class MarginaliaApi(Api):
    """flask-smorest, documenting every error as the problem+json it really is."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # operations list their own problems instead

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)


def problems(
    blp, *codes: int, descriptions: dict[int, str] | None = None, headers: dict | None = None
):
    """Document `codes` as problem+json responses of the decorated operation.

    `descriptions` replaces the generic wording where an operation says more;
    `headers` (code -> OpenAPI header objects) documents headers a problem carries.
    """
    descriptions, headers = descriptions or {}, headers or {}

    def decorator(view):
        for code in sorted(set(codes), reverse=True):
            view = blp.alt_response(
                code,
                schema=ProblemSchema,
                content_type=PROBLEM_MIMETYPE,
                description=descriptions.get(code) or DESCRIPTIONS.get(code, "Problem"),
                headers=headers.get(code),
            )(view)
        return view

    return decorator


def staff(blp):
    """Mark the operation as needing a staff bearer token."""
    return blp.doc(security=[{"staffToken": []}])
