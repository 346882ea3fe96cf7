"""OpenAPI documentation helpers: every operation lists the problems it can answer."""

from __future__ import annotations

from api.errors import PROBLEM_MIMETYPE, ProblemSchema

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
}


def problems(blp, *codes: int):
    """Document `codes` as problem+json responses of the decorated operation."""

    def decorator(view):
        for code in sorted(set(codes), reverse=True):
            view = blp.alt_response(
                code,
                schema=ProblemSchema,
                content_type=PROBLEM_MIMETYPE,
                description=DESCRIPTIONS.get(code, "Problem"),
            )(view)
        return view

    return decorator


def staff(blp):
    """Mark the operation as needing a staff bearer token."""
    return blp.doc(security=[{"staffToken": []}])
