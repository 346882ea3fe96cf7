"""The errors services raise when a rule refuses an operation.

No Flask here: services raise these and api/web/problems.py turns them (and every other
error) into RFC 9457 problem documents.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the operation; `status` is the HTTP status it maps to."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str = "", *, errors: dict | None = None, headers=None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}


class BadRequest(DomainError):
    status, slug, title = 400, "bad-request", "Bad request"


class InvalidInput(DomainError):
    status, slug, title = 422, "invalid-input", "Invalid input"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(DomainError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class TooManyRequests(DomainError):
    status, slug, title = 429, "too-many-requests", "Too many requests"
